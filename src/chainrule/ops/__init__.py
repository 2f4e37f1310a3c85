"""Every differentiable operation: each a Function with its forward and backward side by side.

| module        | ops                                                              |
| ------------- | ---------------------------------------------------------------- |
| arithmetic    | + − * / ** neg, matmul, linear                                   |
| reduce        | sum, mean, amax / max                                            |
| shape         | reshape, permute, getitem, cat, stack, cast                      |
| elementwise   | exp, log, sqrt, abs, clip, where, maximum                        |
| activation    | sigmoid, tanh, relu, leaky_relu, elu, step, softmax, log_softmax |
| conv          | conv2d, max_pool2d, avg_pool2d                                   |
| norm          | batch_norm, dropout                                              |
| loss          | fused, numerically stable losses                                 |

``layout`` is not an op: it allocates arrays in another array's memory order, which keeps
convolution outputs batch-last in memory from one layer to the next (see ``conv``).
"""

from . import activation, arithmetic, conv, elementwise, loss, norm, reduce, shape  # noqa: F401
