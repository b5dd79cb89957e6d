"""`torch.__version__`: the PyTorch API level tinygrad_np follows, with the library's own version
as the local label ("2.13.0+tgnp.0.1.0"), so that version checks in PyTorch code
(`torch.__version__ >= "2.0"`, `packaging.version.parse(torch.__version__)`, splitting it on
dots) take the branch they take with PyTorch 2.13. The library's own version is
`LIBRARY_VERSION` (also `tinygrad_np.version.tinygrad_np` and the package metadata's version).

As PyTorch's TorchVersion, `__version__` is a str that compares as a version with strings,
tuples (`torch.__version__ >= (2, 0)`) and packaging's Version objects; comparing with
something that is no version compares the strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

LIBRARY_VERSION = "0.1.0"  # keep equal to setup.cfg's version
API_VERSION = "2.13.0"  # the PyTorch release whose API (and behaviour) tinygrad_np follows

# PEP 440's public forms, normalised loosely as packaging does (1.0a1, 1.0.post2, 1.0.dev3)
_PATTERN = re.compile(r"v?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?"
                      r"(?:[-_.]?(?:post|rev|r)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?"
                      r"(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?", re.IGNORECASE)
_PRE = {"a": "a", "alpha": "a", "b": "b", "beta": "b", "c": "rc", "rc": "rc", "pre": "rc",
        "preview": "rc"}
_LOW, _HIGH = (0,), (2,)  # below and above every given segment, as packaging's infinities


def version_key(text: str) -> tuple | None:
    """A key that orders versions as PEP 440 does, or None when `text` is no version."""
    match = _PATTERN.fullmatch(text.strip())
    if match is None:
        return None
    release, pre, pre_n, post, dev, local = match.groups()
    numbers = [int(part) for part in release.split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    pre_key = (1, _PRE[pre.lower()], int(pre_n or 0)) if pre else \
        (_LOW if dev is not None and post is None else _HIGH)
    post_key = (1, int(post or 0)) if post is not None else _LOW
    dev_key = (1, int(dev or 0)) if dev is not None else _HIGH
    local_key = _LOW if local is None else (1, tuple(
        (1, int(part), "") if part.isdigit() else (0, 0, part.lower())
        for part in re.split(r"[-_.]", local)))
    return tuple(numbers), pre_key, post_key, dev_key, local_key


class TorchVersion(str):
    """A version string that compares as a version with strings, tuples and Version objects
    (PyTorch's `torch.torch_version.TorchVersion`)."""

    __slots__ = ()

    def _keys(self, other: Any) -> tuple[tuple, tuple] | None:
        if isinstance(other, str):
            text = other
        elif isinstance(other, Iterable):
            text = ".".join(str(item) for item in other)
        elif hasattr(other, "release"):  # packaging's Version: its normalised string
            text = str(other)
        else:
            return None
        mine, theirs = version_key(self), version_key(text)
        return None if mine is None or theirs is None else (mine, theirs)

    def _compare(self, other: Any, method: str) -> Any:
        keys = self._keys(other)
        if keys is None:
            return getattr(str, method)(self, other)
        return getattr(keys[0], method)(keys[1])

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, "__lt__")

    def __le__(self, other: Any) -> Any:
        return self._compare(other, "__le__")

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, "__gt__")

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, "__ge__")

    def __eq__(self, other: Any) -> Any:
        return self._compare(other, "__eq__")

    def __ne__(self, other: Any) -> Any:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = str.__hash__


__version__ = TorchVersion(f"{API_VERSION}+tgnp.{LIBRARY_VERSION}")
