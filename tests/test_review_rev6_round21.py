"""Review of session 27's merges (names, dtypes, error texts): regressions found and fixed."""

from __future__ import annotations

import pytest

import tinygrad_np as tg


def test_expand_to_fewer_sizes_is_pytorchs_error_not_stop_iteration():
    # the merged words looked for a mismatched dim past the tensor's first one: StopIteration
    # escaped for zeros(1, 3).expand(3), "dimension -1" for zeros(2, 3).expand(3)
    for tensor, size in ((tg.zeros(1, 3), 3), (tg.zeros(2, 3), 3)):
        with pytest.raises(RuntimeError, match=r"the number of sizes provided \(1\) must be "
                           r"greater or equal to the number of dimensions in the tensor \(2\)"):
            tensor.expand(size)
    with pytest.raises(RuntimeError, match="non-negative"):  # (a size below -1: no StopIteration)
        tg.zeros(1, 3).expand(-2, 3)
    with pytest.raises(RuntimeError, match=r"Target sizes: \[-1, 5\]"):  # the sizes as given
        tg.zeros(3, 2).expand(-1, 5)
