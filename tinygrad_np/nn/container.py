"""`Sequential`: modules applied one after another."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from tinygrad_np.nn.module import Module
from tinygrad_np.tensor import Tensor


class Sequential(Module):
    """Calls its modules in order, each on the previous one's output.

    `Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))`, or with names,
    `Sequential(OrderedDict(hidden=..., act=...))`. Each module is an attribute named by its
    position ("0", "1", ...) or key, so parameters are named `0.weight`, `hidden.bias`.
    Indexable (a slice gives a Sequential), iterable, and has a length.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            named = list(modules[0].items())
        else:
            named = [(str(position), module) for position, module in enumerate(modules)]
        for name, module in named:
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: item {name} is a {type(module).__name__}, not an nn.Module"
                )
            setattr(self, name, module)

    def _named_layers(self) -> list[tuple[str, Module]]:
        """Every (name, module) in order, repeats included (a module may be used twice)."""
        return [(name, value) for name, value in vars(self).items() if isinstance(value, Module)]

    def _layers(self) -> list[Module]:
        return [module for _, module in self._named_layers()]

    def forward(self, x: Tensor) -> Tensor:
        for module in self._layers():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(OrderedDict(self._named_layers()[index]))
        return self._layers()[index]

    def __len__(self) -> int:
        return len(self._layers())

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers())

    def append(self, module: Module) -> Sequential:
        """Add `module` at the end (named by its position); returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: got a {type(module).__name__}, not an nn.Module")
        position = len(self)
        while hasattr(self, str(position)):  # after a slice the names need not be 0..n-1
            position += 1
        setattr(self, str(position), module)
        return self
