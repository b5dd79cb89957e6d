"""PyTorch's `torch.normal` and `torch.multinomial`, drawing from the library generator
(`tg.manual_seed`) or from the `generator=` given (a tg.Generator or np.random.Generator).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.device import check_placement
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import DtypeError
from tinygrad_np.functional_forms import write_out
from tinygrad_np.ops.masked import MaskedBy
from tinygrad_np.rng import Generator, number_text, numpy_generator
from tinygrad_np.tensor import Tensor, _data, _non_negative, int_value

Source = Generator | np.random.Generator | None


def normal(mean: Tensor | float, std: Tensor | float = 1.0, size: Any = None, *,
           generator: Source = None, dtype: Any = None, requires_grad: bool = False,
           device: Any = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Samples of N(mean, std): `normal(mean_tensor, std_tensor)` (broadcast),
    `normal(mean_tensor, std=1.0)`, `normal(mean, std_tensor)` or `normal(mean, std, size)`.

    As in PyTorch the result is in the graph of tensor means and stds with gradient 0 (no
    reparameterisation: for that, use `mean + std * tg.randn_like(mean)` or a
    distribution's `rsample`).
    """
    check_placement("normal", device, layout, pin_memory)
    draw = numpy_generator(generator)
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal: with a float mean and std, give the size "
                            "(normal(mean, std, size))")
        if not std >= 0:  # (NaN too, as PyTorch)
            raise RuntimeError(f"normal expects std >= 0.0, but found std {number_text(std)}")
        shape = _non_negative("normal", (size,) if isinstance(size, (int, np.integer))
                              else tuple(size))
        samples = draw.randn(shape, dtype or get_default_dtype(), mean, std)
        return Tensor(samples, requires_grad=requires_grad)
    if size is not None:
        raise TypeError("normal: size is only for a float mean and std")
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if any(t.dtype.kind != "f" for t in tensors):
        kinds = ", ".join(str(t.dtype) for t in tensors)
        raise NotImplementedError(f"normal: not implemented for {kinds} tensors (PyTorch: "
                                  "\"normal_kernel_cpu\" not implemented); pass float tensors")
    if isinstance(std, Tensor) and not np.all(std._data >= 0):  # (NaN too, as PyTorch)
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if isinstance(std, (int, float)) and not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {number_text(std)}")
    try:
        shape = np.broadcast_shapes(*(t.shape for t in tensors))
    except ValueError:
        raise RuntimeError(f"normal: the shapes of mean {tuple(np.shape(_data(mean)))} and std "
                           f"{tuple(np.shape(_data(std)))} do not broadcast") from None
    kind = np.result_type(*(t.dtype for t in tensors))
    noise = draw.randn(shape, kind)  # (PyTorch: normal_(0, 1), then * std + mean)
    samples = Tensor(_data(mean) + _data(std) * noise)
    for tensor in tensors:  # in the graph with gradient 0, as PyTorch's
        if tensor.requires_grad:
            samples = samples + tensor._graph_zero()
    return samples.to(kind)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Source = None, out: Tensor | None = None) -> Tensor:
    """Indices drawn from each row of `input` (1-D, or 2-D: one row per distribution), with
    probability proportional to the row's (non-negative) weights; int64, no gradient.

    Without replacement an index is drawn at most once per row (zero-weight ones last).
    """
    weights = input._data if isinstance(input, Tensor) else np.asarray(input)
    if weights.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if weights.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, "
                           f"got: {weights.dtype.name}")
    if isinstance(num_samples, bool):
        raise TypeError("multinomial(): argument 'num_samples' must be int, not bool")
    num_samples = int_value("multinomial", "num_samples", num_samples)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    rows = np.atleast_2d(weights).astype(np.float64)
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples "
                           "without replacement")
    if not np.all(np.isfinite(rows)) or np.any(rows < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1, keepdims=True)
    if np.any(totals <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    draw = numpy_generator(generator)
    if replacement and num_samples > 1:  # PyTorch's: a random64() uniform per draw, row by
        uniforms = draw.unit(rows.size // rows.shape[1] * num_samples, np.float64)  # row, into
        picks = _inverse_cdf(rows.astype(weights.dtype), uniforms.reshape(len(rows), -1))
    else:  # weight / Exp(1) keys in the input's dtype, the largest first (PyTorch's way)
        keys = -(rows.astype(weights.dtype) / draw.exponential_(1.0, rows.shape).astype(
            weights.dtype))
        picks = _smallest(keys, num_samples)
    picks = np.minimum(picks, rows.shape[1] - 1).astype(np.int64)
    return write_out("multinomial", out, Tensor(picks if weights.ndim == 2 else picks[0]))


def categorical_draws(weights: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Category indices by the inverse CDF: weights (*batch, K) non-negative, uniform
    (*sample, *batch) in [0, 1) -> int64 (*sample, *batch). Each row's normalised CDF is
    shifted by its row number, so one searchsorted over all rows (sorted as a whole) serves
    every draw, in memory of the weights plus the draws."""
    k = weights.shape[-1]
    cdf = np.cumsum(weights.reshape(-1, k).astype(np.float64), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cdf /= cdf[:, -1:]  # the last entry exactly 1
    rows = np.arange(cdf.shape[0], dtype=np.float64)
    shifted = (cdf + rows[:, None]).reshape(-1)
    row_of_draw = np.broadcast_to(rows.reshape(weights.shape[:-1]), uniform.shape)
    picks = np.searchsorted(shifted, uniform + row_of_draw, side="right")
    row_of_draw = row_of_draw.astype(np.int64)
    picks = picks - row_of_draw * k
    past = picks >= k  # (u + row rounded up to the next row: the row's last likely class)
    if past.any():
        last = k - 1 - np.argmax(weights.reshape(-1, k)[:, ::-1] > 0, axis=1)
        picks = np.where(past, last[row_of_draw], picks)
    return np.maximum(picks, 0).astype(np.int64)


def _inverse_cdf(rows: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """PyTorch's multinomial with replacement: each row's running sum in its dtype, divided
    by the total, the last entry set to 1; a draw u is the first index whose entry >= u."""
    cdf = np.cumsum(rows, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cdf /= cdf[:, -1:]
    cdf[:, -1] = 1
    return np.stack([np.searchsorted(row.astype(np.float64), draws, side="left")
                     for row, draws in zip(cdf, uniforms, strict=True)])


def _smallest(keys: np.ndarray, k: int) -> np.ndarray:
    """The indices of each row's k smallest keys, in increasing order of key (a partial
    sort: few draws from many categories stay fast)."""
    if k < keys.shape[1]:
        chosen = np.argpartition(keys, k - 1, axis=1)[:, :k]
        order = np.argsort(np.take_along_axis(keys, chosen, 1), axis=1, kind="stable")
        return np.take_along_axis(chosen, order, 1)
    return np.argsort(keys, axis=1, kind="stable")


def poisson(input: Tensor, generator: Source = None) -> Tensor:  # noqa: A002
    """Counts drawn from Poisson(rate) for each rate in `input` (non-negative floats), in its
    dtype, from the library's seeded generator (or `generator`); no gradient."""
    rates = input._data if isinstance(input, Tensor) else np.asarray(input)
    if rates.dtype.kind != "f":
        raise DtypeError(f"\"poisson_cpu\" not implemented for '{rates.dtype.name}' "
                         f"(poisson: expected a floating-point tensor of rates)")
    if (rates < 0).any() or np.isnan(rates).any():
        raise RuntimeError("poisson: the rates must be non-negative (and not NaN)")
    with np.errstate(over="ignore"):  # (-2**63 in float16: -inf, as PyTorch)
        counts = numpy_generator(generator).poisson(rates).astype(rates.dtype)
    if isinstance(input, Tensor) and input.requires_grad:  # as PyTorch: in the graph, with
        return MaskedBy.apply(counts, input)  # derivative 0
    return Tensor(counts)
