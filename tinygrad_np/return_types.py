"""PyTorch's `torch.return_types`: the named tuples that ops with several results return
(`x.max(0)` is a `return_types.max` of (values, indices)). Each is a module-level class, so
`isinstance(x.max(0), tg.return_types.max)` holds and the results pickle; the repr is
PyTorch's:

    torch.return_types.max(
    values=tensor([3., 4.]),
    indices=tensor([1, 1]))

Imports nothing of tinygrad_np (the engine uses it)."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

_FIELDS = {
    **{name: "values indices" for name in (
        "max", "min", "median", "nanmedian", "mode", "sort", "topk", "kthvalue", "cummax",
        "cummin")},
    "aminmax": "min max",
    "frexp": "mantissa exponent",
    "histogram": "hist bin_edges",
    "histogramdd": "hist bin_edges",
    "slogdet": "sign logabsdet",
    "linalg_slogdet": "sign logabsdet",
    "linalg_eigh": "eigenvalues eigenvectors",
    "linalg_eig": "eigenvalues eigenvectors",
    "svd": "U S V",
    "linalg_svd": "U S Vh",
    "qr": "Q R",
    "linalg_qr": "Q R",
    "linalg_cholesky_ex": "L info",
    "linalg_inv_ex": "inverse info",
    "triangular_solve": "solution cloned_coefficient",
    "linalg_lstsq": "solution residuals rank singular_values",
    "linalg_lu_factor": "LU pivots",
    "linalg_lu_factor_ex": "LU pivots info",
    "linalg_lu": "P L U",
    "lu_unpack": "P L U",
    "linalg_solve_ex": "result info",
    "linalg_ldl_factor": "LD pivots",
    "linalg_ldl_factor_ex": "LD pivots info",
    "geqrf": "a tau",
}


def _repr(self: Any) -> str:
    """PyTorch's layout: the type, then one `field=value` a line."""
    body = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
    return f"torch.return_types.{type(self).__name__}(\n{body})"


def _new(cls: type, *args: Any, **kwargs: Any) -> Any:
    """PyTorch builds one from a single sequence (`type(out)(f(t) for t in out)`); the fields
    one by one are accepted too."""
    if len(args) == 1 and not kwargs:
        args = tuple(args[0])
    return tuple.__new__(cls, cls._tuple(*args, **kwargs))


def _make(name: str, fields: str) -> type:
    plain = namedtuple(name, fields.split(), module=__name__)
    count = len(plain._fields)
    result = type(name, (plain,), {
        "__slots__": (), "__new__": _new, "__repr__": _repr, "_tuple": plain,
        "n_fields": count, "n_sequence_fields": count, "n_unnamed_fields": 0,
        "__doc__": f"torch.return_types.{name}: the named tuple ({fields.replace(' ', ', ')})."})
    result.__module__ = __name__
    return result


globals().update({name: _make(name, fields) for name, fields in _FIELDS.items()})
__all__ = list(_FIELDS)
