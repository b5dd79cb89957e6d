"""Round 18: indexing, views and in-place writes against PyTorch 2.13 (found by a randomized
differential tester of getitem/setitem and probes of the view and index_* ops)."""
import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")


def _both(code: str) -> tuple:
    """Run `code` (which sets `out`) with `torch` bound to PyTorch, then to tinygrad_np."""
    results = []
    for lib in (torch, tg):
        env = {"torch": lib, "np": np}
        try:
            exec(code, env)  # noqa: S102 (the test's own snippets)
            out = env["out"]
            results.append(("ok", [o.detach().numpy() if hasattr(o, "detach") else o
                                   for o in (out if isinstance(out, list) else [out])]))
        except Exception as error:  # noqa: BLE001 (compared below)
            results.append(("error", type(error)))
    return tuple(results)


def _same(code: str) -> None:
    (kind_t, got_t), (kind_g, got_g) = _both(code)
    assert kind_t == kind_g, (code, got_t, got_g)
    if kind_t == "error":
        assert issubclass(got_g, got_t), (code, got_t, got_g)
        return
    for a, b in zip(got_t, got_g, strict=True):
        if a is None or b is None:
            assert a is None and b is None, code
            continue
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, (code, a, b)
        np.testing.assert_allclose(b, a, rtol=1e-6, err_msg=code)


# ---------------------------------------------------------------- index tensor dtypes
@pytest.mark.parametrize("dtype", ["int8", "int16", "uint16", "uint32", "float32"])
def test_index_tensor_of_other_integer_dtype_is_indexerror(dtype):
    x = tg.arange(6.).reshape(2, 3)
    index = tg.tensor([1, 0], dtype=getattr(tg, dtype))
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        x[index]
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        x[index] = 1.0
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        x[:, tg.tensor([[0]], dtype=getattr(tg, dtype))]


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint16"])
def test_zero_d_index_tensor_of_any_integer_dtype_is_an_int(dtype):
    x = tg.arange(6.).reshape(2, 3)
    assert x[tg.tensor(1, dtype=getattr(tg, dtype))].tolist() == [3.0, 4.0, 5.0]


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint16, np.uint64, np.float64])
def test_numpy_array_index_of_any_number_dtype_reads_as_torch(dtype):
    """PyTorch reads a NumPy array index as a sequence: any integer dtype works, floats are
    truncated ([1.7, 0.] is [1, 0])."""
    index = np.array([1.7, 0.0]).astype(dtype)
    got = tg.arange(6.).reshape(2, 3)[(0, index)] if dtype is np.float64 else \
        tg.arange(6.).reshape(2, 3)[index]
    want = torch.arange(6.).reshape(2, 3)[(0, index)] if dtype is np.float64 else \
        torch.arange(6.).reshape(2, 3)[index]
    assert got.tolist() == want.tolist()


def test_numpy_bool_scalar_index_is_indexerror():
    x = tg.zeros(2, 3)
    for index in (np.bool_(True), (np.bool_(False), 0), (slice(None), np.True_)):
        with pytest.raises(IndexError, match="numpy.bool"):
            x[index]
        with pytest.raises(IndexError, match="numpy.bool"):
            x[index] = 1.0
    assert x[True].shape == (1, 2, 3) and x[tg.tensor(True)].shape == (1, 2, 3)


# ---------------------------------------------------------------- setitem: index_put dtypes
@pytest.mark.parametrize("index", [
    "torch.tensor([0, 1])", "[0, 1]", "np.array([0, 1])", "(0, [1, 2])", "(True,)",
    "(slice(None), True)", "torch.tensor(True)",
    "torch.tensor([[True, False, True, False], [False, True, False, True], [True] * 4])",
    "torch.tensor([True, False, True])"])
@pytest.mark.parametrize("value", ["torch.tensor([1, 2, 3, 4])",
                                   "torch.tensor(2.5, dtype=torch.float64)",
                                   "torch.ones(2, 4, dtype=torch.float64)", "torch.tensor(7)",
                                   "3", "2.5"])
def test_setitem_with_index_arrays_needs_the_tensor_dtype(index, value):
    """PyTorch's index_put_ refuses a value tensor of another dtype (RuntimeError); one bool
    mask with a one-element value is its masked_fill_ (casts), numbers always cast."""
    _same(f"x = torch.zeros(3, 4)\nx[{index}] = {value}\nout = x")


@pytest.mark.parametrize("index", ["0", "(0, 1)", "slice(1, 3)", "(Ellipsis, 1)", "None", "True",
                                   "torch.tensor(1)", "(torch.tensor(1), slice(None))"])
def test_setitem_with_basic_index_casts_any_value_dtype(index):
    _same(f"x = torch.zeros(3, 4)\nx[{index}] = torch.tensor([1, 2, 3, 4])\nout = x")
    _same(f"x = torch.zeros(3, 4, dtype=torch.int32)\nx[{index}] = torch.tensor(2.7)\nout = x")


def test_setitem_one_element_mask_value_must_fit_the_dtype():
    _same("x = torch.zeros(3, dtype=torch.uint8)\nx[torch.tensor([True, False, True])] = "
          "torch.tensor(-1.5)\nout = x")
    _same("x = torch.zeros(3, dtype=torch.uint8)\nx[torch.tensor([True, False, True])] = "
          "torch.tensor([7.9])\nout = x")


def test_setitem_index_broadcast_error_comes_before_the_dtype_error():
    with pytest.raises(IndexError):
        tg.zeros(3, 4)[tg.tensor([0, 1]), tg.tensor([0, 1, 2])] = tg.tensor(1.0, dtype=tg.float64)


# ---------------------------------------------------------------- setitem: edge cases
@pytest.mark.parametrize("index", ["(True,)", "(False,)", "(None, True)", "(True, None)",
                                   "(True, Ellipsis)", "(True, False)"])
@pytest.mark.parametrize("value", ["5.0", "torch.tensor(5.)", "torch.tensor([5.])"])
def test_setitem_bools_on_a_zero_d_tensor(index, value):
    _same(f"x = torch.tensor(2.0)\nx[{index}] = {value}\nout = x")


def test_setitem_lone_false_writes_nothing():
    """PyTorch returns at once: no shape check, no version, no graph (v gets no gradient)."""
    for lib in (torch, tg):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        v = lib.tensor([5.0, 6.0, 7.0], requires_grad=True)
        y = x * 1
        version = y._version
        y[False] = v
        assert y._version == version and y.tolist() == [1.0, 2.0]
        y.sum().backward()
        assert v.grad is None and x.grad.tolist() == [1.0, 1.0]


def test_setitem_recorded_value_of_other_dtype_gets_its_gradient_in_its_dtype():
    for lib in (torch, tg):
        x = lib.zeros(2, 3, dtype=lib.float64, requires_grad=True)
        v = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        y[1] = v
        (y * lib.tensor([[1.0, 2, 3], [4, 5, 6]], dtype=lib.float64)).sum().backward()
        assert v.grad.dtype == lib.float32 and v.grad.tolist() == [4.0, 5.0, 6.0]
        assert x.grad.tolist() == [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]


@pytest.mark.parametrize("grad", [False, True])
def test_setitem_mask_with_a_2d_value_is_runtimeerror(grad):
    x = tg.zeros(3, dtype=tg.float64) * 1
    value = tg.ones(3, 2, dtype=tg.float64, requires_grad=grad)
    with pytest.raises(RuntimeError, match="shape"):
        x[tg.tensor([True, True, False])] = value
