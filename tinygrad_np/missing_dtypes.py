"""PyTorch's dtypes that NumPy has no type for: `torch.bfloat16`, the float8s, `complex32`;
and the complex dtypes (`complex64`/`cfloat`, `complex128`/`cdouble`): no complex tensors.

Scripts name them even when they never make such a tensor: nanoGPT's
`{'float32': torch.float32, 'bfloat16': torch.bfloat16, 'float16': torch.float16}[dtype]`,
`torch.autocast(device_type, dtype=torch.bfloat16)`, `if x.dtype == torch.bfloat16`. So each
is an object that can be named, compared (equal only to itself), hashed, printed as PyTorch
prints it and given to autocast (which changes no dtype here). Making a tensor of one
(`dtype=torch.bfloat16`, `.to(torch.bfloat16)`) raises a TypeError saying why: every dtype
conversion goes through `np.dtype(...)`, which reads the `dtype` attribute below.
"""

from __future__ import annotations

from typing import Any

from tinygrad_np.dtypes import dtype


class MissingDtype(dtype):
    """A PyTorch dtype with no NumPy counterpart (see the module docstring)."""

    __slots__ = ("limits",)

    @classmethod
    def _missing(cls, name: str, itemsize: int, complex_: bool = False,
                 limits: tuple[float, float, float, float] | None = None) -> MissingDtype:
        self = cls._named(name, None, "c" if complex_ else "f", itemsize)
        self.limits = limits  # (eps, max, smallest normal, resolution) for torch.finfo
        return self

    @property
    def dtype(self) -> Any:
        """Refused: what `np.dtype(torch.bfloat16)` (every dtype conversion) raises."""
        if self.is_complex:
            raise TypeError(f"torch.{self.name}: tinygrad_np has no complex tensors, so no "
                            f"{self.name} tensors; keep the real and imaginary parts as two "
                            "real tensors")
        raise TypeError(f"torch.{self.name}: NumPy has no {self.name} type, so tinygrad_np has "
                        f"no {self.name} tensors; use float16 or float32 (torch.autocast("
                        f"dtype=torch.{self.name}) is accepted and changes no dtype here)")

    def __eq__(self, other: object) -> bool:
        return self is other  # (NumPy's dtypes included: there is no NumPy twin)

    __hash__ = object.__hash__

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"'torch.dtype' object has no attribute {name!r}")


_missing = MissingDtype._missing

# the formats' limits: 7, 3 and 2 stored mantissa bits; exponent bias 127, 7 and 15
# (e4m3fn has no infinities: its largest value is 1.75 * 2**8)
bfloat16 = _missing("bfloat16", 2, limits=(2.0**-7, (2 - 2.0**-7) * 2.0**127, 2.0**-126, 0.01))
float8_e4m3fn = _missing("float8_e4m3fn", 1, limits=(2.0**-3, 448.0, 2.0**-6, 1.0))
float8_e5m2 = _missing("float8_e5m2", 1, limits=(2.0**-2, 57344.0, 2.0**-14, 1.0))
complex32 = _missing("complex32", 4, complex_=True)
complex64 = _missing("complex64", 8, complex_=True)  # NumPy has these two, but
complex128 = _missing("complex128", 16, complex_=True)  # tinygrad_np has no complex tensors
MISSING = {"bfloat16": bfloat16, "float8_e4m3fn": float8_e4m3fn, "float8_e5m2": float8_e5m2,
           "complex32": complex32, "chalf": complex32, "complex64": complex64,
           "cfloat": complex64, "complex128": complex128, "cdouble": complex128}
