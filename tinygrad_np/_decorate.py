"""Plain Python plumbing: a context manager that also decorates functions and generators."""

from __future__ import annotations

import copy
import functools
import inspect
from typing import Any


class ContextDecorator:
    """`with Mode():` and `@Mode()`; on a generator function the mode holds each time the
    generator's own code runs (between its yields the caller's mode is back)."""

    def __enter__(self) -> Any:
        raise NotImplementedError

    def __exit__(self, *exc_info: object) -> None:
        raise NotImplementedError

    def __call__(self, fn):
        if not inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                with copy.copy(self):
                    return fn(*args, **kwargs)
            return wrapper

        @functools.wraps(fn)
        def generator(*args, **kwargs):
            inner, value = fn(*args, **kwargs), None
            resume = inner.send
            while True:
                try:
                    with copy.copy(self):
                        sent = resume(value)
                except StopIteration as stop:
                    return stop.value
                try:
                    value, resume = (yield sent), inner.send
                except BaseException as error:  # thrown in (or closed): pass it on, in the mode
                    value, resume = error, inner.throw
        return generator
