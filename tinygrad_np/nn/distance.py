"""Distance layers as torch.nn's: CosineSimilarity and PairwiseDistance (module forms of
F.cosine_similarity and F.pairwise_distance)."""

from __future__ import annotations

from tinygrad_np.nn import functional as F
from tinygrad_np.nn.module import Module
from tinygrad_np.tensor import Tensor


class CosineSimilarity(Module):
    """x1 . x2 / (max(|x1|, eps) max(|x2|, eps)) along `dim`, broadcasting."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """The p-norm of x1 - x2 + eps along the last dim, broadcasting (PyTorch's attribute
    names: `norm` is p)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
