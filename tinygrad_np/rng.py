"""The random generator behind tg.randn, tg.rand and nn initialisation.

One NumPy Generator for the whole library, so `tg.manual_seed(n)` makes every random factory
and every layer initialisation reproducible.

Every draw gets its NumPy generator from `generator()` or `numpy_generator()`: the one place
`func.vmap`'s `randomness` is enforced (see `vmap_randomness`). Outside vmap that costs one
attribute test.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from tinygrad_np.device import as_device
from tinygrad_np.errors import TensorError

_seed = int(np.random.SeedSequence().entropy % 2**63)  # as PyTorch: random until seeded
_generator = np.random.default_rng(_seed)


def _seed_value(seed: Any) -> int:
    """PyTorch's seeds: int(seed) in [-2**63, 2**64); a negative one wraps to 2**64 + seed."""
    value = int(seed)
    if not -(2**63) <= value < 2**64:
        raise TensorError(f"manual_seed: the seed {value} is outside [-2**63, 2**64) "
                         "(PyTorch: Overflow when unpacking long long)")
    return value % 2**64


def manual_seed(seed: int) -> Generator:
    """Reseed the library's generator; returns it as a Generator (PyTorch's default
    generator: `.initial_seed()`, `.get_state()`, and usable as `generator=`)."""
    global _generator, _seed
    value = _seed_value(seed)
    _generator = np.random.default_rng(value)
    _seed = value
    return default_generator


def fresh_state(seed: int) -> tuple[np.random.Generator, int]:
    """A state of the library's generator seeded with `seed`, for swap_state."""
    value = _seed_value(seed)
    return np.random.default_rng(value), value


def swap_state(state: tuple[np.random.Generator, int]) -> tuple[np.random.Generator, int]:
    """Make `state` (from fresh_state or swap_state) the library's generator and return the one
    it replaces: a DataLoader worker draws from its own generator while it runs."""
    global _generator, _seed
    previous = (_generator, _seed)
    _generator, _seed = state
    return previous


def seed() -> int:
    """Reseed the library's generator from fresh entropy; returns the new seed."""
    new_seed = int(np.random.SeedSequence().entropy % 2**63)
    manual_seed(new_seed)
    return new_seed


def initial_seed() -> int:
    """The seed the library's generator was last seeded with (random until manual_seed)."""
    return _seed


def generator() -> np.random.Generator:
    """The generator random factories and initialisers draw from."""
    if _vmap.levels:
        _drawing(_generator)
    return _generator


class _Vmap(threading.local):
    levels: tuple = ()  # per vmap running in this thread: (randomness, {id: (gen, state)})


_vmap = _Vmap()


def in_vmap() -> bool:
    """True while func.vmap runs its slices (in this thread)."""
    return bool(_vmap.levels)


_RANDOM_IN_VMAP = ("vmap: called random operation while in randomness error mode. Please "
                   "either use the 'same' or 'different' randomness flags on vmap or perform "
                   "the randomness operation out of vmap")


def _drawing(source: np.random.Generator) -> None:
    """A random op is about to draw from `source` inside vmap: PyTorch's error under
    randomness='error'; under 'same', the state it starts from is noted (once per vmap)."""
    for randomness, states in _vmap.levels:
        if randomness == "error":
            raise RuntimeError(_RANDOM_IN_VMAP)
        if randomness == "same" and id(source) not in states:
            states[id(source)] = (source, source.bit_generator.state)


@contextmanager
def vmap_randomness(randomness: str) -> Iterator[Callable[[], None]]:
    """The context func.vmap runs its slices in; it yields `restart`, called before each
    slice after the first: under 'same' it puts every generator drawn from back where the
    first slice found it, so each slice draws the same values ('different': each its own)."""
    if randomness not in ("error", "same", "different"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    level: tuple = (randomness, {})
    previous = _vmap.levels
    _vmap.levels = (*previous, level)

    def restart() -> None:
        for source, state in level[1].values():
            source.bit_generator.state = state

    try:
        yield restart
    finally:
        _vmap.levels = previous


def _state_bytes(generator: np.random.Generator) -> Any:
    """A generator's state as a uint8 tensor (PyTorch's get_rng_state gives a ByteTensor)."""
    from tinygrad_np.tensor import Tensor  # noqa: PLC0415  (rng sits below tensor)

    text = json.dumps(generator.bit_generator.state)
    return Tensor(np.frombuffer(text.encode(), dtype=np.uint8).copy())


TORCH_STATE_BYTES = 5056  # PyTorch's CPUGeneratorImplState, as torch.get_rng_state() gives it


def _restore(generator: np.random.Generator, state: Any) -> None:
    array = np.asarray(state._data if hasattr(state, "_data") else state)
    if array.dtype != np.uint8 or array.ndim != 1:
        raise TypeError("set_rng_state: expected the uint8 tensor get_rng_state() returned")
    if array.size == TORCH_STATE_BYTES and array[:1].tobytes() != b"{":
        # PyTorch's CPU state (a checkpoint's `torch.get_rng_state()`): its Mersenne Twister
        # is not NumPy's, so the generator is seeded from all its bytes: reproducible, the
        # same state giving the same draws here, but not PyTorch's numbers.
        seeded = type(generator.bit_generator)(np.frombuffer(array.tobytes(), np.uint32))
        generator.bit_generator.state = seeded.state
        return
    try:
        generator.bit_generator.state = json.loads(array.tobytes().decode())
    except (ValueError, TypeError, KeyError) as error:
        raise TensorError(f"set_rng_state: not a state from get_rng_state() ({error})") from None


def get_rng_state() -> Any:
    """The library generator's state, to restore with set_rng_state."""
    return _state_bytes(_generator)


def set_rng_state(new_state: Any) -> None:
    """Restore the library generator's state from get_rng_state()."""
    _restore(_generator, new_state)


class Generator:
    """PyTorch's `torch.Generator` on NumPy: a seedable source of randomness of its own.

    `tg.Generator().manual_seed(42)` for `DataLoader(..., generator=)` and `random_split`;
    `.numpy` is the underlying np.random.Generator.
    """

    def __init__(self, device: Any = "cpu") -> None:
        as_device(device, "Generator")  # (another device: PyTorch's RuntimeError)
        self._seed: int | None = None
        self.numpy = np.random.default_rng()
        self._device = device

    @property
    def device(self) -> Any:
        """The device the generator draws for: always the CPU (a `tg.device`)."""
        return as_device(getattr(self, "_device", "cpu"), "Generator")

    def clone_state(self) -> Generator:
        """A new Generator in this one's state (the same seed and the same next draws)."""
        clone = Generator()
        clone._seed = self._seed
        clone.numpy.bit_generator.state = self.numpy.bit_generator.state
        return clone

    def manual_seed(self, seed: int) -> Generator:
        """Reseed; returns self (so `tg.Generator().manual_seed(0)` reads as in PyTorch). The
        seed is an int: a float, bool or tensor is PyTorch's RuntimeError (the module-level
        manual_seed converts with int(), as PyTorch's does)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        value = _seed_value(seed)
        self.numpy = np.random.default_rng(value)
        self._seed = value
        return self

    def initial_seed(self) -> int:
        """The last seed given to manual_seed (PyTorch's default seed, 67280421310721, before
        any: the draws are then from fresh entropy here)."""
        return 67280421310721 if self._seed is None else self._seed

    def get_state(self) -> Any:
        """This generator's state as a uint8 tensor (for set_state)."""
        return _state_bytes(self.numpy)

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state from get_state(); returns self."""
        _restore(self.numpy, new_state)
        return self

    def get_offset(self) -> int:
        """PyTorch's CPU generators have no offset (a Philox counter of CUDA's): raises."""
        raise RuntimeError("CPU Generator does not use offset")

    def set_offset(self, offset: int) -> Generator:
        """PyTorch's CPU generators have no offset: raises."""
        raise RuntimeError("CPU Generator does not use offset")

    def graphsafe_get_state(self) -> Generator:
        """CUDA-graph-safe state, which a CPU generator does not support: raises."""
        raise NotImplementedError("graphsafe_get_state is not supported in this Generator")

    def graphsafe_set_state(self, state: Generator) -> Generator:
        """CUDA-graph-safe state, which a CPU generator does not support: raises."""
        raise NotImplementedError("graphsafe_set_state is not supported in this Generator")

    def seed(self) -> int:
        """Reseed from fresh entropy; returns the seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % 2**63))
        return self._seed  # type: ignore[return-value]


def numpy_generator(source: Generator | np.random.Generator | None) -> np.random.Generator:
    """The np.random.Generator behind `source`; None means the library's global one."""
    if source is None:
        chosen = _generator
    elif isinstance(source, Generator):
        chosen = source.numpy
    elif isinstance(source, np.random.Generator):
        chosen = source
    else:
        raise TypeError(f"generator: expected a tg.Generator or np.random.Generator, "
                        f"got {type(source).__name__}")
    if _vmap.levels:
        _drawing(chosen)
    return chosen


def number_text(value: Any) -> str:
    """A parameter as PyTorch's messages print it (`-1`, `0.5`, `1e-10`)."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def uniform(generator: np.random.Generator, low: float, high: float, shape: Any,
            dtype: Any) -> np.ndarray:
    """Samples of U[low, high) in `dtype`, drawn in float64; one that rounds up to `high` in a
    narrower dtype becomes the largest value below it (PyTorch's interval is half-open: a
    float32 rand() that gave 1.0 once in 33 million draws made Exponential samples inf)."""
    if not high >= low:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={number_text(low)} > to={number_text(high)}")
    dtype = np.dtype(dtype)
    for name, bound in (("from", low), ("to", high)):
        if dtype.kind == "f" and not abs(bound) <= np.finfo(dtype).max:  # (PyTorch's check)
            raise RuntimeError(f"{name} is out of bounds for {dtype}")
    values = np.asarray(low + (high - low) * generator.random(shape)).astype(dtype)  # (shape ())
    if dtype.kind == "f" and high > low:
        np.minimum(values, np.nextafter(dtype.type(high), dtype.type(low)), out=values)
    return values


class _DefaultGenerator(Generator):
    """The library's own generator seen as a Generator (PyTorch's `torch.default_generator`):
    it draws from, and reseeds, the one every random factory uses."""

    def __init__(self) -> None:  # (no state of its own)
        pass

    @property
    def numpy(self) -> np.random.Generator:  # type: ignore[override]
        return _generator

    @property
    def _seed(self) -> int | None:  # type: ignore[override]
        return _seed

    def manual_seed(self, seed: int) -> Generator:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        return manual_seed(seed)


default_generator = _DefaultGenerator()

