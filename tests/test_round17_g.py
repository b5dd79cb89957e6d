"""Round 17 (g): the testing and seeing tools against PyTorch 2.13: `isclose`/`allclose`
computed as PyTorch's (integers exactly, in the tensor's own precision or the default float
dtype for integers, an infinite tolerance never making an infinite difference close, no NumPy
warning), `testing.assert_close`'s messages in PyTorch's words (numbers, booleans, promoted
dtypes, mapping keys, `msg=`, `allow_subclasses`), `assert_allclose`'s own tolerances,
`make_tensor`'s bounds, printing (an all-zero tensor in `sci_mode`, `edgeitems=0`, `iinfo`),
`autograd.gradcheck`'s ValueError without grad inputs and the drill-down naming a wrong custom
op in a larger graph, `trace_backward`'s one-line cells, the drawing after writes through
views, and `compare_with_torch` refusing a shape or dtype difference."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np.gradcheck import GradcheckError

try:
    import torch
except ImportError:
    torch = None


def _outcome(call):
    """(exception type name, message) of call(), or ("OK", None)."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 (the outcome is what is compared)
        return type(error).__name__, str(error)
    return "OK", None


# ---- 1. isclose / allclose as PyTorch computes them ----------------------------------------
ISCLOSE = [  # (a, b, dtype, kwargs, PyTorch 2.13's answer)
    ([2**53 + 1], [2**53], "int64", {"rtol": 0, "atol": 0}, [False]),
    ([2**53 + 1, 5], [2**53, 5], "int64", {}, [True, True]),
    ([float("inf")], [5.0], "float32", {"atol": float("inf")}, [False]),
    ([float("inf")], [float("inf")], "float32", {"atol": float("inf")}, [True]),
    ([1.0], [5.0], "float32", {"atol": float("inf")}, [True]),
    ([2.0], [5.0], "float32", {"rtol": float("inf"), "atol": 0}, [True]),
    ([1, 2, 3], [1, 2, 4], "int64", {"atol": 1}, [True, True, True]),
    ([True, False], [True, True], "bool", {"atol": 1}, [True, True]),
    ([True, False], [True, True], "bool", {}, [True, False]),
    ([float("nan"), 1.0], [float("nan"), 1.0], "float32", {}, [False, True]),
    ([float("nan"), 1.0], [float("nan"), 1.0], "float32", {"equal_nan": True}, [True, True]),
    ([1.0], [1.1], "float32", {"rtol": 0.1, "atol": 0.0}, [True]),
    # integers with a tolerance: PyTorch's difference in float32 (2**40 + 1 rounds to 2**40)
    ([2**40 + 1], [2**40], "int64", {"rtol": 0, "atol": 0.5}, [True]),
    ([2**62], [-(2**62)], "int64", {"atol": 1}, [False]),  # no int64 overflow to "close"
    ([100], [-100], "int8", {"atol": 100}, [False]),
]


@pytest.mark.parametrize(("a", "b", "dtype", "kwargs", "expected"), ISCLOSE)
def test_isclose_as_pytorch_without_warnings(a, b, dtype, kwargs, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mine = tg.isclose(tg.tensor(a, dtype=dtype), tg.tensor(b, dtype=dtype), **kwargs)
        assert mine.tolist() == expected and mine.dtype == tg.bool
        assert tg.tensor(a, dtype=dtype).allclose(tg.tensor(b, dtype=dtype), **kwargs) == all(
            expected)
    if torch is not None:
        theirs = torch.isclose(torch.tensor(a, dtype=getattr(torch, dtype)),
                               torch.tensor(b, dtype=getattr(torch, dtype)), **kwargs)
        assert theirs.tolist() == expected


def test_isclose_in_the_tensors_precision_and_0d_stays_an_array():
    # 1 + 2**-23 and 1 are one float32 ulp apart: close under float32's rtol 1e-5
    a, b = tg.tensor([1 + 2**-23], dtype=tg.float32), tg.tensor([1.0])
    assert tg.isclose(a, b, rtol=1e-7, atol=0).tolist() == [False]
    assert tg.isclose(a, b, rtol=2e-7, atol=0).tolist() == [True]
    zero_d = tg.isclose(tg.tensor(1.0), tg.tensor(2.0))
    assert zero_d.shape == () and isinstance(zero_d._data, np.ndarray)


# ---- 2. assert_close in PyTorch's words ----------------------------------------------------
def _tensors(module, *values, **kwargs):
    return [module.tensor(v, **kwargs) for v in values]


MESSAGES = {  # name: (call on a module, PyTorch 2.13's message)
    "python ints": (lambda m: m.testing.assert_close(1, 2),
                    "Scalars are not equal!\n\nExpected 2 but got 1.\nAbsolute difference: 1\n"
                    "Relative difference: 0.5"),
    "python bools": (lambda m: m.testing.assert_close(True, False),
                     "Booleans mismatch: True is not False"),
    "numpy bool": (lambda m: m.testing.assert_close(np.bool_(True), False),
                   "Booleans mismatch: True is not False"),
    "0-d float32 as Python floats": (
        lambda m: m.testing.assert_close(*_tensors(m, 1.0, 1.5)),
        "Scalars are not close!\n\nExpected 1.5 but got 1.0.\nAbsolute difference: 0.5 (up to "
        "1e-05 allowed)\nRelative difference: 0.3333333333333333 (up to 1.3e-06 allowed)"),
    "dtype names": (lambda m: m.testing.assert_close(m.tensor([1.0]), m.tensor([1.0]).double()),
                    "The values for attribute 'dtype' do not match: torch.float32 != "
                    "torch.float64."),
    "shapes": (lambda m: m.testing.assert_close(m.zeros(2, 0), m.zeros(0, 2)),
               "The values for attribute 'shape' do not match: torch.Size([2, 0]) != "
               "torch.Size([0, 2])."),
    "integer tolerance": (
        lambda m: m.testing.assert_close(*_tensors(m, [1, 2], [1, 4]), atol=1, rtol=0),
        "Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute "
        "difference: 2 at index (1,) (up to 1 allowed)\nGreatest relative difference: 0.5 at "
        "index (1,) (up to 0 allowed)"),
    "uint8 ratio in float32": (
        lambda m: m.testing.assert_close(*_tensors(m, [1, 2], [1, 3], dtype=m.uint8)),
        "Tensor-likes are not equal!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute "
        "difference: 1 at index (1,)\nGreatest relative difference: 0.3333333432674408 at "
        "index (1,)"),
    "int with float promoted to float32": (
        lambda m: m.testing.assert_close(m.tensor([1, 2]), m.tensor([1.0, 2.5]),
                                         check_dtype=False),
        "Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute "
        "difference: 0.5 at index (1,) (up to 1e-05 allowed)\nGreatest relative difference: "
        "0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)"),
    "mapping keys": (lambda m: m.testing.assert_close({"a": 1.0, "c": 2.0}, {"b": 1.0, "c": 2.0}),
                     "The keys of the mappings do not match:\nMissing keys in the actual "
                     "mapping: ['b']\nAdditional keys in the actual mapping: ['a']"),
    "nested item with callable msg": (
        lambda m: m.testing.assert_close({"a": [1.0, 2.0]}, {"a": [1.0, 3.0]},
                                         msg=lambda text: "mine: " + text),
        "mine: Scalars are not close!\n\nExpected 3.0 but got 2.0.\nAbsolute difference: 1.0 "
        "(up to 1e-07 allowed)\nRelative difference: 0.3333333333333333 (up to 1e-07 allowed)"
        "\n\nThe failure occurred for item ['a'][1]"),
    "rtol without atol": (
        lambda m: m.testing.assert_close(m.ones(2), m.ones(2), rtol=1e-3),
        "Both 'rtol' and 'atol' must be either specified or omitted, but got no atol."),
    "Size items": (lambda m: m.testing.assert_close(m.Size([2, 3]), m.Size([2, 4])),
                   "Scalars are not equal!\n\nExpected 4 but got 3.\nAbsolute difference: 1\n"
                   "Relative difference: 0.25\n\nThe failure occurred for item [1]"),
}


@pytest.mark.parametrize("name", list(MESSAGES))
def test_assert_close_message_as_pytorchs(name):
    call, expected = MESSAGES[name]
    kind = "ValueError" if name == "rtol without atol" else "AssertionError"
    assert _outcome(lambda: call(tg)) == (kind, expected)
    if torch is not None:
        assert _outcome(lambda: call(torch)) == (kind, expected)


def test_assert_allclose_has_its_own_looser_defaults():
    with pytest.warns(FutureWarning):  # float32: rtol 1e-4 (assert_close's is 1.3e-6)
        tg.testing.assert_allclose(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.0001]))
    with pytest.warns(FutureWarning), pytest.raises(AssertionError, match=r"up to 0\.0001 "):
        tg.testing.assert_allclose(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.5]))
    with pytest.warns(FutureWarning):
        tg.testing.assert_allclose([1.0, float("nan")], [1.0, float("nan")])
    if torch is not None:
        with pytest.warns(FutureWarning):
            torch.testing.assert_allclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0001]))


def test_assert_close_allow_subclasses_false_and_numpy_scalars():
    p = nn.Parameter(tg.tensor([1.0]))
    tg.testing.assert_close(p, tg.tensor([1.0]))
    with pytest.raises(TypeError, match="No comparison pair was able to handle"):
        tg.testing.assert_close(p, tg.tensor([1.0]), allow_subclasses=False)
    tg.testing.assert_close(np.float32(1.0), 1.0)  # a NumPy scalar is its Python number
    tg.testing.assert_close(np.int64(3), 3)
    with pytest.raises(AssertionError, match=r"The \(d\)types do not match: <class 'int'> != "
                                             r"<class 'float'>\."):
        tg.testing.assert_close(1, 1.0)
    with pytest.raises(AssertionError, match="^custom$"):
        tg.testing.assert_close([tg.tensor(1.0)], [tg.tensor(2.0)], msg="custom")


# ---- 3. printing -----------------------------------------------------------------------------
SCI_ZEROS = [  # (values, dtype, PyTorch 2.13's repr under set_printoptions(sci_mode=True))
    ([0.0, 0.0], "float32", "tensor([0., 0.])"),
    ([0.0, -0.0], "float16", "tensor([0., -0.], dtype=torch.float16)"),  # width 1: no padding
    ([0.0, float("nan")], "float32", "tensor([0., nan])"),
    ([float("inf"), 0.0], "float64", "tensor([inf, 0.], dtype=torch.float64)"),
    ([0.0, 1.0], "float32", "tensor([0.0000e+00, 1.0000e+00])"),
]


@pytest.mark.parametrize(("values", "dtype", "expected"), SCI_ZEROS)
def test_sci_mode_with_no_nonzero_finite_value_prints_plain(values, dtype, expected):
    tg.set_printoptions(sci_mode=True)
    try:
        assert repr(tg.tensor(values, dtype=dtype)) == expected
    finally:
        tg.set_printoptions(profile="default")
    if torch is not None:
        torch.set_printoptions(sci_mode=True)
        try:
            assert repr(torch.tensor(values, dtype=getattr(torch, dtype))) == expected
        finally:
            torch.set_printoptions(profile="default")


def test_iinfo_repr_as_pytorchs_g_format():
    expected = {"int8": "iinfo(min=-128, max=127, dtype=int8)",
                "int32": "iinfo(min=-2.14748e+09, max=2.14748e+09, dtype=int32)",
                "int64": "iinfo(min=-9.22337e+18, max=9.22337e+18, dtype=int64)"}
    for name, text in expected.items():
        assert repr(tg.iinfo(getattr(tg, name))) == text
        if torch is not None:
            assert repr(torch.iinfo(getattr(torch, name))) == text


# ---- 4. gradcheck ------------------------------------------------------------------------------
NO_GRAD = ("gradcheck expects at least one input tensor to require gradient, but none of them "
           "have requires_grad=True.")


@pytest.mark.parametrize("check", ["gradcheck", "gradgradcheck"])
def test_gradcheck_without_grad_inputs_is_pytorchs_value_error_before_func_runs(check):
    calls = []

    def func(*args):
        calls.append(args)
        return args[0].sin()

    x = tg.tensor([1.0, 2.0], dtype=tg.float64)
    for inputs in ((x,), ()):
        with pytest.raises(ValueError) as info:
            getattr(tg.autograd, check)(func, inputs)
        assert str(info.value) == NO_GRAD
    assert calls == []
    if torch is not None:
        with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
            getattr(torch.autograd, check)(torch.sin, (torch.tensor([1.0], dtype=torch.float64),))


class _WrongCube(tg.autograd.Function):
    """y = x**3 with the rule 2 x**2 (should be 3 x**2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x * x


def test_gradcheck_names_a_wrong_custom_op_inside_a_larger_graph():
    rng = np.random.default_rng(0)
    w1 = tg.tensor(rng.standard_normal((3, 4)), requires_grad=True, name="w1")
    w2 = tg.tensor(rng.standard_normal((4, 2)), requires_grad=True, name="w2")
    x = tg.tensor(rng.standard_normal((5, 3)))

    def fn(w1, w2):
        h = (x @ w1).tanh()
        h2 = h + h.exp()  # h used twice, a branch around the custom op
        z = _WrongCube.apply(h2) @ w2
        return z.softmax(-1)[:, 0].sum() + (h * 2).mean()

    for fast in (False, True):
        with pytest.raises(GradcheckError) as info:
            tg.gradcheck(fn, [w1, w2], fast=fast)
        assert info.value.kind == "wrong rule" and info.value.op == "_WrongCubeBackward"
        assert "z = _WrongCube.apply(h2) @ w2" in str(info.value)


# ---- 5. the backward trace: a tiny 2-d gradient stays on one table line --------------------------
def test_trace_backward_prints_small_matrices_on_one_line():
    x = tg.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, name="x")
    h = x.relu()
    loss = h.sum() + (h * x).mean()
    text = str(tg.trace_backward(loss))
    lines = text.splitlines()
    assert all(line.startswith(("#", "-", " ")) or line[0].isdigit() for line in lines)
    # x's gradient: relu's mask (1 where x > 0) times (1 + 2 x / 4) where x > 0
    assert lines[-1].split()[-4:] == ["[[1.5,", "0],", "[1.25,", "2.5]]"]
    column = lines[0].index("gradient")  # every row's gradient starts under the header's
    assert all(line[column - 2:column] == "  " and line[column] != " " for line in lines[2:])


# ---- 6. make_tensor's bounds as PyTorch's --------------------------------------------------------
def test_make_tensor_integer_default_range_includes_9_and_bounds_are_checked():
    tg.manual_seed(0)
    values = tg.testing.make_tensor(4000, dtype=tg.int64, device="cpu")
    assert (values.min().item(), values.max().item()) == (-9, 9)  # PyTorch's randint(-9, 10)
    unsigned = tg.testing.make_tensor(4000, dtype=tg.uint8, device="cpu")
    assert (unsigned.min().item(), unsigned.max().item()) == (0, 9)
    ones = tg.testing.make_tensor(500, dtype=tg.bool, device="cpu", exclude_zero=True)
    assert ones.all().item()
    with pytest.raises(ValueError, match=r"The value interval specified by `low` and `high` is "
                                         r"\[-10, -1\), but torch.uint8 only supports \[0, 256\)"):
        tg.testing.make_tensor(3, dtype=tg.uint8, device="cpu", low=-10, high=-1)
    with pytest.warns(FutureWarning, match="Passing `low==high`"):
        same = tg.testing.make_tensor(3, dtype=tg.float32, device="cpu", low=1, high=1)
    assert same.tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="`requires_grad=True` is not supported for boolean"):
        tg.testing.make_tensor(3, dtype=tg.int64, device="cpu", requires_grad=True)
    if torch is not None:
        with pytest.raises(ValueError, match=r"\[-10, -1\), but torch.uint8 only supports"):
            torch.testing.make_tensor(3, dtype=torch.uint8, device="cpu", low=-10, high=-1)


EDGE0 = [  # (shape, threshold, PyTorch 2.13's repr with edgeitems=0)
    ((10,), 3, "tensor([...], size=(10,))"),
    ((3,), 1000, "tensor([0., 1., 2.], size=(3,))"),
    ((2, 3), 3, "tensor([...], size=(2, 3))"),
    ((3, 4, 5), 3, "tensor([...], size=(3, 4, 5))"),
]


@pytest.mark.parametrize(("shape", "threshold", "expected"), EDGE0)
def test_edgeitems_zero_prints_dots_and_the_size(shape, threshold, expected):
    values = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    tg.set_printoptions(edgeitems=0, threshold=threshold)
    try:
        assert repr(tg.tensor(values)) == expected
    finally:
        tg.set_printoptions(profile="default")
    if torch is not None:
        torch.set_printoptions(edgeitems=0, threshold=threshold)
        try:
            assert repr(torch.tensor(values)) == expected
        finally:
            torch.set_printoptions(profile="default")


# ---- 7. the drawing shows each result as its op made it, after writes through views -------------
def test_drawing_keeps_values_that_a_write_through_a_view_changes():
    from tinygrad_np.viz.trace import trace

    y = tg.tensor([1.0, 2.0, 3.0], requires_grad=True, name="y")
    z = y * 1
    v = z.view(3, 1)
    v.add_(1)  # writes z's memory through the view
    v[0] = 9.0  # and again
    loss = (z * 2).sum()
    shown = [(n.op, None) if n.data is None else np.asarray(n.data).ravel().tolist()
             for n in trace(loss).nodes if n.kind == "intermediate"]
    assert shown == [[1.0, 2.0, 3.0],  # y * 1
                     [1.0, 2.0, 3.0],  # .view(3, 1) before add_
                     [2.0, 3.0, 4.0],  # add_'s result
                     [2.0, 3.0, 4.0], [2.0, 3.0, 4.0],  # z and v re-derived after add_
                     [9.0, 3.0, 4.0], [9.0, 3.0, 4.0],  # v[0] = 9 and z after it
                     [18.0, 6.0, 8.0]]  # z * 2
    assert z.tolist() == [9.0, 3.0, 4.0] and v.tolist() == [[9.0], [3.0], [4.0]]
    loss.backward()
    assert y.grad.tolist() == [0.0, 2.0, 2.0]  # element 0 overwritten: no gradient to y


# ---- 8. compare_with_torch does not let a shape difference broadcast away ------------------------
def test_compare_with_torch_refuses_a_shape_difference():
    if torch is None:
        pytest.skip("compare_with_torch needs PyTorch")
    x = np.array([0.5, 1.5, -2.0])
    with pytest.raises(AssertionError, match=r"shape \(1,\) differs from PyTorch's \(\)"):
        tg.testing.compare_with_torch(lambda t: t.sum(0, keepdim=True), lambda t: t.sum(0), x)
    tg.testing.compare_with_torch(lambda t: t.sum(0), lambda t: t.sum(0), x)


def test_compare_with_torch_refuses_a_dtype_difference():
    if torch is None:
        pytest.skip("compare_with_torch needs PyTorch")
    x = np.array([0.5, 1.5, -2.0])
    with pytest.raises(AssertionError, match="dtype float32 differs from PyTorch's float64"):
        tg.testing.compare_with_torch(lambda t: t.float() * 2, lambda t: t * 2, x)
