"""`torch.optim.swa_utils`: stochastic weight averaging and EMA of a model's weights.

    swa_model = AveragedModel(model)                       # running mean of the weights
    ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
    ...
    swa_model.update_parameters(model)                     # after optimizer steps
    update_bn(loader, swa_model)                           # BatchNorm statistics for the mean

plus SWALR, the schedule that anneals each group's rate to `swa_lr`.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_np.errors import AssertionTensorError
from tinygrad_np.factories import tensor
from tinygrad_np.function import no_grad
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.normalization import _BatchNorm
from tinygrad_np.optim.lr_scheduler import LRScheduler
from tinygrad_np.optim.optimizer import Optimizer
from tinygrad_np.tensor import Tensor

AvgFn = Callable[[Tensor, Tensor, Tensor], Tensor]
MultiAvgFn = Callable[[list, list, Tensor], None]


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """In place, for lists of tensors: ema = decay ema + (1 - decay) current."""
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"get_ema_multi_avg_fn: Invalid decay value {decay} provided. Please "
                         "provide a value in [0,1] range.")

    def ema_update(ema_params: list, current_params: list, num_averaged: Tensor) -> None:
        with no_grad():
            for ema, current in zip(ema_params, current_params, strict=True):
                if ema.is_floating_point():
                    ema.lerp_(current, 1 - decay)
                else:
                    ema.copy_(ema * decay + current * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """In place, for lists of tensors: the running mean, as PyTorch's: floats move toward the
    current values by 1 / (n + 1) (with a tensor n, a float32 0-d tensor, so the same
    rounding as PyTorch's), others by (current - avg) / (n + 1)."""
    def swa_update(averaged: list, current: list, num_averaged: Tensor | int) -> None:
        with no_grad():
            for average, value in zip(averaged, current, strict=True):
                if average.is_floating_point():
                    average.lerp_(value, 1 / (num_averaged + 1))
                else:
                    average.add_((value - average) / (num_averaged + 1))
    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """The new average of one tensor: decay ema + (1 - decay) current."""
    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Tensor) -> Tensor:
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn() -> AvgFn:
    """The new average of one tensor: the running mean."""
    def swa_update(averaged: Tensor, current: Tensor, num_averaged: Tensor) -> Tensor:
        return averaged + (current - averaged) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A deep copy of `model` (as `self.module`) whose parameters (and buffers, with
    `use_buffers=True`) are the average of the weights passed to `update_parameters`: the
    running mean by default, or `avg_fn(averaged, current, n)` / `multi_avg_fn(averaged_list,
    current_list, n)`. The first update copies the weights. `n_averaged` is a buffer."""

    def __init__(self, model: Module, device: Any = None, avg_fn: AvgFn | None = None,
                 multi_avg_fn: MultiAvgFn | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionTensorError("AveragedModel: Only one of avg_fn and multi_avg_fn "
                                       "should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype="int64"))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def _tensors(self, model: Module) -> list[Tensor]:
        if self.use_buffers:
            return list(itertools.chain(model.parameters(), model.buffers()))
        return list(model.parameters())

    def update_parameters(self, model: Module) -> None:
        """Fold `model`'s current weights into the average."""
        averaged, current = self._tensors(self.module), self._tensors(model)
        if len(averaged) != len(current):
            raise ValueError(f"AveragedModel.update_parameters: the model has {len(current)} "
                             f"tensors to average, the averaged copy {len(averaged)}")
        with no_grad():
            current = [value.detach() for value in current]
            if self.n_averaged.item() == 0:
                for average, value in zip(averaged, current):
                    average.copy_(value)
            elif self.multi_avg_fn is not None:  # once per dtype, as PyTorch groups them
                grouped = Optimizer._group_tensors_by_device_and_dtype([averaged, current])
                for (mine, theirs), _ in grouped.values():
                    self.multi_avg_fn(mine, theirs, self.n_averaged)
            else:  # every tensor, integer buffers too (num_batches_tracked), as PyTorch's
                update = self.avg_fn or get_swa_avg_fn()
                for average, value in zip(averaged, current):
                    average.copy_(update(average, value, self.n_averaged))
            if not self.use_buffers:  # the buffers follow the model (update_bn resets them)
                for mine, theirs in zip(self.module.buffers(), model.buffers()):
                    mine.copy_(theirs.detach())
        self.n_averaged += 1


def update_bn(loader: Iterable, model: Module, device: Any = None) -> None:
    """Recompute every BatchNorm's running statistics with one pass over `loader` (the
    cumulative average over its batches; a batch that is a list or tuple gives its first
    item), as the averaged weights need their own statistics."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's rate from its current value to `swa_lr` over `anneal_epochs`
    steps ("cos" or "linear"), then hold it there."""

    def __init__(self, optimizer: Optimizer, swa_lr: float | list[float],
                 anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1) -> None:
        rates = list(swa_lr) if isinstance(swa_lr, (list, tuple)) else (
            [swa_lr] * len(optimizer.param_groups))
        if len(rates) != len(optimizer.param_groups):
            raise ValueError(f"SWALR: swa_lr must have one rate per parameter group "
                             f"({len(optimizer.param_groups)}), got {len(rates)}")
        for group, rate in zip(optimizer.param_groups, rates):
            group["swa_lr"] = rate
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        # (PyTorch's attribute names: its state dicts load here, and ours there)
        self.anneal_epochs, self._anneal_strategy = anneal_epochs, anneal_strategy
        super().__init__(optimizer, last_epoch)

    def _anneal(self, t: float) -> float:
        return t if self._anneal_strategy == "linear" else (1 - math.cos(math.pi * t)) / 2

    def get_lr(self) -> list[float]:
        # the rate the schedule started from is recovered from the current one (the
        # previous step mixed it with swa_lr by the previous alpha)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        previous = self._anneal(max(0.0, min(1.0, (step - 1) / max(1, self.anneal_epochs))))
        alpha = self._anneal(max(0.0, min(1.0, step / max(1, self.anneal_epochs))))
        rates = []
        for group in self.optimizer.param_groups:
            start = group["swa_lr"] if previous == 1 else (
                (group["lr"] - previous * group["swa_lr"]) / (1 - previous))
            rates.append(group["swa_lr"] * alpha + start * (1 - alpha))
        return rates


__all__ = ["SWALR", "AveragedModel", "get_ema_avg_fn", "get_ema_multi_avg_fn",
           "get_swa_avg_fn", "get_swa_multi_avg_fn", "update_bn"]
