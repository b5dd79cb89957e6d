"""PyTorch's `nn.AdaptiveLogSoftmaxWithLoss` (Grave et al., "Efficient softmax approximation
for GPUs"): the frequent classes (below cutoffs[0]) and one entry per cluster share a head
softmax; a class in cluster i is log p(cluster i) + log p(class | cluster i), the cluster's own
softmax computed from a smaller projection (in_features / div_value^(i+1) features)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_np.join import cat
from tinygrad_np.nn.container import ModuleList, Sequential
from tinygrad_np.nn.functional import log_softmax
from tinygrad_np.nn.linear import Linear
from tinygrad_np.nn.module import Module
from tinygrad_np.tensor import Tensor

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])  # (PyTorch's name)


class AdaptiveLogSoftmaxWithLoss(Module):
    """`forward(input, target)` gives (output, loss): each row's log-probability of its
    target and their negated mean; `log_prob(input)` the full (N, n_classes) log-probabilities
    and `predict(input)` their argmax. Modules: `head` and `tail[i]` (two bias-free Linears)."""

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int],
                 div_value: float = 4.0, head_bias: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs)
                or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted "
                             "in an increasing order, where each value is between 1 and "
                             f"n_classes-1 (n_classes={n_classes}, got cutoffs={cutoffs})")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList(
            Sequential(Linear(in_features, int(in_features // div_value ** (i + 1)), bias=False,
                              dtype=dtype),
                       Linear(int(in_features // div_value ** (i + 1)),
                              self.cutoffs[i + 1] - self.cutoffs[i], bias=False, dtype=dtype))
            for i in range(self.n_clusters))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for projection, output in self.tail:
            projection.reset_parameters()
            output.reset_parameters()

    def _batched(self, input: Tensor, name: str) -> tuple[Tensor, bool]:  # noqa: A002
        if input.ndim not in (1, 2) or input.shape[-1] != self.in_features:
            raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss.{name}: input should be "
                               f"(N, {self.in_features}) or ({self.in_features},), got shape "
                               f"{tuple(input.shape)}")
        return (input, True) if input.ndim == 2 else (input.unsqueeze(0), False)

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        """(output, loss) for `input_` and `target_` (PyTorch's argument names)."""
        input, target = input_, target_  # noqa: A001
        rows, batched = self._batched(input, "forward")
        labels = np.asarray(target.numpy() if isinstance(target, Tensor) else target)
        if labels.ndim != (1 if batched else 0) or labels.reshape(-1).shape[0] != len(rows):
            raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: input of shape "
                               f"{tuple(input.shape)} and target of shape {labels.shape} "
                               "should be (N, in_features) and (N,), or (in_features,) and ()")
        labels = labels.reshape(-1)
        if labels.size and (labels.min() < 0 or labels.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but "
                               f"values in range [{labels.min()}, {labels.max()}] were found. ")
        head_entry = labels.copy()  # a row's entry of the head: its class or its cluster
        pieces, order = [], []
        for i in range(self.n_clusters):
            low, high = self.cutoffs[i], self.cutoffs[i + 1]
            chosen = np.nonzero((labels >= low) & (labels < high))[0]
            if chosen.size == 0:
                continue
            head_entry[chosen] = self.shortlist_size + i
            cluster = log_softmax(self.tail[i](rows[chosen]), dim=1)
            pieces.append(cluster.gather(1, Tensor(labels[chosen, None] - low)).squeeze(1))
            order.append(chosen)
        head = log_softmax(self.head(rows), dim=1)
        output = head.gather(1, Tensor(head_entry[:, None])).squeeze(1)
        if pieces:  # add each cluster row's log p(class | cluster), put back in row order
            shortlist = np.setdiff1d(np.arange(len(labels)), np.concatenate(order))
            zeros = Tensor(np.zeros(len(shortlist), dtype=output.dtype))
            within = cat([zeros, *pieces])[np.argsort(np.concatenate([shortlist, *order]))]
            output = output + within
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def log_prob(self, input: Tensor) -> Tensor:  # noqa: A002
        """The (N, n_classes) log-probabilities of every class ((n_classes,) unbatched)."""
        rows, batched = self._batched(input, "log_prob")
        head = log_softmax(self.head(rows), dim=1)
        columns = [head[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster = log_softmax(self.tail[i](rows), dim=1)
            columns.append(cluster + head[:, self.shortlist_size + i:self.shortlist_size + i + 1])
        full = cat(columns, 1)
        return full if batched else full.squeeze(0)

    def predict(self, input: Tensor) -> Tensor:  # noqa: A002
        """The most likely class of each row (a 0-d tensor for an unbatched input)."""
        return self.log_prob(input).argmax(dim=-1)
