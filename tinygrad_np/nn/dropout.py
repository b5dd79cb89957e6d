"""Dropout layers: Dropout (elements), Dropout1d/2d/3d (whole channels) and AlphaDropout
(for SELU), active only in training."""

from __future__ import annotations

from tinygrad_np.nn import functional as F
from tinygrad_np.nn.module import Module
from tinygrad_np.tensor import Tensor


class _DropoutNd(Module):
    """PyTorch's base of the dropout layers: the probability `p` (checked) and `inplace`."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        F._check_probability(p, type(self).__name__)
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training, zero each element with probability p and scale the rest by 1/(1-p);
    in eval, the identity. Masks come from the library generator (`tg.manual_seed`)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Dropout of whole channels of (N, C, H, W) or unbatched (C, H, W) inputs: every value of
    a dropped channel is zero, the kept channels are scaled by 1/(1-p)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Dropout of whole channels of (N, C, L) or unbatched (C, L) inputs."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Dropout of whole channels of (N, C, D, H, W) or unbatched (C, D, H, W) inputs."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's mean 0 and variance 1 (see F.alpha_dropout); the identity
    in eval."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        # (`inplace` is shown but not used, as PyTorch's: the input is never overwritten)
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """AlphaDropout of whole channels (see F.feature_alpha_dropout); the identity in eval."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.feature_alpha_dropout(input, self.p, self.training)  # (inplace: unused)
