"""Review of session 25's merges (PyTorch names, fft, torch.func changes): one test per fix.
Each runs on tinygrad_np and, when installed, on torch (its expected behaviour)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

LIBS = [tg] if torch is None else [tg, torch]


@pytest.mark.parametrize("lib", LIBS)
def test_vmap_of_grad_through_a_custom_vmap_rule_by_a_slice_that_requires_grad(lib):
    # the slice requires grad (its source does): grad differentiates by the slice itself, so
    # the output must hang from it (it was silently zero: the rule's output hung from x)
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output

        @staticmethod
        def vmap(info, in_dims, x):
            return Square.apply(x), in_dims[0]

    values = np.arange(6.0).reshape(2, 3)
    x = lib.tensor(values, requires_grad=True)
    found = lib.func.vmap(lib.func.grad(lambda a: Square.apply(a).sum()))(x)
    np.testing.assert_allclose(found.detach().numpy(), 2 * values)
    found = lib.func.vmap(lib.func.jacrev(Square.apply))(x)
    np.testing.assert_allclose(found.detach().numpy(), [np.diag(2 * row) for row in values])


@pytest.mark.parametrize("lib", LIBS)
def test_fft_of_a_0d_tensor_and_shifts_of_no_dims_raise_as_pytorch(lib):
    scalar = lib.tensor(3.0)
    for call in (lambda: lib.fft.irfft(scalar), lambda: lib.fft.hfft(scalar, dim=0),
                 lambda: lib.fft.fftshift(scalar, 0)):
        with pytest.raises(IndexError, match="Dimension specified as .* no dimensions"):
            call()
    for call in (lambda: lib.fft.fftshift(scalar), lambda: lib.fft.ifftshift(lib.ones(2, 3), ())):
        with pytest.raises(RuntimeError, match="`shifts` required"):
            call()
    assert lib.fft.fftshift(lib.arange(4.0), (0,)).tolist() == [2.0, 3.0, 0.0, 1.0]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # (torch's forward AD: jit.script)
@pytest.mark.parametrize("lib", LIBS)
def test_jvp_strict_refuses_any_output_independent_of_the_inputs(lib):
    x = lib.arange(3.0)
    with pytest.raises(RuntimeError, match="independent of the inputs"):
        lib.func.jvp(lambda a: (a * a, lib.ones(2)), (x,), (lib.ones(3),), strict=True)
    _, tangent = lib.func.jvp(lambda a: a * a, (x,), (lib.ones(3),), strict=True)
    assert tangent.tolist() == [0.0, 2.0, 4.0]


def test_vmap_keeps_no_slice_temporaries_written_in_place_alive():
    # (the captured-write check held every tensor written in place until vmap ended: a big
    # batch's temporaries all at once)
    import weakref

    earlier = []

    def f(a):
        assert all(ref() is None for ref in earlier)  # the previous slices' are gone
        scratch = tg.zeros(1000)
        scratch.add_(1.0)
        earlier.append(weakref.ref(scratch))
        return a * 2 + scratch[0]

    assert tg.func.vmap(f)(tg.ones(4, 2)).tolist() == [[3.0, 3.0]] * 4
    captured = tg.zeros(2)
    with pytest.raises(RuntimeError, match="captures from outside"):  # (still refused)
        tg.func.vmap(lambda a: captured.add_(a))(tg.ones(3, 2))


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("lib", LIBS)
def test_fft_c2r_transforms_name_their_node_as_pytorch(lib):
    x = lib.arange(5.0, requires_grad=True)
    for name in ("irfft", "hfft", "irfftn", "hfftn"):
        assert getattr(lib.fft, name)(x).grad_fn.name() == "FftC2RBackward0"
    assert "FftC2RBackward0" in repr(lib.fft.irfft2(x.reshape(1, 5)))


@pytest.mark.parametrize("lib", LIBS)
def test_dim_order_follows_the_strides_as_pytorch(lib):
    # (it was always (0, 1, ..., ndim - 1), though stride() gives the real strides)
    assert lib.ones(2, 3).t().dim_order() == (1, 0)
    assert lib.ones(2, 3, 4, 5).permute(0, 2, 3, 1).dim_order() == (0, 3, 1, 2)
    assert lib.ones(2, 3, 4, 5).permute(2, 0, 3, 1).dim_order() == (1, 3, 0, 2)
    assert lib.ones(2, 3, 4).transpose(0, 2)[1:].dim_order() == (2, 1, 0)
    assert lib.ones(1, 3).t().dim_order() == (0, 1)  # (contiguous: size-1 dims don't count)
    assert lib.ones(3)[None].expand(4, 3).dim_order() == (0, 1)
    assert lib.ones(2, 3).dim_order() == (0, 1)


@pytest.mark.parametrize("lib", LIBS)
def test_conv1d_conv3d_and_transposes_name_their_node_convolution(lib):
    F = lib.nn.functional
    x1 = lib.ones(1, 2, 5, requires_grad=True)
    x3 = lib.ones(1, 2, 4, 4, 4, requires_grad=True)
    for y in (F.conv1d(x1, lib.ones(3, 2, 2)), F.conv_transpose1d(x1, lib.ones(2, 3, 2)),
              F.conv3d(x3, lib.ones(3, 2, 2, 2, 2), lib.ones(3)),
              F.conv_transpose3d(x3, lib.ones(2, 3, 2, 2, 2), lib.ones(3))):
        assert y.grad_fn.name() == "ConvolutionBackward0"
