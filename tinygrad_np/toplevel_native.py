"""PyTorch's low-level `torch.*` forms of the conv, norm and grid-sampling functions, which
code ported from PyTorch internals (or exported graphs) calls: `torch.convolution`,
`torch.native_batch_norm` / `native_layer_norm` / `native_group_norm` (the output with the
statistics saved for the backward: mean and 1 / sqrt(var + eps)), `torch.grid_sampler`
(`_2d`, `_3d`: modes as ints), `torch.affine_grid_generator`, `torch.conv_tbc`,
`torch.native_dropout` (output and mask), `native_channel_shuffle` and the one-step RNN cells
`torch.rnn_tanh_cell` / `rnn_relu_cell` / `lstm_cell` / `gru_cell` (the weights given, as
nn.RNNCell's). Each is a composition of nn.functional, so gradients flow through all of it."""

from __future__ import annotations

from typing import Any

from tinygrad_np.errors import TensorError
from tinygrad_np.nn import functional as F
from tinygrad_np.nn.layers_more import channel_shuffle
from tinygrad_np.nn.rnn import _gru_step, _lstm_step, _rnn_step
from tinygrad_np.rng import generator
from tinygrad_np.tensor import Tensor

_CONVS = {False: (F.conv1d, F.conv2d, F.conv3d),
          True: (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)}
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic")  # PyTorch's GridSamplerInterpolation
_PADDINGS = ("zeros", "border", "reflection")  # and GridSamplerPadding


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,  # noqa: A002
                padding: Any, dilation: Any, transposed: bool, output_padding: Any,
                groups: int) -> Tensor:
    """torch.convolution: the 1-, 2- or 3-D (transposed) convolution weight's dims ask for."""
    if weight.ndim not in (3, 4, 5):
        raise TensorError(f"convolution: expected a weight of 3, 4 or 5 dims, got shape "
                          f"{tuple(weight.shape)}")
    conv = _CONVS[bool(transposed)][weight.ndim - 3]
    if transposed:
        return conv(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return conv(input, weight, bias, stride, padding, dilation, groups)


def _mean_and_rstd(input: Tensor, dims: tuple[int, ...], eps: float,  # noqa: A002
                   keepdim: bool = False) -> tuple[Tensor, Tensor]:
    mean = input.mean(dim=dims, keepdim=keepdim)
    variance = input.var(dim=dims, unbiased=False, keepdim=keepdim)
    return mean, (variance + eps).rsqrt()


def native_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,  # noqa: A002
                      running_mean: Tensor | None, running_var: Tensor | None, training: bool,
                      momentum: float, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """torch.native_batch_norm: (F.batch_norm's output, the batch mean per channel, its
    1 / sqrt(biased var + eps)); in eval the two statistics are empty. As PyTorch's, only
    the output carries a gradient."""
    output = F._batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                          eps)
    if not training:
        empty = input.new_zeros(0)
        return output, empty, empty.clone()
    dims = (0, *range(2, input.ndim))
    return (output, *_mean_and_rstd(input.detach(), dims, eps))  # (no gradient: PyTorch's)


def native_layer_norm(input: Tensor, normalized_shape: Any,  # noqa: A002
                      weight: Tensor | None, bias: Tensor | None,
                      eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """torch.native_layer_norm: (F.layer_norm's output, mean, 1 / sqrt(var + eps)), the two
    statistics over the normalised dims, kept as size-1 dims; only the output carries a
    gradient, as PyTorch's."""
    if not isinstance(normalized_shape, (tuple, list)):  # (F.layer_norm takes an int)
        raise TypeError(f"native_layer_norm(): argument 'normalized_shape' must be a tuple of "
                        f"ints, not {type(normalized_shape).__name__}")
    shape = tuple(normalized_shape)
    output = F.layer_norm(input, shape, weight, bias, eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    return (output, *_mean_and_rstd(input.detach(), dims, eps, keepdim=True))  # (as above)


def native_group_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,  # noqa: A002
                      N: int, C: int, HxW: int, group: int,  # noqa: N803 (PyTorch's names)
                      eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """torch.native_group_norm: (F.group_norm's output, mean (N, group), 1 / sqrt(var + eps)
    (N, group)); input holds N * C * HxW values. All three carry gradients, as PyTorch's."""
    if input.numel() != N * C * HxW:
        raise TensorError(f"native_group_norm: expected an input of N * C * HxW = "
                          f"{N} * {C} * {HxW} values, got shape {tuple(input.shape)}")
    output = F.group_norm(input, group, weight, bias, eps)
    return (output, *_mean_and_rstd(input.reshape(N, group, -1), (2,), eps))


def _mode(names: tuple[str, ...], value: int, what: str) -> str:
    if not 0 <= int(value) < len(names):
        raise TensorError(f"grid_sampler: {what} must be an int in 0..{len(names) - 1} "
                          f"({', '.join(names)}), got {value!r}")
    return names[int(value)]


def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int,  # noqa: A002
                 padding_mode: int, align_corners: bool) -> Tensor:
    """torch.grid_sampler: F.grid_sample with PyTorch's int modes (interpolation 0 bilinear,
    1 nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection)."""
    return F.grid_sample(input, grid, _mode(_INTERPOLATIONS, interpolation_mode,
                                            "interpolation_mode"),
                         _mode(_PADDINGS, padding_mode, "padding_mode"), align_corners)


def _grid_sampler_nd(dims: int) -> Any:
    def sample(input: Tensor, grid: Tensor, interpolation_mode: int,  # noqa: A002
               padding_mode: int, align_corners: bool) -> Tensor:
        if input.ndim != dims + 2:
            raise TensorError(f"grid_sampler_{dims}d: expected a {dims + 2}-D input, got shape "
                              f"{tuple(input.shape)}")
        return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)

    sample.__name__ = sample.__qualname__ = f"grid_sampler_{dims}d"
    sample.__doc__ = f"torch.grid_sampler_{dims}d: grid_sampler of a {dims + 2}-D input."
    return sample


grid_sampler_2d, grid_sampler_3d = _grid_sampler_nd(2), _grid_sampler_nd(3)


def affine_grid_generator(theta: Tensor, size: Any, align_corners: bool) -> Tensor:
    """torch.affine_grid_generator: F.affine_grid."""
    return F.affine_grid(theta, list(size), align_corners)


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:  # noqa: A002
    """torch.conv_tbc: F.conv_tbc (a 1-D convolution of input (time, batch, in), C-ordered)."""
    return F.conv_tbc(input, weight, bias, pad)


def native_dropout(input: Tensor, p: float, train: bool | None) -> tuple[Tensor, Tensor]:  # noqa: A002
    """torch.native_dropout: (input * mask / (1 - p), mask), each element kept (mask True)
    with probability 1 - p; with `train=False`, (a copy of input, all True)."""
    if train is False:
        return input.clone(), input.new_ones(input.shape, dtype=bool)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={1 - p}")
    keep = generator().bernoulli(1 - p, tuple(input.shape))  # (PyTorch's mask.bernoulli_(1 - p))
    return input * Tensor(keep.astype(input.dtype)) * (0.0 if p == 1 else 1 / (1 - p)), \
        Tensor(keep)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    """torch.native_channel_shuffle: F.channel_shuffle."""
    return channel_shuffle(input, groups)


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman step: tanh(input w_ih^T + b_ih + hx w_hh^T + b_hh)."""
    return _rnn_step(Tensor.tanh)(F.linear(input, w_ih, b_ih), hx, w_hh, b_hh)


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman step with relu."""
    return _rnn_step(Tensor.relu)(F.linear(input, w_ih, b_ih), hx, w_hh, b_hh)


def lstm_cell(input: Tensor, hx: Any, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step: (h', c') from hx = (h, c), gates i, f, g, o as nn.LSTMCell."""
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError(f"lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, "
                        f"not {type(hx).__name__}")
    return _lstm_step(F.linear(input, w_ih, b_ih), tuple(hx), w_hh, b_hh)


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
             b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One GRU step, gates r, z, n as nn.GRUCell."""
    return _gru_step(F.linear(input, w_ih, b_ih), hx, w_hh, b_hh)


__all__ = ["convolution", "native_batch_norm", "native_layer_norm", "native_group_norm",
           "grid_sampler", "grid_sampler_2d", "grid_sampler_3d", "affine_grid_generator",
           "conv_tbc", "native_dropout", "native_channel_shuffle", "rnn_tanh_cell",
           "rnn_relu_cell", "lstm_cell", "gru_cell"]
