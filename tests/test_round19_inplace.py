"""Round 19: in-place, aliasing and operand-type gaps, checked against PyTorch 2.13 (skipped
without it) or against values worked out by hand."""
import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")


def _run(lib, code):
    """(values, dtype name) of `r` after running code with `torch` as lib, or the error type."""
    space = {"torch": lib, "np": np}
    try:
        exec(code, space)
    except Exception as error:  # noqa: BLE001 (compared as a type)
        return type(error)
    result = space["r"]
    return np.asarray(result.detach().numpy()).tolist(), str(result.dtype).split(".")[-1]


NUMPY_SCALARS = [f"t = torch.tensor([1, 0, 1]).to(torch.{dtype}); r = {expr}"
                 for dtype in ("float16", "int32", "bool", "uint8", "int64", "float32")
                 for expr in ("t * np.bool_(True)", "np.bool_(True) * t", "t + np.bool_(False)",
                              "t.add(np.bool_(True))", "torch.mul(np.bool_(True), t)",
                              "t ** np.bool_(True)", "np.float64(2) * t", "t + np.int64(3)",
                              "np.float32(2.5) + t", "torch.where(t > 0, t, np.bool_(True))",
                              "torch.full((2,), np.bool_(True))")]


@needs_torch
@pytest.mark.parametrize("code", NUMPY_SCALARS)
def test_numpy_scalars_as_operands_give_pytorchs_values_and_dtypes(code):
    assert _run(tg, code) == _run(torch, code)


@pytest.mark.parametrize("dtype", [tg.int32, tg.uint8, tg.bool])
def test_numpy_bool_is_a_float_so_an_in_place_op_on_integers_refuses_it(dtype):
    t = tg.tensor([1, 0, 1]).to(dtype)
    with pytest.raises(TypeError, match="can't be cast"):
        t.add_(np.bool_(True))
    np.testing.assert_array_equal(t.numpy(), [1, 0, 1])


def test_numpy_float64_times_a_tensor_is_a_tensor():
    t = tg.tensor([1.0, 2.0], requires_grad=True)
    y = np.float64(2) * t
    assert isinstance(y, tg.Tensor) and y.dtype == tg.float32
    y.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [2.0, 2.0])


HUGE = [f"x = torch.ones(2, dtype=torch.{dtype}); r = {expr}"
        for dtype in ("float16", "float32", "float64")
        for expr in ("x * 2**70", "2**70 * x", "x + 2**70", "x / 2**70", "x.pow(2**70)",
                     "x.mul(2**64)", "x.add_(2**70)", "x.mul_(2**70)", "x == 2**70",
                     "x < -2**64", "torch.where(x > 0, x, 2**70)", "x // 2**70",
                     "x * 2**63", "x * (2**64 - 1)", "x * -2**63", "x + 2",
                     "x.lerp(x, 2**70)", "x.addcmul(x, x, value=2**70)",
                     "x.addcdiv(x, x, value=2**70)", "x.addcmul(x, x, value=3)")]


@needs_torch
@pytest.mark.parametrize("code", HUGE)
def test_a_python_int_past_int64_and_uint64_is_pytorchs_overflow_error(code):
    expected = _run(torch, code)
    got = _run(tg, code)
    if isinstance(expected, type):
        assert isinstance(got, type) and issubclass(got, OverflowError), got
    else:
        assert got == expected


EXPANDED = ["e.fill_(2.)", "e.zero_()", "e.masked_fill_(torch.ones(3, 4, dtype=torch.bool), 5.)",
            "e.masked_fill_(torch.tensor([[True, False, False, False]] * 3), 5.)",
            "e.masked_fill_(torch.tensor([[True], [False], [False]]), 5.)",
            "e.index_fill_(1, torch.tensor([0]), 3.)", "e.index_fill_(0, torch.tensor([0]), 3.)",
            "e.fill_diagonal_(1.)", "e[:, 0] = 5.", "e[0, 0] = 5.", "e[:, 1:3] = 1.",
            "e[:, [0, 1]] = 1.", "e[[0, 1], 0] = 1.", "e[torch.tensor([True, False, False])] = 1.",
            "e[:, 0] = torch.tensor([1., 2., 3.])", "e.diagonal().fill_(7.)", "e[0, 0].fill_(3.)",
            "e[0].fill_(3.)", "e[:, 0].add_(1)", "e[0, 0] += 1", "e.detach().fill_(4.)",
            "e.data.fill_(4.)", "e.copy_(e)",
            "e.index_put_((torch.tensor([0, 1]), torch.tensor([0, 0])), torch.tensor(1.))",
            "e.fill_(float('nan')); e.masked_fill_(torch.tensor([[True] + [False] * 3] * 3), 5.)",
            # refused by PyTorch too
            "e.add_(1)", "e.mul_(2)", "e[0] = 5.", "e[...] = 5.", "e.copy_(torch.ones(3, 4))",
            "e.normal_()", "e.fill_(torch.tensor(3.))", "e += 1", "e.exp_()",
            "e.scatter_(0, torch.zeros(1, 1, dtype=torch.long), 1.)",
            "e.index_copy_(1, torch.tensor([0]), torch.ones(3, 1))", "e.clamp_(0, 1)"]


def _expanded_write(lib, write):
    import warnings
    base = lib.zeros(3, 1)
    view = base.view(3)  # a live view of the base sees the write too
    expanded = base.expand(3, 4)
    space = {"torch": lib, "e": expanded}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's deprecation warnings)
        try:
            exec(write, space)
        except RuntimeError as error:
            assert "more than one element of the written-to tensor" in str(error), error
            return "refused", base.numpy().tolist()
    return base.numpy().tolist(), view.numpy().tolist(), expanded.numpy().tolist()


@needs_torch
@pytest.mark.parametrize("write", EXPANDED)
def test_writes_into_an_expanded_tensor_reach_the_base_where_pytorchs_do(write):
    assert _expanded_write(tg, write) == _expanded_write(torch, write)


def test_a_fill_of_an_expanded_tensor_moves_the_version_and_fills_the_base():
    base = tg.zeros(2, 1)
    expanded = base.expand(2, 3)
    expanded.masked_fill_(tg.tensor([[False, True, False], [False, False, False]]), 4.0)
    assert base.tolist() == [[4.0], [0.0]] and base._version == 1


def test_an_expand_of_a_leaf_is_filled_under_no_grad_only():
    w = tg.zeros(3, 1, requires_grad=True)
    with pytest.raises(RuntimeError):
        w.expand(3, 4).fill_(1.0)
    with tg.no_grad():
        w.expand(3, 4).fill_(1.0)
        w.expand(3, 4)[:, 1] = 2.0
    assert w.tolist() == [[2.0], [2.0], [2.0]]
    with pytest.raises(ValueError):  # the leaf's array is locked again
        w.numpy()[0, 0] = 5.0


def test_an_overlapping_unfold_view_stays_refused():
    x = tg.arange(6.0)
    windows = x.unfold(0, 3, 1)
    with pytest.raises(RuntimeError):
        windows.fill_(1.0)
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


OUT_OVERLAP = ["torch.add(a[:-1], a[1:], out=a[1:])", "torch.mul(a[1:], 2, out=a[:-1])",
               "torch.exp(a[1:], out=a[:-1])", "torch.cumsum(a[1:], 0, out=a[:-1])",
               "torch.clamp(a[1:], 0, 2, out=a[:-1])", "torch.add(a, 1, out=a)",
               "torch.add(a[:-1], a[:-1], out=a[:-1])", "torch.neg(a[::2], out=a[1:4])",
               "torch.sub(a[2:], a[:3], out=a[2:])", "torch.cat([a[:2], a[2:4]], out=a[1:5])",
               "torch.cat([a[:1], a[1:2]], out=a[3:5])",
               "torch.where(a[1:] > 1, a[1:], a[:-1], out=a[:-1])",
               "torch.special.expit(a[1:], out=a[:-1])",
               "torch.lerp(a[1:], a[:-1], 0.5, out=a[1:])"]


@needs_torch
@pytest.mark.parametrize("call", OUT_OVERLAP)
def test_out_partly_overlapping_an_input_is_refused_as_pytorch(call):
    def run(lib):
        a = lib.arange(5.0)
        try:
            eval(call, {"torch": lib, "a": a})
        except RuntimeError as error:
            assert "some elements of the input tensor and the written-to tensor" in str(error)
            return "refused", a.tolist()
        return a.tolist()

    assert run(tg) == run(torch)


SHAPES = ["a = torch.ones(3); b = torch.ones(2, 3)", "a = torch.ones(1, 3); b = torch.ones(2, 3)",
          "a = torch.ones(3); b = torch.ones(1, 3)", "a = torch.ones(3); b = torch.ones(4)"]
GROWING = ["a.add_(b)", "a.mul_(b)", "a.sub_(b)", "a.div_(b)", "a.copy_(b)", "a.clamp_(b)",
           "a.lerp_(b, 0.5)", "a.masked_fill_(b > 0, 1.)", "a.pow_(b)", "a += b",
           "a.logical_and_(b)", "a.eq_(b)", "a.neg_().add_(b)"]


@needs_torch
@pytest.mark.parametrize("setup", SHAPES)
@pytest.mark.parametrize("op", GROWING)
def test_an_in_place_op_whose_result_would_outgrow_self_gives_pytorchs_error(setup, op):
    def run(lib):
        space = {"torch": lib}
        exec(setup, space)
        with pytest.raises(RuntimeError) as caught:
            exec(op, space)
        return str(caught.value), space["a"].tolist()

    (mine, left), (theirs, expected) = run(tg), run(torch)
    assert left == expected
    if theirs.startswith("output with shape"):  # the broadcast would grow self
        assert mine.startswith(theirs), mine
    elif "must match the size" in theirs and "in-place" in mine:
        assert mine.startswith(theirs), mine


SCALE_FIRST = [f"{setup}; r = {call}" for setup in (
    "x = torch.ones(3)", "x = torch.ones(3, dtype=torch.int64)", "x = torch.ones(3).half()")
    for call in ("x.add_(2, 3)", "x.sub_(2, 3)", "x.add(2, 3)", "x.sub(2, 3)", "x.add(2, 3.5)",
                 "x.add(2, True)", "x.add(True, 3)", "x.add(2, torch.tensor(3.))",
                 "x.add(np.float64(2), np.int64(3))", "x.addcmul_(2, 3, x)", "x.add_(2, x)")]


@needs_torch
@pytest.mark.parametrize("code", SCALE_FIRST)
def test_the_deprecated_scale_first_add_takes_a_number_other_as_pytorch(code):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, expected = _run(tg, code), _run(torch, code)
    if isinstance(expected, type):
        assert isinstance(got, type) and issubclass(got, expected.__mro__[0]), got
    else:
        assert got == expected


@pytest.mark.parametrize("name", ["logical_not_", "logical_and_", "logical_or_", "logical_xor_"])
def test_logical_in_place_ops_overwrite_a_leaf_that_requires_grad_as_pytorch(name):
    w = tg.tensor([1.0, 0.0, 2.0], requires_grad=True)
    saved = w.sin()  # saved w: its backward must now refuse
    args = () if name == "logical_not_" else (tg.tensor([0.0, 0.0, 1.0]),)
    assert getattr(w, name)(*args) is w
    expected = {"logical_not_": [0, 1, 0], "logical_and_": [0, 0, 1],
                "logical_or_": [1, 0, 1], "logical_xor_": [1, 0, 0]}[name]
    assert w.tolist() == expected and w.is_leaf and w.requires_grad and w._version == 1
    (w * 2).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        saved.sum().backward()


STRIDED = ["y = x.as_strided((2, 2), (1, 2)); y[0, 0] = 9",
           "y = x.as_strided((2, 2), (1, 2), 1); y.fill_(7)",
           "y = x.as_strided((2, 2), (2, 1)); x[0] = 5", "y = x.as_strided((2, 2), (1, 1))",
           "y = x.view(2, 3).as_strided((3,), (2,)); y.zero_()",
           "y = x.view(2, 3)[1].as_strided((2,), (1,), 4); y.zero_()",
           "y = x.as_strided((3, 2), (2, 1)); y[1].fill_(0)",
           "y = x.as_strided((2, 3), (1, 2)); y.mul_(10)"]


@needs_torch
@pytest.mark.parametrize("code", STRIDED)
def test_as_strided_is_a_view_writes_reach_the_input(code):
    def run(lib):
        space = {"x": lib.arange(6.0)}
        exec(code, space)
        return space["x"].tolist(), space["y"].tolist(), space["y"].stride(), space["x"]._version
    assert run(tg) == run(torch)


def test_as_strided_with_overlapping_elements_refuses_writes_and_sums_gradients():
    w = tg.arange(6.0, requires_grad=True)
    y = w.as_strided((2, 2), (1, 1))  # elements 0 1 / 1 2
    (y * tg.arange(4.0).view(2, 2)).sum().backward()
    assert w.grad.tolist() == [0.0, 3.0, 3.0, 0.0, 0.0, 0.0]
    x = tg.arange(6.0)
    z = x.as_strided((2, 2), (1, 1))
    with pytest.raises(RuntimeError):
        z.add_(1)
    x[1] = 7.0  # but it sees the input's changes, as PyTorch's
    assert z.tolist() == [[0.0, 7.0], [7.0, 2.0]]


def test_a_recorded_write_into_an_as_strided_view_flows_back():
    w = tg.arange(6.0, requires_grad=True)
    h = w * 1
    h.as_strided((2,), (3,)).copy_(tg.tensor([10.0, 20.0]))
    assert h.tolist() == [10.0, 1.0, 2.0, 20.0, 4.0, 5.0]
    (h * tg.arange(6.0)).sum().backward()
    assert w.grad.tolist() == [0.0, 1.0, 2.0, 0.0, 4.0, 5.0]


@needs_torch
@pytest.mark.parametrize("code", ["x.resize_(2, 3)", "x.resize_(6)", "x.resize_(8)",
                                  "x.resize_(3, 2)", "x.resize_as_(lib.zeros(3))",
                                  "x.unsqueeze_(0)", "x.t_()", "x.squeeze_()",
                                  "x.transpose_(0, 1)", "x.as_strided_((2, 2), (1, 2))"])
def test_shape_changing_in_place_ops_move_the_version_as_pytorch(code):
    def run(lib):
        x = lib.zeros(2, 3)
        view = x.view(6)
        exec(code, {"x": x, "lib": lib})
        return tuple(x.shape), x.stride(), x._version, view._version
    assert run(tg) == run(torch)


@needs_torch
@pytest.mark.parametrize("dtype", ["int32", "bool", "uint8"])
@pytest.mark.parametrize("expr", ["t & np.bool_(True)", "t | np.bool_(False)",
                                  "t ^ np.bool_(True)", "t & True", "t & np.int64(1)"])
def test_bitwise_ops_read_np_bool_as_pytorchs_float(dtype, expr):
    code = f"t = torch.tensor([1, 0, 1]).to(torch.{dtype}); r = {expr}"
    expected, got = _run(torch, code), _run(tg, code)
    if isinstance(expected, type):
        assert isinstance(got, type) and issubclass(got, expected), got
    else:
        assert got == expected


SOURCE_OPS = ["x[1:].index_copy_(0, torch.tensor([0, 1]), S)",
              "x[1:].index_add_(0, torch.tensor([0, 1]), S)",
              "x[1:].scatter_(0, torch.tensor([0, 1]), S)",
              "x[1:].scatter_add_(0, torch.tensor([0, 1]), S)",
              "x[1:].scatter_reduce_(0, torch.tensor([0, 1]), S, 'sum')",
              "x[1:].put_(torch.tensor([0, 1]), S)", "x[1:].index_put_((torch.tensor([0, 1]),), S)",
              "x[1:].index_reduce_(0, torch.tensor([0, 1]), S, 'prod')",
              "x.index_copy_(0, torch.tensor([0, 1]), S)", "x[1:][torch.tensor([0, 1])] = S"]


@needs_torch
@pytest.mark.parametrize("source", ["x[:2]", "x[3:5]", "x[1:3]", "x[:2].clone()"])
@pytest.mark.parametrize("op", SOURCE_OPS)
def test_an_indexed_in_place_op_refuses_a_source_overlapping_self(op, source):
    import warnings

    def run(lib):
        x = lib.arange(5.0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # (index_reduce's beta warning)
                exec(op.replace("S", source), {"torch": lib, "x": x})
        except RuntimeError as error:
            assert "refer to a single memory location" in str(error)
            return "refused", x.tolist()
        return x.tolist()
    assert run(tg) == run(torch)


ALPHAS = [f"t = torch.tensor([1, 0, 1]).to(torch.{dtype}); r = t.{op}(t, alpha={alpha})"
          for dtype in ("int64", "uint8", "bool", "float32", "float16")
          for alpha in ("1", "1.0", "np.bool_(True)", "np.float64(1)", "torch.tensor(1.)", "2",
                        "np.int64(2)")
          for op in ("add", "add_")]


@needs_torch
@pytest.mark.parametrize("code", ALPHAS)
def test_a_float_alpha_with_integers_is_refused_even_at_one(code):
    expected, got = _run(torch, code), _run(tg, code)
    if isinstance(expected, type):
        assert isinstance(got, type) and issubclass(got, expected), got
    else:
        assert got == expected


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "float32", "bool"])
def test_where_of_two_numpy_bools_is_pytorchs_float(dtype):
    code = (f"t = torch.tensor([1, 0, 1]).to(torch.{dtype}); "
            "r = torch.where(t > 0, np.bool_(True), np.bool_(False))")
    assert _run(tg, code) == _run(torch, code)


@needs_torch
@pytest.mark.parametrize("call", ["x.clamp(2., torch.tensor([3., 3, 3, 3]))",
                                  "torch.clamp(x, torch.tensor([1., 1, 1, 1]), 3)",
                                  "x.clamp_(min=torch.tensor([1., 1, 1, 1]), max=3.)",
                                  "torch.clip(x, 1, torch.tensor([2., 2, 2, 2]))",
                                  "x.clamp(torch.tensor([1., 1, 1, 1]), None)",
                                  "x.clamp_(2, torch.tensor(3))", "x.clamp(2., torch.tensor(3.))"])
def test_clamp_mixing_a_number_and_a_tensor_bound_as_pytorch(call):
    def run(lib):
        x = lib.arange(4.0)
        try:
            result = eval(call, {"torch": lib, "x": x})
        except TypeError:
            return "TypeError", x.tolist()
        return result.tolist(), x.tolist()
    assert run(tg) == run(torch)
