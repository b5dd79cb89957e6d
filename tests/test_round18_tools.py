"""Round 18, the testing and seeing tools: gradcheck's PyTorch keywords (nondet_tol,
check_forward_ad/check_backward_ad, a negative eps), the drill-down on 0-d operands and on
several wrong ops, the graph drawing of wide graphs, make_tensor's sizes, and the notebooks'
stored outputs against a fresh run."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.gradcheck import GradcheckError

try:
    import torch
except ImportError:  # the comparisons with PyTorch skip
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")


def _noisy(lib, scale):
    """y = 2x, whose backward adds random noise of size `scale` (not reentrant)."""
    rng = np.random.default_rng(5)

    class Noisy(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * (2 + rng.random() * scale)

    return Noisy


def _verdict(lib, call):
    """What a gradcheck call did: True/False, or the exception's type and first words."""
    try:
        return call(lib)
    except Exception as error:  # noqa: BLE001 (compared between the two libraries)
        return type(error).__name__, str(error).split(",")[0][:40]


# ------------------------------------------------------------------- gradcheck's keywords
@needs_torch
@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize("options", [
    {}, {"nondet_tol": 1e-6}, {"raise_exception": False},
    {"raise_exception": False, "nondet_tol": 1e-6}])
def test_backward_that_is_not_reentrant_fails_as_in_pytorch(options, fast_mode):
    def call(lib):
        x = lib.tensor([0.3, -1.2, 0.8], dtype=lib.float64, requires_grad=True)
        return lib.autograd.gradcheck(lambda t: _noisy(lib, 1e-9).apply(t), (x,),
                                      fast_mode=fast_mode, **options)

    ours, theirs = _verdict(tg, call), _verdict(torch, call)
    assert ours == theirs
    if ours != theirs or not isinstance(ours, tuple):
        return
    with pytest.raises(GradcheckError, match="tolerance for nondeterminism was 0.0") as info:
        call(tg)
    assert info.value.kind == "nondeterministic"
    assert "input 0 of shape (3,)" in str(info.value)


def test_reentrancy_check_passes_deterministic_rules_and_is_not_in_tg_gradcheck():
    x = tg.tensor(np.linspace(-1, 1, 6), requires_grad=True)
    assert tg.autograd.gradcheck(lambda t: (t.sin() * t).cumsum(0), (x,))
    assert tg.autograd.gradcheck(lambda t: (t * t).sum(), (x,), fast_mode=True)
    assert tg.gradcheck(lambda t: _noisy(tg, 1e-9).apply(t), [x])  # tg's own: no such check
    with pytest.raises(GradcheckError, match="not reentrant"):
        tg.gradcheck(lambda t: _noisy(tg, 1e-9).apply(t), [x], nondet_tol=0.0)


@needs_torch
def test_gradgradcheck_checks_reentrancy_of_double_backward():
    def call(lib):
        x = lib.tensor([0.3, -1.2, 0.8], dtype=lib.float64, requires_grad=True)
        return lib.autograd.gradgradcheck(lambda t: _noisy(lib, 1e-9).apply(t) * t, (x,),
                                          raise_exception=False)

    assert call(tg) is call(torch) is False


@needs_torch
@pytest.mark.parametrize("options", [
    {"check_backward_ad": False}, {"check_backward_ad": False, "raise_exception": False},
    {"eps": -1e-6}, {"eps": -1e-3, "raise_exception": False}])
def test_gradcheck_keywords_as_pytorch(options):
    def call(lib):
        x = lib.tensor([0.3, -1.2, 0.8], dtype=lib.float64, requires_grad=True)
        return lib.autograd.gradcheck(lambda t: (t * 3).sin(), (x,), **options)

    ours, theirs = _verdict(tg, call), _verdict(torch, call)
    assert ours == theirs


# ------------------------------------------------------------- the drill-down's culprit
class BadSquare(tg.Function):
    """y = x**2 with the wrong rule 3x."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 3 * x * grad_output


class BadAbove(tg.Function):
    """y = x**2 whose rule is wrong only where x > 1."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return (2 * x + (x > 1) * 0.5) * grad_output


class BadProduct(tg.Function):
    """y = a * b with a wrong rule for b only."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output * b, grad_output * a * 1.1


@pytest.mark.parametrize("fn", [
    lambda x: BadSquare.apply((1 + x.sum()).reshape(1)),     # 1 + a 0-d result
    lambda x: (x * 2).sum() * 0.5 + BadSquare.apply(x).sum(),  # a 0-d result * 0.5
    lambda x: BadSquare.apply(x).sum() / 3 - x.sum() ** 2,
    lambda x: sum(t.sum() for t in (x.sin(), BadSquare.apply(x))),  # sum() starts at 0 + t
])
def test_the_culprit_is_the_wrong_op_not_an_op_on_a_0d_result(fn):
    """Ops on 0-d results with Python numbers were checked on NumPy scalars (taken as
    numbers: float32 results) and blamed in place of the wrong op."""
    x = tg.tensor([0.3, -0.7, 1.1], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(fn, [x])
    assert info.value.kind == "wrong rule" and info.value.op == "BadSquare"
    assert "Also wrong" not in str(info.value)


def test_ops_on_0d_results_check_out_alone():
    from tinygrad_np.opcheck import check_op, record_ops

    x = tg.tensor([0.3, -0.7, 1.1], requires_grad=True)
    records = record_ops(lambda t: (0 + t.sum()) * 0.5 - 2 / (1 + t.prod() ** 2), [x])
    assert len(records) >= 6
    assert [check_op(record) for record in records] == [None] * len(records)


def test_several_wrong_ops_are_all_named():
    x = tg.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    w = tg.tensor(np.random.default_rng(1).standard_normal((3, 5)), requires_grad=True)

    def fn(x, w):
        h = (x @ w).tanh()
        h = BadProduct.apply(h, h.sin())
        return BadSquare.apply(h).sum()

    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(fn, [x, w])
    message = str(info.value)
    assert info.value.op == "BadProduct"
    assert "Also wrong when checked alone: BadSquare (created at " in message
    assert message.count("Also wrong") == 1


def test_two_calls_of_one_op_on_a_line_are_told_apart():
    small = tg.tensor([0.1, 0.5, 0.9], requires_grad=True)  # BadAbove is right here
    big = tg.tensor([1.5, 2.0, 2.5], requires_grad=True)

    def fn(a, b):
        return (BadAbove.apply(a) + BadAbove.apply(b)).sum()

    for inputs, which in (([small, big], "2nd"), ([big, small], "1st")):
        with pytest.raises(GradcheckError) as info:
            tg.gradcheck(fn, inputs)
        assert f"(the {which} of 2 BadAbove ops created on that line)" in str(info.value)

    def loop(a):
        total = a.sum()
        for scale in (0.1, 0.2, 5.0):
            total = total + BadAbove.apply(a * scale).sum()
        return total

    with pytest.raises(GradcheckError, match="the 3rd of 3 BadAbove ops created on that line"):
        tg.gradcheck(loop, [small])


def test_a_torch_style_function_is_named_by_its_class():
    class Scaled(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x.exp() * scale

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * x.exp(), None  # forgot the scale

    x = tg.tensor([0.1, -0.4, 0.3], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(lambda t: Scaled.apply(t, 3.0).sum(), [x])
    assert "the wrong rule is Scaled's backward (node ScaledBackward)" in str(info.value)
    assert info.value.op == "ScaledBackward"


def test_a_notebook_cell_is_named_as_ipython_names_it(monkeypatch):
    """In Jupyter the creating line is "Cell In[5], line 3", not the kernel's temp file."""
    import types

    from tinygrad_np import opcheck

    compiler = types.SimpleNamespace(format_code_name=lambda path: (
        ("Cell", "In[5]") if path == "/tmp/ipykernel_1/123.py" else None))
    shell = types.SimpleNamespace(compile=compiler)
    monkeypatch.setitem(__import__("sys").modules, "IPython",
                        types.SimpleNamespace(get_ipython=lambda: shell))
    assert opcheck._site("/tmp/ipykernel_1/123.py", 3) == "Cell In[5], line 3"
    assert opcheck._site(__file__, 7).endswith("test_round18_tools.py:7")


# ------------------------------------------------------------------------ drawing
def test_a_wide_fan_in_keeps_the_output_op_and_the_nearest_leaves_visible():
    """1,000 stacked scalars: the picture was one box ("… 2 ops …") and the output."""
    from tinygrad_np.viz import collapse, trace

    leaves = [tg.tensor(float(i), requires_grad=True) for i in range(1000)]
    graph = collapse(trace(tg.stack(leaves).sum()), 200)
    assert len(graph.nodes) == 200
    ops = [node.op for node in graph.nodes if node.kind == "op"]
    assert ops == ["Stack", "Sum"]
    (hidden,) = [node for node in graph.nodes if node.kind == "collapsed"]
    assert not hidden.hidden_ops and hidden.hidden_inputs == 1000 - 195
    pytest.importorskip("graphviz")
    source = tg.draw_graph(tg.stack(leaves).sum()).source
    assert "… 805 more leaf or input tensors …" in source and "0 ops" not in source


def test_a_long_sum_of_terms_keeps_its_last_op_visible():
    from tinygrad_np.viz import collapse, trace

    m = tg.tensor(np.ones(3), requires_grad=True)
    total = m * 0.0
    for i in range(1, 400):
        total = total + m * float(i)
    graph = collapse(trace(total.sum()), 100)
    assert len(graph.nodes) <= 100
    assert graph.nodes[-2].kind == "op" and graph.nodes[-2].op == "Sum"
    collapsed = [node for node in graph.nodes if node.kind == "collapsed"]
    assert len(collapsed) == 1 and "Sum" not in collapsed[0].hidden_ops


def test_a_long_chain_still_folds_into_one_node():
    from tinygrad_np.viz import collapse, trace

    w = tg.tensor(1.0, requires_grad=True)
    out = w
    for _ in range(500):
        out = out * 1.001 + 0.001
    graph = collapse(trace(out), 50)
    (hidden,) = [node for node in graph.nodes if node.kind == "collapsed"]
    assert sum(hidden.hidden_ops.values()) == 1000 - 4


# ------------------------------------------------------------------------ make_tensor
@needs_torch
@pytest.mark.parametrize("shape", [(-1,), (2, -3), (2.0,), ("a",)])
def test_make_tensor_sizes_fail_as_pytorch(shape):
    with pytest.raises(Exception) as theirs:
        torch.testing.make_tensor(*shape, dtype=torch.float32, device="cpu")
    with pytest.raises(type(theirs.value)):
        tg.testing.make_tensor(*shape, dtype=tg.float32)
    with pytest.raises(type(theirs.value), match="make_tensor"):
        tg.testing.make_tensor(shape, dtype=tg.float32)


@needs_torch
@pytest.mark.parametrize("memory_format", ["channels_last", "contiguous_format",
                                           "preserve_format"])
def test_make_tensor_memory_format_as_pytorch(memory_format):
    theirs = torch.testing.make_tensor(2, 3, 4, 5, dtype=torch.float32, device="cpu",
                                       memory_format=getattr(torch, memory_format),
                                       requires_grad=True)
    ours = tg.testing.make_tensor(2, 3, 4, 5, dtype=tg.float32,
                                  memory_format=getattr(tg, memory_format), requires_grad=True)
    assert ours.stride() == theirs.stride() and ours.is_contiguous() == theirs.is_contiguous()
    assert ours.is_leaf and ours.requires_grad
    with pytest.raises(RuntimeError, match="rank 4"):
        tg.testing.make_tensor(2, 3, dtype=tg.float32, memory_format=tg.channels_last)


# ------------------------------------------------------------------------ misuse
@needs_torch
@pytest.mark.parametrize("api", ["autograd", "own"])
def test_an_expanded_input_is_refused_as_pytorch(api):
    """One element standing for several cannot be perturbed alone: PyTorch's RuntimeError
    (it was a Jacobian mismatch with numerical 0)."""
    theirs = torch.tensor([1.0], dtype=torch.float64, requires_grad=True).expand(3)
    with pytest.raises(RuntimeError, match="stride 0"):
        torch.autograd.gradcheck(lambda a: a.exp(), (theirs,))
    ours = tg.tensor([1.0], dtype=tg.float64, requires_grad=True).expand(3)
    check = tg.autograd.gradcheck if api == "autograd" else tg.gradcheck
    with pytest.raises(RuntimeError, match=r"The 0th input has a dimension with stride 0.*"
                                           r"shape \(3,\)"):
        check(lambda a: a.exp(), (ours,))
    leaf = tg.tensor([[1.0, 2.0]], dtype=tg.float64, requires_grad=True)
    assert check(lambda a: a.exp(), (leaf.expand(1, 2),))  # a size-1 axis is no overlap



# ------------------------------------------------------------ testing.assert_gradients_close
class TwoOutputs(tg.Function):
    """(sin x, cos x) packed as one (2, n) output, with a sign slip in cos's rule."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.stack([np.sin(x), np.cos(x)])

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output[0] * np.cos(x) + grad_output[1] * np.sin(x)  # cos' is -sin


def test_assert_gradients_close_takes_tuple_outputs():
    x = np.array([0.5, -1.2, 2.0])
    tg.testing.assert_gradients_close(lambda t: (t.sin(), t * t, t.argmax()), x)
    with pytest.raises(GradcheckError) as info:
        tg.testing.assert_gradients_close(lambda t: (t.exp(), TwoOutputs.apply(t)[1]), x)
    assert info.value.op == "TwoOutputs"
    with pytest.raises(RuntimeError, match="no output of fn requires grad"):
        tg.testing.assert_gradients_close(lambda t: (t.detach(), t.argmax()), x)


@pytest.mark.parametrize("inputs", [(np.array([1, 2]),), (1.5,), ([1.0, 2.0],)])
def test_assert_gradients_close_without_a_float_input_says_so(inputs):
    with pytest.raises(TypeError, match="no input is a float array or tensor"):
        tg.testing.assert_gradients_close(lambda t: tg.tensor(t) * 2, *inputs)


@needs_torch
def test_a_single_tensor_is_one_input_as_in_pytorch():
    """tg.gradcheck(fn, x) took x's rows as the inputs (a TypeError from fn)."""
    x = tg.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: t.sin(), torch.tensor(x.numpy(),
                                                                   requires_grad=True))
    assert tg.gradcheck(lambda t: t.sin(), x) and tg.gradcheck(lambda t: t.sin(), x, fast=True)
    assert tg.gradcheck(lambda t: t.sin(), iter([x]))  # any iterable, a generator too
    (found,) = tg.numerical_grad(lambda t: t.sin().sum(), x)
    np.testing.assert_allclose(found, np.cos(x.numpy()), rtol=1e-8)


# ------------------------------------------------------- drawing ops with several outputs
class SinCos(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        (x,) = ctx.saved_tensors
        return grad_sin * x.cos() - grad_cos * x.sin()


def _drawn(tensor):
    from tinygrad_np.viz import trace

    return [node.op or node.kind for node in trace(tensor).nodes]


def test_a_function_with_two_outputs_is_one_op_with_two_arrows():
    """It was drawn as the op, a packed (4,) tensor and GetItem, Reshape, Clone per output."""
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    s, c = SinCos.apply(x)
    assert _drawn((s * c).sum()) == ["leaf", "SinCosBackward", "intermediate",
                                     "intermediate", "Mul", "intermediate", "Sum", "output"]
    from tinygrad_np.viz import trace

    graph = trace((s * c).sum())
    op = graph.nodes[1].id
    assert [target for source, target in graph.edges if source == op] == [
        graph.nodes[2].id, graph.nodes[3].id]
    assert [n.data.tolist() for n in graph.nodes[2:4]] == [s.tolist(), c.tolist()]
    # the user's own indexing and reshapes after the cut stay drawn
    assert _drawn((s[0] * c).sum()).count("GetItem") == 1
    assert _drawn((s.reshape(2, 1) * c).sum()).count("Reshape") == 1
    assert _drawn(s) == ["leaf", "SinCosBackward", "output"]
    # an ordinary tensor cut in two is not a packed one
    h = x * 2
    assert _drawn(h[0] * h[1]).count("GetItem") == 2


def test_svd_is_one_op_with_three_outputs():
    q = tg.tensor(np.random.default_rng(0).random((4, 3)), requires_grad=True)
    u, s, vh = tg.linalg.svd(q, full_matrices=False)
    drawn = _drawn(u.sum() + s.sum() + vh.sum())
    assert drawn[:5] == ["leaf", "SVD", "intermediate", "intermediate", "intermediate"]
    assert "GetItem" not in drawn and "Reshape" not in drawn
    pytest.importorskip("graphviz")
    assert "SVD" in tg.draw_graph(s.sum()).source


def test_gradgradcheck_names_the_users_class_and_reads_for_one_input():
    class Cube(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x.detach() ** 2  # right, but not differentiable

    x = tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(Cube.apply, (x,))
    with pytest.raises(GradcheckError) as info:
        tg.autograd.gradgradcheck(Cube.apply, (x,))
    message = str(info.value)
    assert "; input 0 is func's, the rest its grad_outputs" in message
    assert "func uses custom Function(s) Cube:" in message


def test_a_drawing_without_the_dot_program_shows_how_to_install_it(monkeypatch):
    """In Jupyter, a Digraph without `dot` on PATH was graphviz's ExecutableNotFound
    traceback; the drawing is still a graphviz.Digraph with its DOT source."""
    graphviz = pytest.importorskip("graphviz")
    import pickle

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    drawing = tg.draw_graph((x * 2).sum())
    assert isinstance(drawing, graphviz.Digraph) and "Mul" in drawing.source
    assert pickle.loads(pickle.dumps(drawing)).source == drawing.source
    monkeypatch.setenv("PATH", "/nonexistent")
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "Graphviz program `dot`" in bundle["text/plain"] and "apt-get install" in \
        bundle["text/plain"]
    with pytest.raises(RuntimeError, match="needs the Graphviz program `dot`"):
        tg.viz.render(drawing, "/tmp/never-written.svg")
