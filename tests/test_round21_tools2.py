"""Round 21, the testing and seeing tools (2): a custom Function's saved_tensors read from
outside backward, gradcheck's check_undefined_grad / check_batched_grad / check_grad_dtypes,
checkpoint under saved_tensors_hooks. Compared with PyTorch where installed."""

from __future__ import annotations

import numpy as np
import pytest
from tinygrad_np.autograd.gradcheck import GradcheckError

import tinygrad_np as tg

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
# (PyTorch's forward mode imports its decompositions through torch.jit.script, deprecated)
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")


def _saving_function(lib):
    class Saving(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, h, k):
            y = x * h * k
            ctx.save_for_backward(x, h, y, x + 1, None, k)
            return y

        @staticmethod
        def backward(ctx, g):
            x, h, _, _, _, k = ctx.saved_tensors
            return g * h * k, g * x * k, None

    return Saving


def _saved_summary(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    k = lib.tensor([1.0, 2.0])
    y = _saving_function(lib).apply(x, h, k)
    saved = y.grad_fn.saved_tensors
    summary = {
        "types": [type(t).__name__ for t in saved],
        "identity": (saved[0] is x, saved[1] is h, saved[2] is y, saved[5] is k),
        "output grad_fn": saved[2].grad_fn is y.grad_fn,
        "requires_grad": [None if t is None else t.requires_grad for t in saved],
        "values": [None if t is None else t.detach().numpy().tolist() for t in saved],
        "has _saved_self": hasattr(y.grad_fn, "_saved_self"),
        "has _saved_result": hasattr(y.grad_fn, "_saved_result"),
    }
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.grad_fn.saved_tensors  # noqa: B018 (freed by backward)
    return summary


@needs_torch
def test_custom_function_saved_tensors_are_tensors_as_pytorch():
    assert _saved_summary(tg) == _saved_summary(torch)


def test_custom_function_saved_tensors_inside_backward_and_gradients():
    x = tg.tensor([1.0, 2.0], requires_grad=True, dtype=tg.float64)
    h = x * 3
    y = _saving_function(tg).apply(x, h, tg.tensor([2.0, 1.0], dtype=tg.float64))
    y.sum().backward()
    # d/dx of x * 3x * k = 6 x k
    np.testing.assert_allclose(x.grad.numpy(), [12.0, 12.0])


def test_custom_function_saved_tensors_under_create_graph():
    class Product(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, h):
            ctx.save_for_backward(x, h)
            return x * h

        @staticmethod
        def backward(ctx, g):
            x, h = ctx.saved_tensors
            return g * h, g * x

    x = tg.tensor([1.0, 2.0], requires_grad=True, dtype=tg.float64)
    y = Product.apply(x, x * 1.0)
    (g,) = tg.autograd.grad(y.sum(), x, create_graph=True)
    assert y.grad_fn.saved_tensors[0] is x  # kept by create_graph
    np.testing.assert_allclose(g.detach().numpy(), [2.0, 4.0])  # d(x^2)/dx = 2x
    (gg,) = tg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [2.0, 2.0])


def _checkpoint_hook_calls(lib, reentrant, backward_inside):
    calls = []

    def pack(t):
        calls.append("pack")
        return t

    def unpack(t):
        calls.append("unpack")
        return t

    w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    hooks = lib.autograd.graph.saved_tensors_hooks(pack, unpack)
    with hooks:
        out = lib.utils.checkpoint.checkpoint(lambda a: (a.sin() * a).sum(0), w,
                                              use_reentrant=reentrant)
        forward = list(calls)
        calls.clear()
        if backward_inside:
            out.sum().backward()
    if not backward_inside:
        out.sum().backward()
    return forward, calls, w.grad.numpy().round(5).tolist()


@needs_torch
@pytest.mark.parametrize("reentrant", [False, True])
@pytest.mark.parametrize("backward_inside", [False, True])
def test_checkpoint_under_saved_tensors_hooks_packs_as_pytorch(reentrant, backward_inside):
    ours = _checkpoint_hook_calls(tg, reentrant, backward_inside)
    theirs = _checkpoint_hook_calls(torch, reentrant, backward_inside)
    assert ours == theirs


@needs_torch
@pytest.mark.parametrize("reentrant", [False, True])
def test_checkpoint_second_backward_needs_retain_graph_as_pytorch(reentrant):
    for lib in (tg, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        out = lib.utils.checkpoint.checkpoint(lambda a: (a.sin() * a).sum(), w,
                                              use_reentrant=reentrant)
        out.backward(retain_graph=True)
        out.backward()
        np.testing.assert_allclose(
            w.grad.detach().numpy(), 2 * (np.sin([1.0, 2.0]) + np.array([1.0, 2.0]) * np.cos(
                [1.0, 2.0])), rtol=1e-5)
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            out.backward()


def _gradcheck_functions(lib):
    class Unguarded(lib.autograd.Function):  # backward multiplies a None
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Guarded(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return None if g is None else g * 2

    class NonZero(lib.autograd.Function):  # a gradient out of nothing
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return lib.ones(3, dtype=lib.float64) if g is None else g * 2

    class Raising(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            if g is None:
                raise RuntimeError("no gradient")
            return g * 2

    return Unguarded, Guarded, NonZero, Raising


def _gradcheck_outcome(lib, position, keywords):
    x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    cls = _gradcheck_functions(lib)[position]
    try:
        with pytest.warns(UserWarning) if position >= 2 and keywords.get(
                "check_undefined_grad", True) else _nothing():
            return lib.autograd.gradcheck(cls.apply, (x,), **keywords)
    except Exception as error:  # noqa: BLE001 (the outcome compared with PyTorch's)
        return type(error).__name__, str(error).split(" Please")[0].split(": ")[-1]


class _nothing:  # noqa: N801
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


@needs_torch
@pytest.mark.parametrize("position", range(4))
@pytest.mark.parametrize("keywords", [{}, {"check_undefined_grad": False},
                                      {"check_grad_dtypes": True},
                                      {"check_batched_grad": True}])
def test_gradcheck_undefined_grad_check_as_pytorch(position, keywords):
    ours = _gradcheck_outcome(tg, position, keywords)
    theirs = _gradcheck_outcome(torch, position, keywords)
    assert ours == theirs


def test_gradcheck_undefined_grad_names_the_function():
    x = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64, requires_grad=True)
    non_zero = _gradcheck_functions(tg)[2]
    with pytest.warns(UserWarning, match="check_undefined_grad=False"), \
            pytest.raises(GradcheckError, match="backward of NonZero"):
        tg.autograd.gradcheck(lambda t: non_zero.apply(t.sin()).exp(), (x,))
    assert tg.autograd.gradcheck(lambda t: non_zero.apply(t), (x,), check_undefined_grad=False)
    with pytest.warns(UserWarning, match="check_undefined_grad=False"):
        assert tg.autograd.gradcheck(non_zero.apply, (x,), raise_exception=False,
                                     check_undefined_grad=True) is False


def test_gradcheck_batched_grad_catches_a_stateful_backward():
    class Drifting(tg.autograd.Function):  # right until its state moves past `steady` calls
        calls, steady = 0, 10**9

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            Drifting.calls += 1
            return g * (2 if Drifting.calls <= Drifting.steady + 2 else 3)

    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda t: (t * t).sin(), (x,), check_batched_grad=True)
    assert tg.autograd.gradcheck(Drifting.apply, (x,))
    Drifting.steady, Drifting.calls = Drifting.calls, 0  # the calls before the batched check
    with pytest.raises(GradcheckError, match="batched gradient computation: for input 0"):
        tg.autograd.gradcheck(Drifting.apply, (x,), check_batched_grad=True)


@needs_torch
@pytest.mark.parametrize("name", ["sin", "tanh_pair", "matmul", "float32_cast"])
def test_gradcheck_grad_dtypes_and_batched_as_pytorch(name):
    functions = {
        "sin": lambda L, t: t.sin(),
        "tanh_pair": lambda L, t: (t.tanh(), (t * 2).exp()),
        "matmul": lambda L, t: t.reshape(3, 1) @ t.reshape(1, 3),
        "float32_cast": lambda L, t: t.float().double() * 2,
    }
    results = []
    for lib in (tg, torch):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        try:
            results.append(lib.autograd.gradcheck(
                lambda t, lib=lib: functions[name](lib, t), (x,), check_grad_dtypes=True,
                check_batched_grad=True, atol=1e-4, rtol=1e-3))
        except Exception as error:  # noqa: BLE001
            results.append(type(error).__name__)
    assert results[0] == results[1]


def _several_outputs(lib):
    rng = np.random.default_rng(5)
    a = lib.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    sym = a.T @ a

    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    return {
        "svd": lambda: tuple(lib.linalg.svd(a, full_matrices=False)),
        "eigh": lambda: tuple(lib.linalg.eigh(sym)),
        "qr": lambda: tuple(lib.linalg.qr(a)),
        "split": lambda: a.split(2, 0),
        "split_sizes": lambda: lib.split(a, [1, 3], 0),
        "chunk": lambda: a.chunk(3, 1),
        "unbind": lambda: a.unbind(1),
        "custom": lambda: Two.apply(a),
    }


def _edges_summary(lib, case):
    edge = lib.autograd.graph.get_gradient_edge
    outputs = _several_outputs(lib)[case]()
    total = sum((o * (i + 1)).sum() for i, o in enumerate(outputs))
    grads = lib.autograd.grad(total, [edge(o) for o in outputs], retain_graph=True)
    consumers = [o.sum().grad_fn.next_functions[0] for o in outputs]
    return {
        "names": [o.grad_fn.name() for o in outputs],
        "output_nr": [o.output_nr for o in outputs],
        "edge output_nr": [edge(o).output_nr for o in outputs],
        "one edge node": len({id(edge(o).node) for o in outputs}) == 1,
        "next_functions": [(node.name(), number) for node, number in consumers],
        "same node in next_functions": len({id(node) for node, _ in consumers}) == 1,
        "own next_functions": [[(None if n is None else n.name(), k) for n, k in
                                o.grad_fn.next_functions] for o in outputs],
        "edge node name": edge(outputs[-1]).node.name(),
        "grads": [np.round(g.detach().numpy(), 6).tolist() for g in grads],
    }


@needs_torch
@pytest.mark.parametrize("case", ["svd", "eigh", "qr", "split", "split_sizes", "chunk", "unbind",
                                  "custom"])
def test_several_outputs_edges_and_output_nr_as_pytorch(case):
    ours, theirs = _edges_summary(tg, case), _edges_summary(torch, case)
    if case in ("svd", "eigh", "qr"):  # (signs of singular/eigen vectors may differ)
        ours.pop("grads"), theirs.pop("grads")
    assert ours == theirs


def test_edge_of_a_missing_output_is_refused():
    a = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    first, _ = a.unbind(0)
    node = tg.autograd.graph.get_gradient_edge(first).node
    with pytest.raises(RuntimeError, match="output 5"):
        tg.autograd.grad(first.sum(), tg.autograd.graph.GradientEdge(node, 5))
    (g,) = tg.autograd.grad(first.sum() * 3, tg.autograd.graph.GradientEdge(node, 0))
    np.testing.assert_allclose(g.numpy(), [3.0, 3.0])


def _shape_of(value):
    """The container structure of a result: list/tuple nesting down to 'T'."""
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [_shape_of(v) for v in value]
    return "T"


@needs_torch
@pytest.mark.parametrize("case", ["one-one", "tuple-one", "one-tuple", "tuple-tuple"])
@pytest.mark.parametrize("mode", [("reverse-mode", False), ("reverse-mode", True),
                                  ("forward-mode", True)])
def test_functional_jacobian_containers_and_values_as_pytorch(case, mode):
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64)
        y = lib.tensor([1.5, 0.25], dtype=lib.float64)
        func, inputs = {
            "one-one": (lambda a: a.sin() * a, x),
            "tuple-one": (lambda a, b: a.sum() * b.exp(), (x, y)),
            "one-tuple": (lambda a: (a * 2, a.prod()), x),
            "tuple-tuple": (lambda a, b: (a[:2] * b, b.cos()), (x, y)),
        }[case]
        found = lib.autograd.functional.jacobian(func, inputs, strategy=mode[0],
                                                 vectorize=mode[1])
        flat = []

        def collect(value):
            if isinstance(value, (list, tuple)):
                for item in value:
                    collect(item)
            else:
                flat.append(value.detach().numpy())

        collect(found)
        return _shape_of(found), flat

    ours, theirs = run(tg), run(torch)
    assert ours[0] == theirs[0]
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, atol=1e-12)


@needs_torch
def test_functional_hessian_forward_outer_strategy_lists_as_pytorch():
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64)
        y = lib.tensor([1.5, 0.25], dtype=lib.float64)
        found = lib.autograd.functional.hessian(lambda a, b: (a.sin().sum() * b ** 2).sum(),
                                                (x, y), vectorize=True,
                                                outer_jacobian_strategy="forward-mode")
        return _shape_of(found), [[h.detach().numpy() for h in row] for row in found]

    ours, theirs = run(tg), run(torch)
    assert ours[0] == theirs[0] == ("list", [("list", ["T", "T"])] * 2)
    for row_a, row_b in zip(ours[1], theirs[1]):
        for a, b in zip(row_a, row_b):
            np.testing.assert_allclose(a, b, atol=1e-12)


@needs_torch
def test_vmap_refuses_item_as_pytorch():
    for lib in (tg, torch):
        batch = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        with pytest.raises(RuntimeError, match=r"calling \.item\(\) on a Tensor"):
            lib.func.vmap(lambda row: row.sum().item())(batch)
        assert batch.sum().item() == 10.0  # (outside vmap: as ever)
        doubled = lib.func.vmap(lambda row: row * 2)(batch)
        np.testing.assert_allclose(doubled.numpy(), [[2.0, 4.0], [6.0, 8.0]])


def _tangents_in_inference_mode(lib):
    forward_ad = lib.autograd.forward_ad
    x = lib.tensor([1.0, 2.0], dtype=lib.float64)
    with forward_ad.dual_level():
        dual = forward_ad.make_dual(x, lib.tensor([1.0, 0.5], dtype=lib.float64))
        y = dual.exp()
        with lib.inference_mode():
            inside = [forward_ad.unpack_dual(t).tangent for t in (dual, y)]
        outside = forward_ad.unpack_dual(y).tangent
    return inside, outside.numpy().round(6).tolist()


@needs_torch
def test_unpack_dual_inside_inference_mode_has_no_tangent_as_pytorch():
    ours, theirs = _tangents_in_inference_mode(tg), _tangents_in_inference_mode(torch)
    assert ours == theirs
    assert ours[0] == [None, None]
    np.testing.assert_allclose(ours[1], np.exp([1.0, 2.0]) * [1.0, 0.5], rtol=1e-6)


def _saved_tensors_misuse(lib):
    class Keep(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            ctx.read_in_forward = len(ctx.saved_tensors)  # (nothing yet, as PyTorch's)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 2

    x = lib.ones(3, requires_grad=True)
    h = x * 1
    y = Keep.apply(h)
    found = {"in forward": y.grad_fn.read_in_forward}
    with pytest.warns(DeprecationWarning, match="saved_variables"):
        found["saved_variables"] = y.grad_fn.saved_variables[0] is h
    with lib.no_grad():
        h.add_(1)
    for what, action in (("read", lambda: y.grad_fn.saved_tensors),
                         ("backward", lambda: y.sum().backward())):
        with pytest.raises(RuntimeError, match="modified by an inplace operation") as error:
            action()
        found[what] = type(error.value).__name__
    return found


@needs_torch
def test_custom_saved_tensors_misuse_as_pytorch():
    assert _saved_tensors_misuse(tg) == _saved_tensors_misuse(torch)


@needs_torch
def test_gradgradcheck_needs_one_of_its_checks_as_pytorch():
    for lib in (tg, torch):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        with pytest.raises(AssertionError, match="check_fwd_over_rev or check_rev_over_rev"):
            lib.autograd.gradgradcheck(lambda a: a.sin() * a, (x,), check_rev_over_rev=False)
        with pytest.raises(AssertionError, match="check_undefined_grad=True requires"):
            lib.autograd.gradgradcheck(lambda a: a.sin() * a, (x,), check_fwd_over_rev=True,
                                       check_rev_over_rev=False)
        assert lib.autograd.gradgradcheck(lambda a: a.sin() * a, (x,), check_fwd_over_rev=True,
                                          check_rev_over_rev=False, check_undefined_grad=False)
        assert lib.autograd.gradgradcheck(lambda a: a.sin() * a, (x,), check_batched_grad=True,
                                          check_grad_dtypes=True)


def test_gradgradcheck_passes_check_undefined_grad_on():
    class Unguarded(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.set_materialize_grads(False)
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 2 * a

    x = tg.tensor([0.5, -1.0], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradgradcheck(Unguarded.apply, (x,), check_undefined_grad=False)
    with pytest.raises(TypeError):  # (the check calls backward with None: g * 2 fails)
        tg.autograd.gradcheck(Unguarded.apply, (x,))


def _multi_grad_hook_calls(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0], requires_grad=True)
    seen = []
    lib.autograd.graph.register_multi_grad_hook(
        (a, b), lambda grads: seen.append((type(grads).__name__, [
            None if g is None else g.numpy().tolist() for g in grads])))
    (a.sum() * b).sum().backward()
    (a.sum() * 2).backward()
    return seen


@needs_torch
def test_register_multi_grad_hook_passes_a_list_as_pytorch():
    assert _multi_grad_hook_calls(tg) == _multi_grad_hook_calls(torch) == [
        ("list", [[3.0, 3.0], [3.0]]), ("list", [[2.0, 2.0], None])]


@needs_torch
def test_gradient_edges_as_outputs_of_grad_and_backward_as_pytorch():
    found = []
    for lib in (tg, torch):
        edge = lib.autograd.graph.get_gradient_edge
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        h = a * 3
        (g,) = lib.autograd.grad(edge(h), a, lib.tensor([1.0, -2.0]), retain_graph=True)
        lib.autograd.backward(edge(h), lib.ones(2))
        found.append((g.numpy().tolist(), a.grad.numpy().tolist()))
    assert found[0] == found[1]
    assert found[0] == ([3.0, -6.0], [3.0, 3.0])
