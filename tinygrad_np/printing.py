"""`repr(tensor)` in PyTorch's layout: `tensor([1.0000, 2.5000])`, `tensor([1., 2.])` when
every value is whole, scientific notation when the values span more than 1000x (or pass 1e8,
or go below 1e-4), the dtype shown when it is not the default one (float32, int64, bool),
rows wrapped at the line width and long tensors summarised with "...". Only NumPy is used:
the engine's Tensor.__repr__ calls `tensor_text`, and `torch.set_printoptions` sets OPTIONS.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# PyTorch's defaults; set_printoptions changes them (sci_mode None: chosen from the values)
OPTIONS: dict[str, Any] = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                           "sci_mode": None}
PROFILES = {"default": dict(OPTIONS), "short": {**OPTIONS, "precision": 2, "edgeitems": 2},
            "full": {**OPTIONS, "threshold": math.inf}}


class _Formatter:
    """One width and one notation for every element shown (PyTorch's _Formatter)."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        precision = OPTIONS["precision"]
        if not self.floating:
            self.width = max((len(str(v)) for v in values.ravel().tolist()), default=1)
            return
        finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if finite.size:
            magnitude = np.abs(finite)
            low, high = float(magnitude.min()), float(magnitude.max())
            self.int_mode = bool((finite == np.ceil(finite)).all())
            spread = high / low > 1000.0 or high > 1e8
            self.sci_mode = spread if self.int_mode else spread or low < 1e-4
        if OPTIONS["sci_mode"] is not None and finite.size:  # all zero/non-finite: PyTorch's
            self.sci_mode = bool(OPTIONS["sci_mode"])        # plain "0." even in sci_mode
        if finite.size:  # the width of the widest value in the notation chosen
            if self.sci_mode:
                texts = [f"{v:.{precision}e}" for v in finite.tolist()]
            elif self.int_mode:
                texts = [f"{v:.0f}." for v in finite.tolist()]
            else:
                texts = [f"{v:.{precision}f}" for v in finite.tolist()]
            self.width = max(len(text) for text in texts)

    def format(self, value: Any) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{OPTIONS['precision']}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{OPTIONS['precision']}f}"
        return " " * (self.width - len(text)) + text


def _summarised(values: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows (the first and last edgeitems of each dim)."""
    edge = OPTIONS["edgeitems"]
    if values.ndim == 0:
        return values
    if not edge and values.ndim > 1:  # PyTorch's: nothing (a vector keeps all: [-0:])
        return values[(slice(0, 0),) * values.ndim]
    if edge and values.shape[0] > 2 * edge:
        values = np.concatenate([values[:edge], values[-edge:]])
    return np.stack([_summarised(row) for row in values]) if values.ndim > 1 else values


def _vector(values: np.ndarray, indent: int, summarise: bool, formatter: _Formatter) -> str:
    edge = OPTIONS["edgeitems"]
    per_line = max(1, math.floor((OPTIONS["linewidth"] - indent) / (formatter.width + 2)))
    if summarise and not edge:
        items = ["..."]
    elif summarise and values.shape[0] > 2 * edge:
        items = ([formatter.format(v) for v in values[:edge].tolist()] + [" ..."]
                 + [formatter.format(v) for v in values[-edge:].tolist()])
    else:
        items = [formatter.format(v) for v in values.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(values: np.ndarray, indent: int, summarise: bool, formatter: _Formatter) -> str:
    if values.ndim == 0:
        return formatter.format(values.item())
    if values.ndim == 1:
        return _vector(values, indent, summarise, formatter)
    edge = OPTIONS["edgeitems"]
    if summarise and values.shape[0] > 2 * edge:
        rows = ([_nested(row, indent + 1, summarise, formatter) for row in values[:edge]]
                + ["..."] + [_nested(row, indent + 1, summarise, formatter)
                             for row in values[len(values) - edge:]])
    else:
        rows = [_nested(row, indent + 1, summarise, formatter) for row in values]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def tensor_text(values: np.ndarray, suffixes: list[str], default_float: np.dtype,
                prefix: str = "tensor(") -> str:
    """`tensor(<values>, <suffixes>)` as PyTorch prints it; `suffixes` (grad_fn=...,
    requires_grad=True, ...) follow the dtype, which is added when not a default one."""
    indent = len(prefix)
    shown_dtype = values.dtype not in (np.dtype(default_float), np.dtype(np.int64),
                                       np.dtype(np.bool_))
    extras = []
    if values.size == 0:
        body = "[]"
        if values.ndim != 1:
            extras.append(f"size={tuple(values.shape)}")
        if values.dtype != np.dtype(default_float):
            extras.append(f"dtype=torch.{values.dtype}")
    else:
        summarise = values.size > OPTIONS["threshold"]
        shown = values.astype(np.float32) if values.dtype == np.float16 else values
        formatter = _Formatter(_summarised(shown) if summarise else shown)
        body = _nested(shown, indent, summarise, formatter)
        if not OPTIONS["edgeitems"]:
            extras.append(f"size={tuple(values.shape)}")
        if shown_dtype:
            extras.append(f"dtype=torch.{values.dtype}")
    text, last = prefix + body, len(prefix + body) - (prefix + body).rfind("\n") + 1
    for suffix in extras + suffixes:  # each on the line while it fits, as PyTorch
        if last + len(suffix) + 2 > OPTIONS["linewidth"]:
            text, last = text + ",\n" + " " * indent + suffix, indent + len(suffix)
        else:
            text, last = text + ", " + suffix, last + len(suffix) + 2
    return text + ")"
