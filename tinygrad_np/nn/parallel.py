"""`nn.DataParallel` and `nn.parallel.DistributedDataParallel` (also as
`nn.parallel.DataParallel`) for scripts written for several
GPUs: with one CPU process they run the wrapped module as it is. As in PyTorch the module is
the attribute `module`, so state-dict keys start with "module." (and `model.module` is how
those scripts reach the inner model)."""

from __future__ import annotations

from typing import Any

from tinygrad_np.nn.module import Module


class DataParallel(Module):
    """Runs `module` (device_ids, output_device and dim are accepted and not needed)."""

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.device_ids, self.output_device, self.dim = device_ids or [], output_device, dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)


class DistributedDataParallel(DataParallel):
    """Runs `module`: one process has nothing to synchronise (`no_sync()` is a no-op)."""

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, **options: Any) -> None:
        super().__init__(module, device_ids, output_device, dim)

    def no_sync(self) -> Any:
        import contextlib  # noqa: PLC0415

        return contextlib.nullcontext()
