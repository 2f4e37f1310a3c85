"""Batch normalisation and dropout (the two layers that act differently in training and
evaluation), and layer normalisation."""

from __future__ import annotations

import numpy as np

from .. import random as _random
from ..autograd import Function
from . import layout


class BatchNorm(Function):
    """Normalise each channel over the batch (and spatial) axes, then scale and shift.

    Training uses the batch's own mean μ and biased variance σ², and moves the
    running estimates toward them (the running variance uses the unbiased σ²·n/(n−1),
    as PyTorch does). Evaluation uses the running estimates. With x̂ = (x − μ)/√(σ² + ε)
    and y = γ x̂ + β, in training

        ∂L/∂x = γ/(n √(σ² + ε)) · (n·g − Σg − x̂ · Σ(g x̂)),

    because μ and σ² themselves depend on x.
    """

    def forward(self, x, weight, bias, running_mean=None, running_var=None,
                training=True, momentum=0.1, eps=1e-5):
        if x.ndim < 2:
            raise ValueError(f"batch_norm: expected at least 2 dimensions [N, C, ...], got shape {x.shape}")
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)  # broadcasts a per-channel vector over x
        if x.shape[1] != weight.shape[0]:
            raise ValueError(f"batch_norm: input has {x.shape[1]} channels (shape {x.shape}) "
                             f"but the layer has {weight.shape[0]}")
        if training:
            count = x.size // x.shape[1]
            if count < 2:
                raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                                 f"got input of shape {x.shape}")
            mean = x.mean(axis=axes)
            centred = x - mean.reshape(shape)
            var = np.mean(centred * centred, axis=axes)
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += momentum * var * (count / (count - 1))
        else:
            centred = x - running_mean.reshape(shape)
            var = running_var
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        x_hat = centred * inv_std.reshape(shape)
        self.x_hat, self.inv_std, self.weight = x_hat, inv_std, weight
        self.axes, self.shape, self.training = axes, shape, training
        return x_hat * weight.reshape(shape) + bias.reshape(shape)

    def backward(self, grad):
        axes, shape, x_hat = self.axes, self.shape, self.x_hat
        grad_bias = grad.sum(axis=axes)
        grad_weight = (grad * x_hat).sum(axis=axes)
        grad_x = None
        if self.needs_grad[0]:
            scale = (self.weight * self.inv_std).reshape(shape)
            if self.training:
                count = grad.size // grad.shape[1]
                grad_x = scale * (grad - (grad_bias / count).reshape(shape)
                                  - x_hat * (grad_weight / count).reshape(shape))
            else:
                grad_x = grad * scale
        return grad_x, grad_weight, grad_bias


class Dropout(Function):
    """Inverted dropout: zero each element with probability p and scale survivors by
    1/(1 − p), so evaluation needs no rescaling. The mask is drawn from the global
    generator (``chainrule.manual_seed``) unless one is given, one number per element
    in the order the elements lie in memory (so the mask shares x's memory order)."""

    def forward(self, x, p=0.5, mask=None):
        if mask is None:
            keep = layout.in_order_of(x, x.shape, lambda shape: _random.keep_mask(shape, p))
            mask = keep.astype(x.dtype) * np.asarray(1.0 / (1.0 - p), dtype=x.dtype)
        self.mask = mask
        return x * mask

    def backward(self, grad):
        return grad * self.mask


class LayerNorm(Function):
    """Normalise each sample over its last ``ndim`` axes, then scale and shift elementwise.

    With μ and σ² the mean and biased variance over those n values, x̂ = (x − μ)/√(σ² + ε)
    and y = γ ⊙ x̂ + β (γ, β of the normalised shape). Writing ĝ = g ⊙ γ,

        ∂L/∂x = (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / √(σ² + ε),

    the means over the same n values (μ and σ² depend on x); ∂L/∂γ = Σ g ⊙ x̂ and
    ∂L/∂β = Σ g over the leading (batch) axes.
    """

    def forward(self, x, weight, bias, ndim=1, eps=1e-5):
        axes = tuple(range(x.ndim - ndim, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = np.mean(centred * centred, axis=axes, keepdims=True)
        self.inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        self.x_hat = centred * self.inv_std
        self.weight, self.axes = weight, axes
        return self.x_hat * weight + bias

    def backward(self, grad):
        x_hat, axes = self.x_hat, self.axes
        batch = tuple(range(grad.ndim - len(axes)))
        grad_x = grad_weight = grad_bias = None
        if self.needs_grad[0]:
            g = grad * self.weight
            grad_x = self.inv_std * (g - g.mean(axis=axes, keepdims=True)
                                     - x_hat * (g * x_hat).mean(axis=axes, keepdims=True))
        if self.needs_grad[1]:
            grad_weight = (grad * x_hat).sum(axis=batch)
        if self.needs_grad[2]:
            grad_bias = grad.sum(axis=batch)
        return grad_x, grad_weight, grad_bias
