"""Every differentiable operation: each a Function with its forward and backward side by side.

| module        | ops                                                                       |
| ------------- | ------------------------------------------------------------------------- |
| arithmetic    | + − * / ** % // neg, matmul, linear, einsum                               |
| reduce        | sum, mean, amax / max, norm, prod, cumsum, cumprod (var, std composed)    |
| shape         | reshape, permute, getitem, setitem, cat, stack, cast                      |
| elementwise   | exp, log, log1p, expm1, sqrt, abs, clip, where, maximum, sin, cos, erf …  |
| activation    | sigmoid, tanh, relu, leaky_relu, elu, gelu, silu, softplus, hardtanh,     |
|               | mish, step, softmax, log_softmax                                          |
| conv          | conv2d (groups, dilation), conv_transpose2d, max_pool2d, avg_pool2d       |
| interpolate   | resampling for interpolate / Upsample (nearest, bilinear)                 |
| norm          | batch_norm, layer_norm, dropout                                           |
| loss          | fused, numerically stable losses                                          |

``layout`` is not an op: it allocates arrays in another array's memory order, which keeps
convolution outputs batch-last in memory from one layer to the next (see ``conv``).
"""

from . import activation, arithmetic, conv, elementwise, interpolate, loss, norm, reduce, shape  # noqa: F401
