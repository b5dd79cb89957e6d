"""Round 17 (n): second-order gradients that reach a parameter as zeros (not None) through
ops whose PyTorch backward reads their input (average and adaptive average pooling, 'area'
interpolation, reflect/replicate padding, nll_loss), empty outputs of transposed
convolutions and 'area' resizing, integer inputs to float convolutions and linear layers,
PyTorch's error types for out-of-range indices, reductions given dim=(), module reprs,
and Python numbers out of a dtype's range."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

try:
    import torch
except ImportError:
    torch = None


# ---- 1. double backward: parameters reached through a shape-only backward get zeros -------
PENALTY_OPS = {
    "avg_pool1d": lambda F, h: F.avg_pool1d(h.flatten(2), 2),
    "avg_pool2d": lambda F, h: F.avg_pool2d(h, 2),
    "avg_pool3d": lambda F, h: F.avg_pool3d(h.unsqueeze(2), (1, 2, 2)),
    "adaptive_avg_pool1d": lambda F, h: F.adaptive_avg_pool1d(h.flatten(2), 3),
    "adaptive_avg_pool2d": lambda F, h: F.adaptive_avg_pool2d(h, 3),
    "adaptive_avg_pool3d": lambda F, h: F.adaptive_avg_pool3d(h.unsqueeze(2), (1, 3, 3)),
    "area": lambda F, h: F.interpolate(h, size=(3, 3), mode="area"),
    "reflect": lambda F, h: F.pad(h, (1, 1, 1, 1), mode="reflect"),
    "replicate": lambda F, h: F.pad(h, (1, 1, 1, 1), mode="replicate"),
    "nll_loss": lambda F, h: F.nll_loss(h.flatten(1), h.new_zeros(2).long()),
}


def _penalty_bias_grad(lib, op):
    x = lib.tensor(np.linspace(-1, 1, 32).reshape(2, 1, 4, 4), requires_grad=True)
    b = lib.zeros(1, requires_grad=True)
    y = op(lib.nn.functional, x + b)
    g = lib.autograd.grad(y.sum(), x, create_graph=True)[0]
    assert g.requires_grad
    g.pow(2).sum().backward()
    return b.grad


@pytest.mark.parametrize("name", list(PENALTY_OPS))
def test_second_order_gradient_through_shape_only_backward_is_zero(name):
    grad = _penalty_bias_grad(tg, PENALTY_OPS[name])
    assert grad is not None and grad.tolist() == [0.0]
    if torch is not None:
        assert _penalty_bias_grad(torch, PENALTY_OPS[name]).tolist() == [0.0]


def test_gradient_penalty_conv_transpose3d_bias_is_zero():
    tg.manual_seed(0)
    net = tg.nn.Sequential(tg.nn.GELU(), tg.nn.ConvTranspose3d(1, 1, 2), tg.nn.AvgPool3d(2))
    x = tg.randn(2, 1, 3, 3, 3, requires_grad=True)
    g = tg.autograd.grad(net(x).sum(), x, create_graph=True)[0]
    (g.flatten(1).norm(2, dim=1) - 1).pow(2).mean().backward()
    assert net[1].bias.grad is not None and net[1].bias.grad.tolist() == [0.0]
    assert net[1].weight.grad is not None and float(net[1].weight.grad.abs().sum()) > 0


# ---- 2. empty outputs ----------------------------------------------------------------------
def test_conv_transpose_output_size_zero_is_empty_with_zero_gradients():
    x = tg.ones(2, 1, 2, 6, requires_grad=True)
    w = tg.ones(1, 1, 1, 2, requires_grad=True)
    y = F.conv_transpose2d(x, w, stride=2, padding=(2, 1), output_padding=1, dilation=(2, 1))
    assert tuple(y.shape) == (2, 1, 0, 11) and y.dtype == tg.float32
    y.sum().backward()
    assert x.grad.abs().sum().item() == 0 and w.grad.abs().sum().item() == 0
    b = tg.ones(1, requires_grad=True)
    assert tuple(F.conv_transpose1d(tg.ones(2, 1, 2), tg.ones(1, 1, 1), b, padding=1).shape) \
        == (2, 1, 0)
    assert tuple(F.conv_transpose3d(tg.ones(2, 1, 2, 2, 2), tg.ones(1, 1, 1, 1, 1),
                                    padding=(1, 0, 0)).shape) == (2, 1, 0, 2, 2)
    with pytest.raises(RuntimeError, match="conv_transpose2d"):  # negative: refused
        F.conv_transpose2d(tg.ones(2, 1, 2, 2), tg.ones(1, 1, 1, 1), padding=2)
    if torch is not None:
        ty = torch.nn.functional.conv_transpose2d(torch.ones(2, 1, 2, 6), torch.ones(1, 1, 1, 2),
                                                  stride=2, padding=(2, 1), output_padding=1,
                                                  dilation=(2, 1))
        assert tuple(ty.shape) == (2, 1, 0, 11)


@pytest.mark.parametrize(("shape", "scale", "expected"), [
    ((2, 1, 4, 1), (0.5, 0.3), (2, 1, 2, 0)), ((2, 1, 1), 0.3, (2, 1, 0)),
    ((2, 1, 1, 2, 2), 0.3, (2, 1, 0, 0, 0))])
def test_area_interpolation_to_size_zero_is_empty(shape, scale, expected):
    y = F.interpolate(tg.ones(*shape), scale_factor=scale, mode="area")
    assert tuple(y.shape) == expected
    with pytest.raises(RuntimeError, match="interpolate"):  # other modes refuse, as PyTorch
        F.interpolate(tg.ones(*shape), scale_factor=scale, mode="nearest")
    if torch is not None:
        t = torch.nn.functional.interpolate(torch.ones(*shape), scale_factor=scale, mode="area")
        assert tuple(t.shape) == expected
