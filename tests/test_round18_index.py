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


# ---------------------------------------------------------------- index ops: index dtypes
def _index_ops(lib, dtype):
    x = lib.arange(12.).reshape(3, 4)
    flat, rows = lib.tensor([0, 1], dtype=dtype), lib.tensor([[0, 1]], dtype=dtype)
    return {
        "gather": lambda: x.gather(1, rows),
        "scatter": lambda: x.scatter(1, rows, lib.ones(1, 2)),
        "scatter_value": lambda: x.scatter(1, rows, 2.0),
        "scatter_add": lambda: x.scatter_add(1, rows, lib.ones(1, 2)),
        "scatter_reduce": lambda: x.scatter_reduce(1, rows, lib.ones(1, 2), "sum"),
        "index_select": lambda: x.index_select(1, flat),
        "index_add": lambda: x.index_add(1, flat, lib.ones(3, 2)),
        "index_copy": lambda: x.index_copy(1, flat, lib.ones(3, 2)),
        "index_fill": lambda: x.index_fill(1, flat, 2.0),
        "index_reduce": lambda: x.index_reduce(1, flat, lib.ones(3, 2), "prod"),
        "index_put": lambda: x.index_put((flat,), lib.tensor(2.0)),
        "take": lambda: x.take(flat),
        "take_along_dim": lambda: x.take_along_dim(rows, 1),
        "put": lambda: x.put(flat, lib.ones(2)),
        "embedding": lambda: lib.nn.functional.embedding(flat, x),
    }


@pytest.mark.filterwarnings("ignore::UserWarning")  # (index_reduce is beta; uint8 masks)
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "float32",
                                   "bool"])
@pytest.mark.parametrize("op", list(_index_ops(tg, tg.int64)))
def test_index_ops_take_the_index_dtypes_torch_takes(op, dtype):
    """gather/scatter/index_select/index_add/embedding: int64 or int32; take, take_along_dim,
    index_copy, index_fill, put: int64 only; index_put: indexing's rules (uint8 and bool are
    masks). Refused with PyTorch's error class."""
    outcome = []
    for lib in (torch, tg):
        try:
            outcome.append(_index_ops(lib, getattr(lib, dtype))[op]().tolist())
        except (RuntimeError, IndexError) as error:
            outcome.append(type(error))
    if isinstance(outcome[0], type):
        assert isinstance(outcome[1], type) and issubclass(outcome[1], outcome[0]), outcome
    else:
        assert outcome[1] == outcome[0]


@pytest.mark.parametrize("op", [
    "x.scatter(1, rows, torch.tensor(2))", "x.scatter(1, rows, wide(1, 2))",
    "x.scatter_add(1, rows, wide(1, 2))", "x.scatter_reduce(1, rows, wide(1, 2), 'sum')",
    "x.index_add(1, flat, wide(3, 2))", "x.index_copy(1, flat, wide(3, 2))",
    "x.index_reduce(1, flat, wide(3, 2), 'prod')", "x.diagonal_scatter(wide(3))",
    "x.select_scatter(wide(4), 0, 0)", "x.slice_scatter(wide(1, 4), 0, 0, 1)",
    "x.index_fill(1, flat, torch.tensor(2, dtype=torch.float64))"])
def test_index_ops_source_of_another_dtype_as_torch(op):
    """The out-of-place scatter/index ops refuse a source of another dtype as their in-place
    forms (scatter_add gave a float64 result); the *_scatter ops cast it."""
    _same("x = torch.arange(12.).reshape(3, 4)\nflat = torch.tensor([0, 1])\n"
          "rows = torch.tensor([[0, 1]])\nwide = lambda *s: torch.ones(*s, dtype=torch.float64)\n"
          f"out = {op}")


@pytest.mark.parametrize("mask", ["[True, False]", "[True, False, True, True]",
                                  "[[True, False, True]] * 3", "[True, False, True]"])
def test_index_put_mask_of_the_wrong_shape_is_indexerror(mask):
    """A mask that does not fit the dims it indexes wrote the rows of its True entries."""
    _same(f"x = torch.arange(12.).reshape(3, 4)\nm = torch.tensor({mask})\n"
          "out = x.index_put((m,), torch.tensor(1.))")
    _same(f"x = torch.arange(12.).reshape(3, 4)\nm = torch.tensor({mask})\n"
          "out = x.index_put((torch.tensor([0, 2]), m), torch.tensor(1.))")


@pytest.mark.parametrize("code", [
    "x.index_put((torch.tensor(True),), torch.tensor(5.))",
    "x.index_put((torch.tensor(False),), torch.tensor(5.))",
    "x.index_put((torch.tensor(True), torch.tensor([0, 2])), torch.tensor(5.))",
    "x.index_put((torch.tensor(1),), torch.tensor(5.))",
    "x.index_put((torch.tensor([0, 2]), torch.tensor([True, False, True, False])), "
    "torch.tensor(5.))"])
def test_index_put_zero_d_and_mixed_indices(code):
    _same(f"x = torch.arange(12.).reshape(3, 4)\nout = {code}")


def test_scatter_reduce_takes_max_and_min_as_torch_forward():
    for name in ("max", "min"):
        _same(f"out = torch.arange(4.).scatter_reduce(0, torch.tensor([0, 0, 3]), "
              f"torch.tensor([5., -1., 2.]), '{name}')")


# ---------------------------------------------------------------- views and in-place writes
@pytest.mark.parametrize("code", [
    "u = y.chunk(1)[0].unfold(0, 2, 2); u.mul_(2)",
    "u = y.split(3)[1].unfold(0, 3, 3); u[0, 0] = 100.",
    "u = y.unsqueeze(0).unbind(0)[0].unfold(0, 2, 2).diagonal(); u.mul_(3)",
    "u = y.unfold(0, 2, 2); u.mul_(2)",
    "u = y.unfold(0, 3, 3)[1]; u[0] = 100.",
    "u = y.unfold(0, 2, 2).diagonal(); u.mul_(3)"])
def test_in_place_on_an_unfold_of_one_output_of_split_is_refused_as_torch(code):
    """A view of one output of split/chunk/unbind may not be written while recording, also
    through unfold (which lost the mark: the write went through)."""
    _same("x = torch.arange(6., requires_grad=True)\ny = x * 1\n" + code +
          "\n(y * torch.arange(6.)).sum().backward()\nout = [y, x.grad]")


def test_pieces_of_an_empty_dim_are_split_outputs_too():
    _same("y = torch.zeros(3, requires_grad=True)[3:] * 1\ny.chunk(3)[2].zero_()\nout = y")
    _same("out = list(torch.zeros(0, 2).split(0))")
    _same("out = list(torch.zeros(2, 2).split(0))")


@pytest.mark.parametrize("shape", [(1, 0), (1, 3, 0), (0,)])
def test_expand_that_grows_no_axis_of_an_empty_tensor_is_writable(shape):
    _same(f"y = torch.zeros(3)[3:].reshape({shape[1:] or (0,)})\ne = y.expand({shape})\n"
          "e.mul_(2)\nout = e")


@pytest.mark.parametrize("code", ["torch.arange(9.).reshape(3, 3).T.view(9)",
                                  "torch.arange(12.).reshape(3, 4)[:, :2].view(6)",
                                  "torch.zeros(2, 3).expand(4, 2, 3).view(8, 3)"])
def test_view_without_a_copy_error_has_torchs_words(code):
    words = "view size is not compatible with input tensor's size and stride"
    for lib in (torch, tg):
        with pytest.raises(RuntimeError, match=words):
            eval(code, {"torch": lib})  # noqa: S307 (the test's own expressions)


def test_reshape_with_two_inferred_dims_has_torchs_words():
    for lib in (torch, tg):
        with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
            lib.arange(6.0).view(-1, -1)
        with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
            lib.arange(6.0).reshape(-1, 2, -1)


@pytest.mark.parametrize("write", [
    "x.masked_fill_(torch.ones(1, 2, 3, dtype=torch.bool), 1.)", "x.clamp_(torch.ones(1, 2, 3))",
    "x.lerp_(torch.ones(1, 2, 3), 0.5)", "x.addcmul_(torch.ones(1, 2, 3), torch.ones(2, 3))",
    "x.add_(torch.ones(1, 2, 3))", "x.copy_(torch.ones(1, 2, 3))",
    "x.masked_fill_(torch.ones(3, dtype=torch.bool), 1.)", "x.clamp_(torch.ones(2, 1))",
    "x[...] = torch.ones(1, 2, 3)"])
def test_in_place_result_of_more_dims_than_self_is_refused(write):
    """NumPy stores a (1, 2, 3) result into a (2, 3) tensor (dropping the leading 1);
    PyTorch's in-place ops refuse it ("output with shape [2, 3] doesn't match the broadcast
    shape [1, 2, 3]"); setitem drops it, as there."""
    _same(f"x = torch.zeros(2, 3)\n{write}\nout = x")


def test_gather_of_a_zero_d_tensor_with_a_1d_index():
    """PyTorch reads a 0-d input at each entry of a 1-D index (NumPy's reshape error here)."""
    _same("x = torch.tensor(3., requires_grad=True)\ny = x.gather(0, torch.tensor([0, 0]))\n"
          "y.sum().backward()\nout = [y, x.grad]")
    _same("out = torch.tensor(3.).gather(0, torch.tensor([[0], [0]]))")
    _same("out = torch.tensor(3.).gather(0, torch.tensor([1]))")


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("code", ["x[1] = 1e6", "x[1:3] = -1e6", "x[[1]] = 100000",
                                  "x[x > 2] = 1e6", "x[1] = 65519.", "x = x.requires_grad_() * 1\n"
                                  "x[0] = 1e6", "x.fill_(1e6)", "x.masked_fill_(x > 2, 1e6)"])
def test_setitem_of_a_number_past_float16s_range_stores_inf(code):
    """PyTorch's setitem stores it as inf (no overflow error, no warning); fill_ and
    masked_fill_ refuse it."""
    _same(f"x = torch.arange(6.).half()\n{code}\nout = x")


def test_setitem_too_many_indices_comes_before_the_dtype_error():
    _same("x = torch.zeros(5)\nx[[[0, 1], [1, 0]]] = torch.tensor([1.], dtype=torch.float64)\n"
          "out = x")


@pytest.mark.parametrize("code", [
    "torch.zeros(5, dtype=torch.int64).index_add(0, torch.tensor([1, 1]), torch.tensor([2, 3]), "
    "alpha=2.5)",
    "torch.zeros(5, dtype=torch.int32).index_add_(0, torch.tensor([1, 4]), "
    "torch.tensor([2, 3], dtype=torch.int32), alpha=-1.5)",
    "torch.zeros(5, dtype=torch.int64).index_put((torch.tensor([True, False, False, False, "
    "True]),), torch.tensor(2.5))",
    "torch.zeros(5, dtype=torch.int64).index_put_((torch.tensor([True, False, False, False, "
    "True]),), torch.tensor([7.9]))",
    "torch.zeros(5, dtype=torch.int64).index_put((torch.tensor([1, 4]),), torch.tensor(2.5))",
    "torch.zeros(5).index_put((torch.tensor([True, False, False, False, True]),), "
    "torch.tensor(2.5, dtype=torch.float64), accumulate=True)"])
def test_index_add_integer_alpha_and_index_put_one_mask_value(code):
    """index_add of integers takes a float alpha as an integer (a float32 result before);
    index_put with one bool mask and one value is PyTorch's masked_fill_, which casts."""
    _same(f"out = {code}")


def test_setitem_value_that_does_not_fit_is_refused_before_the_index():
    _same("x = torch.zeros(3, 4, dtype=torch.uint8)\n"
          "x[torch.tensor([1, 0], dtype=torch.int16)] = 300\nout = x")
    _same("x = torch.zeros(3, 4, dtype=torch.uint8)\nx[1.5] = -1.5\nout = x")


@pytest.mark.parametrize("code", [
    "y = (x * 1).scatter(0, torch.tensor([0, 0]), s)",
    "y = (x * 1).scatter_add(0, torch.tensor([0, 0]), s)",
    "y = (x * 1).scatter(0, torch.tensor([0, 0]), 5.)",
    "y = (x * 1).scatter(0, torch.tensor([0, 1]), s)",
    "y = (x * 1).scatter(1, torch.tensor([0, 0]), s)"])
def test_scatter_into_a_zero_d_tensor_with_a_1d_index(code):
    """Each entry writes (adds into) the one element, as PyTorch (an error here before)."""
    _same("x = torch.tensor(3., requires_grad=True)\ns = torch.tensor([1., 2.], "
          f"requires_grad=True)\n{code}\n(y * 3).backward()\nout = [y, x.grad, s.grad]")


def test_scatter_reduce_argument_with_a_tensor_src_warns_as_torch():
    with pytest.warns(UserWarning, match="reduce argument of torch.scatter"):
        tg.zeros(3).scatter(0, tg.tensor([0, 0]), tg.ones(2), reduce="add")


@pytest.mark.filterwarnings("ignore:index_reduce")
@pytest.mark.parametrize("code", [
    "x.index_add(0, torch.tensor([0]), torch.tensor(5.))",
    "x.index_add(0, torch.tensor(0), torch.tensor(5.), alpha=2)",
    "x.index_add(0, torch.tensor([0]), torch.tensor([5.]))",
    "x.index_add(0, torch.tensor([0]), torch.tensor(5., dtype=torch.float64))",
    "x.index_copy(0, torch.tensor([0]), torch.tensor([5.]))",
    "x.index_copy(0, torch.tensor([0]), torch.tensor(5., dtype=torch.float64))",
    "x.index_reduce(0, torch.tensor([0]), torch.tensor(5.), 'prod')",
    "x.index_reduce(0, torch.tensor([0]), torch.tensor([5.]), 'prod')"])
def test_index_ops_into_a_zero_d_tensor_take_torchs_sources(code):
    """index_add/index_reduce into a 0-d tensor take a 0-d source only (index_copy either),
    and a source of another dtype is refused there too (it was cast)."""
    _same(f"x = torch.tensor(3.)\nout = {code}")


@pytest.mark.parametrize("index", ["[:, [0, 1], ..., [0, 1]]", "[:, [0, 1], ..., None, [0, 1]]",
                                   "[[0, 1], ..., [0, 1]]", "[..., [0, 1], [1, 2]]",
                                   "[[True, False, True], ..., [1, 2]]",
                                   "[:, torch.tensor([[0], [2]]), ..., torch.tensor([1, 3])]",
                                   "[torch.tensor(0), :, torch.ones(5, dtype=torch.bool), "
                                   "True, ..., True]"])
def test_index_arrays_around_an_ellipsis_of_no_dims_stay_adjacent(index):
    """PyTorch places the arrays' result by the dims they index: an `...` standing for no
    dims leaves them adjacent (NumPy moves them to the front: (2, 3) for (3, 2))."""
    _same(f"x = torch.arange(60., requires_grad=True)\ny = x.reshape(3, 4, 5) * 1\n"
          f"z = y{index}\n(z * torch.arange(float(z.numel())).reshape(z.shape)).sum().backward()\n"
          f"y = y.detach().clone()\ny{index} = -torch.arange(float(z.numel())).reshape(z.shape)\n"
          "out = [z, x.grad, y]")
