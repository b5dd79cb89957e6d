"""Review (rev4) of round 21: the memory-layout work and the edge fixes, each against
PyTorch 2.13 or against the cost of the work it replaced."""

from __future__ import annotations

import timeit

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def _best(fn: object, number: int = 20) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def test_median_is_a_selection_not_a_stable_sort() -> None:
    # the signed-zero fix sorted the whole input stably: 10x the old np.sort (a selection now)
    x = tg.randn(20000)
    flat = x.numpy().copy()
    assert _best(lambda: x.median()) < 3 * _best(lambda: np.sort(flat)) + 5e-5
    for values in ([-1.0, 0.0, -0.0, 2.0], [0.0, -0.0, 1.0], [-0.0, 0.0, 3.0, -2.0, 0.0],
                   [4.0, -0.0, 0.0, -1.0, 5.0], [2.0, 1.0, 3.0, -5.0]):
        ours = tg.tensor(values).median().item()
        theirs = torch.tensor(values).median().item()
        assert (ours, np.signbit(ours)) == (theirs, np.signbit(theirs)), values
    for dtype in (tg.int64, tg.float16):
        assert tg.tensor([3, 1, 2, 5], dtype=dtype).median().dtype == dtype


def test_conv_result_stride_is_cheap() -> None:
    # stride() of a conv result (pools ask it for every input) went through Size slices: 6 us
    c = F.conv2d(tg.randn(8, 3, 16, 16), tg.randn(8, 3, 3, 3), padding=1)
    assert c.stride() == (2048, 256, 16, 1)
    x = tg.randn(8, 8, 16, 16)
    assert _best(c.stride, 2000) < 3 * _best(x.stride, 2000) + 1e-6
    assert tg.empty(0, 3, 2).stride() == torch.empty(0, 3, 2).stride()


def _user_permuted(lib: object, kind: str) -> object:
    # a dense NCHW tensor stored batch innermost by the user (not a conv result): PyTorch's is
    # not contiguous there, and its *_like draws and fills go in memory order
    permuted = lib.arange(120.0).reshape(3, 4, 5, 2).permute(3, 0, 1, 2)
    if kind == "view":
        return permuted
    if kind == "clone":
        return permuted.clone()
    if kind == "detach":
        return permuted.detach()
    if kind == "from_numpy":
        return lib.from_numpy(np.arange(120.0).reshape(3, 4, 5, 2).transpose(3, 0, 1, 2))
    if kind == "empty_like":
        return lib.empty_like(permuted).fill_(1.0)
    return lib.empty_strided((2, 3, 4, 5), (1, 40, 10, 2)).fill_(1.0)


@pytest.mark.parametrize("kind", ["view", "clone", "detach", "from_numpy", "empty_like",
                                  "empty_strided"])
def test_user_permute_to_batch_innermost_is_not_a_conv_result(kind: str) -> None:
    results = []
    for lib, functional in ((torch, torch.nn.functional), (tg, F)):
        x = _user_permuted(lib, kind)
        lib.manual_seed(3)
        drawn = lib.randn_like(x)
        lib.manual_seed(3)
        filled = x.clone().normal_()
        lib.manual_seed(3)
        dropped = functional.dropout(x, 0.5)
        results.append((x.stride(), x.is_contiguous(), drawn.stride(),
                        *(t.numpy().copy() for t in (drawn, filled, dropped))))
    (*theirs_meta, d0, f0, m0), (*ours_meta, d1, f1, m1) = results
    assert ours_meta == theirs_meta
    for ours, theirs in ((d1, d0), (f1, f0), (m1, m0)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_conv_results_still_count_as_contiguous() -> None:
    results = []
    for lib, functional in ((torch, torch.nn.functional), (tg, F)):
        lib.manual_seed(0)
        c = functional.conv2d(lib.randn(2, 3, 4, 5), lib.randn(6, 3, 3, 3), padding=1).relu()
        lib.manual_seed(1)
        drawn = lib.randn_like(c)
        results.append((c.stride(), c.is_contiguous(), c[:].is_contiguous(),
                        drawn.numpy().copy()))
    assert results[1][:3] == results[0][:3]
    np.testing.assert_allclose(results[1][3], results[0][3], rtol=1e-6)


def test_max_of_everything_keeps_its_signed_zero_as_before() -> None:
    # the amax/amin first-zero rule reached max()/min() without dim, where PyTorch's max_all
    # kernel does not keep the first zero: [0.0, -0.0, -2.0] gave 0.0, PyTorch -0.0
    for values in ([0.0, -0.0, -2.0, -2.0], [[-2.0, -0.0, -1.0], [-0.0, 0.0, -2.0]]):
        for op in ("max", "min"):
            data = values if op == "max" else np.negative(values).tolist()
            ours = getattr(tg.tensor(data), op)().item()
            theirs = getattr(torch.tensor(data), op)().item()
            assert (ours, np.signbit(ours)) == (theirs, np.signbit(theirs)), (op, data)
    ours, theirs = tg.tensor([0.0, -0.0, -2.0]).amax().item(), torch.tensor(
        [0.0, -0.0, -2.0]).amax().item()
    assert np.signbit(ours) == np.signbit(theirs)  # (amax keeps the first: unchanged)


def test_relu_keeps_negative_zero_at_numpy_speed() -> None:
    # np.maximum(0, x) (the -0.0 fix) took NumPy's slow scalar-first loop: 1.6x np.maximum(x, 0)
    x = tg.randn(1_000_000)
    data = x.numpy()
    assert _best(x.relu, 10) < 1.25 * _best(lambda: np.maximum(data, 0), 10) + 2e-5
    values = [-0.0, 0.0, -1.0, float("nan"), 2.0]
    for dtype in (tg.float32, tg.float16, tg.float64):
        ours, theirs = tg.tensor(values, dtype=dtype).relu(), torch.tensor(values).relu()
        np.testing.assert_array_equal(np.signbit(ours.float().numpy()), np.signbit(theirs.numpy()))
        np.testing.assert_array_equal(ours.float().numpy(), theirs.numpy())
        assert ours.dtype == dtype
    assert tg.tensor([3, -2]).relu().tolist() == [3, 0]
    c = F.conv2d(tg.randn(2, 3, 5, 5), tg.randn(4, 3, 3, 3)).relu()
    assert c.is_contiguous() and not c._data.flags.c_contiguous  # (the conv's order kept)
    x = tg.tensor([-1.0, 0.5, float("nan")], requires_grad=True)
    x.relu().sum().backward()
    assert x.grad.tolist()[:2] == [0.0, 1.0]


def test_pool_of_a_conv_result_skips_the_channels_last_query(monkeypatch) -> None:
    # a conv result counts as row-major: pooling it need not work out its strides (1.5 us of
    # the 15 us of a small max_pool2d) to learn it is not channels-last
    c = F.conv2d(tg.randn(8, 3, 16, 16), tg.randn(8, 3, 3, 3), padding=1)
    calls = []
    original = tg.Tensor.stride
    monkeypatch.setattr(tg.Tensor, "stride", lambda self, *a: calls.append(1) or original(
        self, *a))
    for pooled in (F.max_pool2d(c, 2), F.avg_pool2d(c, 2)):
        assert pooled.is_contiguous() and pooled.shape == (8, 8, 8, 8)
    assert not calls
    monkeypatch.undo()
    cl = tg.randn(2, 3, 4, 4).contiguous(memory_format=tg.channels_last)
    assert F.max_pool2d(cl, 2).is_contiguous(memory_format=tg.channels_last)


@pytest.mark.parametrize("key", ["slice", "int", "tensor", "list", "mask", "mixed"])
def test_indexing_keeps_what_pytorch_saves(key: str) -> None:
    # keeps_index, rewritten as a loop (0.42 -> 0.19 us on every recorded x[...]): an index
    # array is kept (a second backward needs retain_graph), a slice or an int is not
    outcomes = []
    for lib in (torch, tg):
        x = lib.arange(12.0).reshape(3, 4).requires_grad_()
        index = {"slice": (slice(None), slice(1, 3)), "int": 1, "tensor": lib.tensor([0, 2]),
                 "list": [0, 2], "mask": lib.tensor([True, False, True]),
                 "mixed": (slice(None), lib.tensor([1, 3]))}[key]
        y = x[index].sum()
        y.backward()
        try:
            y.backward()
            outcomes.append((True, x.grad.tolist()))
        except RuntimeError:
            outcomes.append((False, x.grad.tolist()))
    assert outcomes[1] == outcomes[0]
