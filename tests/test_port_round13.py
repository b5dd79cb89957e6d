"""Thirteenth round of probes against PyTorch (session 19): a 0-d float tensor first beside an
n-d tensor of another float dtype, integer promotion of gcd/lcm, and what the probes of this
round found."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

LIBS = [tg] if torch is None else [tg, torch]


def _name(dtype) -> str:
    return str(dtype).replace("torch.", "")


# A 0-d float tensor does not widen an n-d float operand, on either side (PyTorch's
# result_type): tensor(2.) * half is half, as half * tensor(2.).
ZERO_D_FIRST = {
    "+": lambda s, a: s + a, "-": lambda s, a: s - a, "*": lambda s, a: s * a,
    "/": lambda s, a: s / a, "**": lambda s, a: s ** a, "%": lambda s, a: s % a,
    "//": lambda s, a: s // a, "add": lambda s, a: s.add(a),
    "add alpha": lambda s, a: s.add(a, alpha=2), "sub alpha": lambda s, a: s.sub(a, alpha=2),
    "mul": lambda s, a: s.mul(a), "div": lambda s, a: s.div(a), "pow": lambda s, a: s.pow(a),
    "maximum": lambda s, a: s.maximum(a),
    "minimum": lambda s, a: s.minimum(a), "fmax": lambda s, a: s.fmax(a),
    "hypot": lambda s, a: s.hypot(a), "logaddexp": lambda s, a: s.logaddexp(a),
    "fmod": lambda s, a: s.fmod(a), "remainder": lambda s, a: s.remainder(a),
}


@pytest.mark.parametrize("name", list(ZERO_D_FIRST))
@pytest.mark.parametrize("pair", [("float32", "float16"), ("float64", "float32"),
                                  ("float64", "float16"), ("float16", "float32")])
def test_zero_d_float_first_takes_the_n_d_float_dtype(name, pair):
    scalar_dtype, array_dtype = pair
    s = tg.tensor(1.5, dtype=getattr(tg, scalar_dtype), requires_grad=True)
    a = tg.tensor([0.5, 2.0, 3.0], dtype=getattr(tg, array_dtype), requires_grad=True)
    out = ZERO_D_FIRST[name](s, a)
    assert _name(out.dtype) == array_dtype
    if name not in ("%", "//", "fmod", "remainder"):
        out.sum().backward()
        assert s.grad.dtype == s.dtype and a.grad.dtype == a.dtype
    s64, a64 = (tg.tensor(t.detach().numpy().astype(np.float64)) for t in (s, a))
    np.testing.assert_allclose(out.detach().numpy().astype(np.float64),
                               ZERO_D_FIRST[name](s64, a64).numpy(), rtol=2e-3)


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("name", list(ZERO_D_FIRST))
def test_zero_d_float_first_like_pytorch(name):
    for d0, d1 in itertools.product(("float16", "float32", "float64"), repeat=2):
        for first in (True, False):
            seen = []
            for lib in (tg, torch):
                s = lib.tensor(1.5, dtype=getattr(lib, d0), requires_grad=True)
                a = lib.tensor([0.5, 2.0, 3.0], dtype=getattr(lib, d1), requires_grad=True)
                out = ZERO_D_FIRST[name](s, a) if first else ZERO_D_FIRST[name](a, s)
                seen.append((_name(out.dtype), out.detach().double().numpy()))
            assert seen[0][0] == seen[1][0], (d0, d1, first)
            np.testing.assert_allclose(seen[0][1], seen[1][1], rtol=2e-3)


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_where_with_a_zero_d_float_operand(lib):
    s, a = lib.tensor(2.0), lib.ones(3, dtype=lib.float16)
    assert _name(lib.where(lib.tensor([True, False, True]), s, a).dtype) == "float16"
    assert _name(lib.where(lib.tensor([True, False, True]), a, s).dtype) == "float16"
    assert _name(s.where(lib.tensor(True), a).dtype) == "float16"


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
@pytest.mark.parametrize("fn", ["gcd", "lcm"])
def test_gcd_lcm_integer_promotion(lib, fn):
    f = getattr(lib, fn)
    i32 = lib.tensor([4, 6], dtype=lib.int32)
    assert _name(f(i32, lib.tensor(4)).dtype) == "int32"  # a 0-d tensor does not widen
    assert _name(f(lib.tensor([4, 6]), lib.tensor(4, dtype=lib.int32)).dtype) == "int64"
    assert _name(f(i32, lib.tensor([4, 4])).dtype) == "int64"
    assert f(i32, lib.tensor(4)).tolist() == ([4, 2] if fn == "gcd" else [4, 12])


def test_neuron_drawing_shows_no_graph_input_as_a_constant():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    b = tg.tensor(-0.5, dtype=tg.float64, requires_grad=True, name="b")
    out = ((x @ x) + b).sigmoid()
    out.backward()
    source = tg.draw_graph(out, show_data=True).source
    assert "b = -0.5" not in source  # b is a node of its own, not Add's constant
    source = tg.draw_graph(x * 2, show_data=True).source
    assert "b = 2" in source  # a Python number still is


def test_trace_rule_of_ops_without_a_rule_in_their_own_docstring():
    from tinygrad_np.viz.backward import rule_in_words

    class Twice(tg.Function):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, g):
            return g * 2

    assert rule_in_words(Twice) == "Twice.backward (no rule in its docstring)"
    z = tg.tensor([[1.0, 2.0]], requires_grad=True)
    loss = tg.nn.functional.cross_entropy(z, tg.tensor([1]))
    assert rule_in_words(type(loss.grad_fn)).startswith("dz_i = (softmax(z_i)")


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_optimizer_step_count_answers_as_a_0_d_float32_tensor(lib):
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.Adam([p], lr=0.1)
    for _ in range(3):
        p.sum().backward()
        opt.step()
    step = opt.state[p]["step"]
    assert _name(step.dtype) == "float32" and tuple(step.shape) == () and step.dim() == 0
    assert step.item() == 3.0 and int(step) == 3 and step.numel() == 1
    assert float(step.cpu()) == 3.0 and float(step.detach()) == 3.0
    assert step.numpy().dtype == np.float32 and step.is_floating_point()


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_numpy_ufunc_on_a_tensor_that_requires_grad_is_a_runtime_error(lib):
    t = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError):
        np.maximum(t, 0)
    with pytest.raises(RuntimeError):
        np.exp(t)


def test_numpy_bypass_error_is_still_a_type_error():
    t = tg.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="bypass autograd"):
        np.exp(t)
    with pytest.raises(TypeError, match="bypass autograd"):
        np.dot(t, t)


def test_batches_of_tensors_are_tensors_in_the_graph():
    from tinygrad_np.datasets import batches

    x = tg.arange(10.0).reshape(5, 2).requires_grad_()
    y = tg.arange(5)
    seen = []
    for xb, yb in batches(x, y, 2, seed=0):
        assert isinstance(xb, tg.Tensor) and isinstance(yb, tg.Tensor)
        assert xb.requires_grad
        np.testing.assert_array_equal(xb.detach().numpy()[:, 0], 2.0 * yb.numpy())
        seen += yb.tolist()
        xb.sum().backward()
    assert sorted(seen) == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((5, 2)))
    xs, ys = next(batches(np.ones((3, 2)), [0, 1, 2], 2, shuffle=False))
    assert type(xs) is np.ndarray and type(ys) is np.ndarray


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_custom_function_forward_gets_the_callers_tensor(lib):
    seen = {}

    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen["x"] = x
            ctx.flag = x.requires_grad  # PyTorch code reads it in forward
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2 if ctx.flag else None

    x = lib.ones(3, requires_grad=True)
    Twice.apply(x).sum().backward()
    assert seen["x"] is x
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    y = x * 1
    Twice.apply(y).sum().backward()
    assert seen["x"] is y
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0, 4.0])


def test_numpy_ufunc_on_a_tensor_that_requires_grad_runs_under_no_grad():
    t = tg.ones(2, requires_grad=True)
    with tg.no_grad():
        np.testing.assert_allclose(np.exp(t).numpy(), np.exp(np.ones(2)), rtol=1e-6)


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_axis_give_values_and_indices(lib, name):
    x = lib.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = getattr(x, name)(axis=1)  # axis: PyTorch's alias of dim
    expected = {"max": ([5.0, 7.0], [1, 0]), "min": ([1.0, 0.0], [0, 1])}[name]
    assert values.tolist() == expected[0] and indices.tolist() == expected[1]
    kept = getattr(x, name)(axis=1, keepdims=True)
    assert tuple(kept.values.shape) == (2, 1) and tuple(kept.indices.shape) == (2, 1)
    assert tuple(getattr(x, name)(1, keepdims=True).values.shape) == (2, 1)


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_custom_optimizer_int_step_stays_an_int_through_load_state_dict(lib):
    class Counting(lib.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 1.0})

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    state = self.state[p]
                    state["step"] = state.get("step", 0) + 1

    w = lib.nn.Parameter(lib.ones(2))
    first = Counting([w])
    first.step()
    second = Counting([w])
    second.load_state_dict(first.state_dict())
    step = second.state[w]["step"]
    assert type(step) is int and step == 1
    second.step()
    assert second.state[w]["step"] == 2 and type(second.state[w]["step"]) is int


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_serialization_safe_globals_allow_list(lib, tmp_path):
    class Config:
        pass

    serialization = lib.serialization
    before = serialization.get_safe_globals()
    serialization.add_safe_globals([Config])
    try:
        assert Config in serialization.get_safe_globals()
        with serialization.safe_globals([int]):
            assert int in serialization.get_safe_globals()
        assert int not in serialization.get_safe_globals()
        lib.save({"w": lib.ones(2)}, tmp_path / "f.pt")
        with serialization.safe_globals([Config]):
            loaded = lib.load(tmp_path / "f.pt", weights_only=True)
        assert loaded["w"].tolist() == [1.0, 1.0]
    finally:
        serialization.clear_safe_globals()
        serialization.add_safe_globals(before)


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_jacobian_of_an_integer_input_is_a_runtime_error(lib):
    with pytest.raises(RuntimeError):
        lib.autograd.functional.jacobian(lambda x: x * 2, lib.tensor([1, 2]))


def test_gradgradcheck_names_a_custom_function_whose_backward_is_not_differentiable():
    class Cube(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a**3

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 3 * (a.detach() ** 2)  # a constant under create_graph

    x = tg.tensor([0.5, 1.5], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(Cube.apply, [x])
    with pytest.raises(AssertionError, match="custom Function\\(s\\) Cube"):
        tg.autograd.gradgradcheck(Cube.apply, [x])


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_entr_values_and_gradient_at_the_edges(lib):
    x = lib.tensor([0.0, 0.5, 2.0, -1.0], dtype=lib.float64, requires_grad=True)
    y = lib.special.entr(x)
    np.testing.assert_allclose(y.detach().numpy(), [0.0, 0.5 * np.log(2), -2 * np.log(2),
                                                    -np.inf])
    y.sum().backward()
    grad = x.grad.numpy()
    assert grad[0] == np.inf and np.isnan(grad[3])  # -(log x + 1): inf at 0, NaN below
    np.testing.assert_allclose(grad[1:3], [np.log(2) - 1, -np.log(2) - 1])
    assert _name(lib.special.entr(lib.tensor([1, 0, 2])).dtype) == "float32"


@pytest.mark.parametrize("mode, antialias", [("bilinear", False), ("bilinear", True),
                                             ("bicubic", False), ("bicubic", True),
                                             ("nearest-exact", False)])
def test_interpolate_uint8_images(mode, antialias):
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (1, 3, 5, 7), dtype=np.uint8)
    out = tg.nn.functional.interpolate(tg.tensor(img), size=(8, 4), mode=mode,
                                       antialias=antialias)
    assert out.dtype == np.uint8 and tuple(out.shape) == (1, 3, 8, 4)
    as_float = tg.nn.functional.interpolate(tg.tensor(img.astype(np.float32)), size=(8, 4),
                                            mode=mode, antialias=antialias).numpy()
    assert np.abs(out.numpy().astype(int) - np.clip(np.rint(as_float), 0, 255)).max() <= 20
    if torch is not None:
        theirs = torch.nn.functional.interpolate(torch.tensor(img), size=(8, 4), mode=mode,
                                                 antialias=antialias).numpy()
        assert theirs.dtype == np.uint8
        assert np.abs(out.numpy().astype(int) - theirs.astype(int)).max() <= 2


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_autocast_state_is_per_thread(lib):
    import threading

    seen = []
    with lib.autocast("cpu"):
        thread = threading.Thread(target=lambda: seen.append(lib.is_autocast_enabled("cpu")))
        thread.start()
        thread.join()
        assert lib.is_autocast_enabled("cpu")
    assert seen == [False] and not lib.is_autocast_enabled("cpu")


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_addcmul_addcdiv_integer_operands_of_one_dtype(lib):
    with pytest.raises(RuntimeError):
        lib.tensor([1]).addcdiv(lib.tensor([3]), lib.tensor([2]))
    out = lib.tensor([1]).addcmul(lib.tensor([3]), lib.tensor([3]), value=0.5)
    assert out.tolist() == [1] and _name(out.dtype) == "int64"  # value truncated to 0


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_relu_refuses_a_bool_array_that_went_through_pickle(lib):
    import pickle

    array = pickle.loads(pickle.dumps(np.array([True, False])))
    with pytest.raises(RuntimeError):
        lib.from_numpy(array).relu()


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_func_grad_checks_argnums(lib):
    with pytest.raises(RuntimeError, match="argnum"):
        lib.func.grad(lambda x: (x * x).sum(), argnums=3)(lib.ones(2))


def test_size_of_numpy_ints_saves_as_a_size(tmp_path):
    tg.save({"s": tg.Size((np.int64(2), 3))}, tmp_path / "f")
    loaded = tg.load(tmp_path / "f")["s"]
    assert isinstance(loaded, tg.Size) and tuple(loaded) == (2, 3)


def test_global_module_hooks_still_run_after_the_fast_check():
    calls = []
    handle = tg.nn.modules.module.register_module_forward_hook(
        lambda module, args, output: calls.append(type(module).__name__))
    try:
        tg.nn.Identity()(tg.ones(1))
    finally:
        handle.remove()
    tg.nn.Identity()(tg.ones(1))
    assert calls == ["Identity"]


def _dirty_function(lib, save):
    class Dirty(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            if save:
                ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, g):
            if save:
                (y,) = ctx.saved_tensors  # the output (2 x): the gradient is y, i.e. 2x * g
                return g * y
            return g * 2

    return Dirty


# mark_dirty on a view: the base's graph records the write, as any in-place write into a view
# (the base's gradient skipped the custom backward before: silently wrong).
DIRTY_VIEW_CASES = {
    "base squared": lambda L, x, a, F: (F.apply(a[:2]), (a * a).sum()),
    "view of all": lambda L, x, a, F: (F.apply(a.view(3)), a.sum()),
    "other view": lambda L, x, a, F: (F.apply(a[:2]), a[1:].sum()),
    "output": lambda L, x, a, F: (F.apply(a[:2]), None),
}


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
@pytest.mark.parametrize("case", list(DIRTY_VIEW_CASES))
@pytest.mark.parametrize("save", [False, True])
def test_mark_dirty_on_a_view_reaches_the_base(lib, case, save):
    x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
    a = x * 1
    out, loss = DIRTY_VIEW_CASES[case](lib, x, a, _dirty_function(lib, save))
    (out * 3).sum().backward() if loss is None else loss.backward()
    factor = np.array([1.0, -2.0, 4.0])  # 2x, what F saved (with save=True) and multiplies by
    expected = {"base squared": np.array([2 * 1.0 * 2, 2 * -2.0 * 2, 2 * 2.0]),
                "view of all": np.array([2.0, 2.0, 2.0]),
                "other view": np.array([0.0, 2.0, 1.0]),
                "output": np.array([6.0, 6.0, 0.0])}[case]
    if save:  # backward returns g * 2x instead of g * 2
        expected = expected * np.where(np.arange(3) < (3 if case == "view of all" else 2),
                                       factor / 2.0, 1.0)
    np.testing.assert_allclose(x.grad.numpy(), expected)
    np.testing.assert_allclose(a.detach().numpy(),
                               [1.0, -2.0, 4.0] if case == "view of all" else [1.0, -2.0, 2.0])
