"""`torch.distributions.Wishart(df, covariance_matrix | precision_matrix | scale_tril)`: the
distribution of sum_k x_k x_k^T over df draws x_k ~ N(0, Sigma), on positive definite
matrices (df > dim - 1; a df below dim warns, as PyTorch: singular draws are then likely).

PyTorch's forms: draws by the Bartlett decomposition (L A A^T L^T, A lower triangular with
sqrt(Chi2(df - i)) on its diagonal and standard normals below it), so rsample differentiates
in the scale and, through Chi2's implicit reparameterisation, in df; a singular draw is
redrawn up to 10 times with PyTorch's "Singular sample detected." warning. log_prob and
entropy are compositions of Tensor ops.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from tinygrad_np import linalg
from tinygrad_np.distributions import constraints
from tinygrad_np.distributions.distribution import (
    ShapeLike,
    broadcast_all,
    standard_normal,
)
from tinygrad_np.distributions.exp_family import ExponentialFamily
from tinygrad_np.distributions.families import MatrixForms
from tinygrad_np.distributions.more_families import Chi2
from tinygrad_np.tensor import Tensor

_LOG_2 = math.log(2)


def _mvdigamma(x: Tensor, p: int) -> Tensor:
    """sum_{i < p} digamma(x - i / 2) (the derivative of mvlgamma)."""
    offsets = Tensor(np.arange(p, dtype=np.dtype(x.dtype)) / 2)
    return (x.unsqueeze(-1) - offsets).digamma().sum(-1)


class Wishart(MatrixForms, ExponentialFamily):
    """The Wishart distribution (see the module docstring); an ExponentialFamily, as
    PyTorch's: natural parameters (-precision / 2, (df - dim - 1) / 2)."""

    has_rsample = True
    support = constraints.positive_definite
    _mean_carrier_measure = 0  # (PyTorch's: the Bregman entropy is the entropy)

    @property
    def arg_constraints(self) -> dict:  # type: ignore[override]
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df: Tensor | float, covariance_matrix: Tensor | None = None,
                 precision_matrix: Tensor | None = None, scale_tril: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or "
                                 "scale_tril may be specified.")  # (PyTorch's class)
        matrix = broadcast_all(given[0])[0]
        if matrix.ndim < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if not isinstance(df, Tensor):  # (a number: a constant in the matrix's dtype)
            df = Tensor(np.asarray(df, dtype=np.dtype(matrix.dtype)))
        batch = tuple(np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(df.shape)))
        p = matrix.shape[-1]
        self.df = df.expand(batch)
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        name = ("covariance_matrix" if covariance_matrix is not None else
                "precision_matrix" if precision_matrix is not None else "scale_tril")
        setattr(self, name, matrix.expand((*batch, p, p)))
        if bool((self.df < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur "
                          "for ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch, (p, p), validate_args)
        self._chi2 = Chi2(self.df.unsqueeze(-1) - Tensor(np.arange(p, dtype=np.dtype(
            matrix.dtype))), validate_args=False)

    def _df(self) -> Tensor:
        return self.df.reshape(tuple(self.batch_shape) + (1, 1))

    @property
    def mean(self) -> Tensor:
        return self._df() * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        factor = self.df - self.event_shape[-1] - 1
        factor = factor.where(factor > 0, float("nan"))
        return factor.reshape(tuple(self.batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        v = self.covariance_matrix
        diagonal = v.diagonal(dim1=-2, dim2=-1)
        return self._df() * (v**2 + diagonal.unsqueeze(-1) * diagonal.unsqueeze(-2))

    def _bartlett(self, sample_shape: tuple[int, ...]) -> Tensor:
        shape = tuple(sample_shape) + tuple(self.batch_shape) + tuple(self.event_shape)
        tiny = float(np.finfo(np.dtype(self.df.dtype)).eps)
        diagonal = self._chi2.rsample(sample_shape).sqrt().clamp(min=tiny)
        p = shape[-1]  # PyTorch's draws: one normal per entry below the diagonal, row by row
        below = standard_normal(shape[:-2] + (p * (p - 1) // 2,), self.df.dtype)
        rows, cols = np.tril_indices(p, -1)
        lower = Tensor(np.zeros((p * (p - 1) // 2, p * p), below.dtype))
        lower._data[np.arange(len(rows)), rows * p + cols] = 1  # (a gather, differentiable)
        noise = diagonal.diag_embed() + (below @ lower).reshape(shape)
        chol = self._unbroadcasted_scale_tril @ noise
        return chol @ chol.mT

    def rsample(self, sample_shape: ShapeLike = (), max_try_correction: int | None = None
                ) -> Tensor:
        sample_shape = tuple(sample_shape)
        sample = self._bartlett(sample_shape)
        batch_dims = tuple(range(-len(self.batch_shape), 0))
        # PyTorch 2.13's first check is not negated: its positive-definite samples (nearly all)
        # count as singular, so it warns and draws them again; done the same here, so the
        # draws and the random stream after them are PyTorch's.
        flagged = constraints.positive_definite.check(sample)
        if batch_dims:
            flagged = flagged.any(batch_dims)
        if not bool(flagged.any()):
            return sample
        warnings.warn("Singular sample detected.", stacklevel=2)
        flat = sample.reshape((-1, *sample.shape[len(sample_shape):]))
        flagged = flagged.numpy().reshape(-1).copy()
        for _ in range(10 if max_try_correction is None else max_try_correction):
            fresh = self._bartlett((int(flagged.sum()),))
            pick = Tensor(np.cumsum(flagged) - 1).clamp(min=0)
            mask = Tensor(flagged).reshape((-1,) + (1,) * (flat.ndim - 1))
            flat = fresh.index_select(0, pick).where(mask, flat)
            still = ~constraints.positive_definite.check(fresh)
            if batch_dims:
                still = still.any(batch_dims)
            flagged[flagged] = still.numpy().reshape(-1)
            if not flagged.any():
                break
        return flat.reshape(sample.shape)

    def _log_det_scale(self) -> Tensor:
        p = self.event_shape[-1]
        factor = self._unbroadcasted_scale_tril
        return p * _LOG_2 / 2 + factor.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        nu, p = self.df, self.event_shape[-1]
        trace = linalg.cholesky_solve(value, self._unbroadcasted_scale_tril).diagonal(
            dim1=-2, dim2=-1).sum(-1)
        return (-nu * self._log_det_scale() - (nu / 2).mvlgamma(p)
                + (nu - p - 1) / 2 * linalg.slogdet(value)[1] - trace / 2)

    def entropy(self) -> Tensor:
        nu, p = self.df, self.event_shape[-1]
        return ((p + 1) * self._log_det_scale() + (nu / 2).mvlgamma(p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        p = self.event_shape[-1]
        return -self.precision_matrix / 2, (self.df - p - 1) / 2

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:  # type: ignore[override]
        p = self.event_shape[-1]
        return (y + (p + 1) / 2) * (-linalg.slogdet(-2 * x)[1] + _LOG_2 * p) + (
            y + (p + 1) / 2).mvlgamma(p)
