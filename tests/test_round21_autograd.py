"""Autograd semantics as PyTorch's own test suite checks them (session 27): each case runs the
same code with `torch` bound to PyTorch and to tinygrad_np, and compares the outcome (values,
or the exception class and PyTorch's words)."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def _outcome(source: str, module: object) -> tuple:
    """Run `source` with `torch` bound to `module`: ("ok", out) or ("raised", exception)."""
    namespace = {"torch": module, "np": np}
    try:
        exec(textwrap.dedent(source), namespace)  # noqa: S102
    except Exception as error:  # noqa: BLE001 (the exception is the outcome compared)
        return "raised", error
    return "ok", namespace.get("out")


def _plain(value: object) -> object:
    """Tensors as (dtype name, nested lists); containers element by element."""
    if isinstance(value, (torch.Tensor, tg.Tensor)):
        array = value.detach().numpy()
        return str(value.dtype).split(".")[-1], np.round(array.astype(np.float64), 5).tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _same(source: str, words: str | None = None) -> None:
    """Both libraries give the same values, or both raise: a RuntimeError-compatible class
    of PyTorch's kind whose message contains PyTorch's `words` (checked against PyTorch)."""
    theirs, ours = _outcome(source, torch), _outcome(source, tg)
    assert theirs[0] == ours[0], (theirs, ours)
    if theirs[0] == "ok":
        assert _plain(theirs[1]) == _plain(ours[1])
        return
    assert isinstance(ours[1], type(theirs[1])), (theirs[1], ours[1])
    assert words is not None and words in str(theirs[1]), theirs[1]
    assert words in str(ours[1]), ours[1]


# ----------------------------------------------------------------- PyTorch's error words
ERRORS = {
    "int_factory": ("torch.ones(2, dtype=torch.int64, requires_grad=True)",
                    "Only Tensors of floating point and complex dtype can require gradients"),
    "int_tensor": ("torch.tensor([1, 2], requires_grad=True)",
                   "Only Tensors of floating point and complex dtype can require gradients"),
    "int_arange": ("torch.arange(3, requires_grad=True)",
                   "Only Tensors of floating point and complex dtype can require gradients"),
    "int_attribute": ("x = torch.tensor([1, 2]); x.requires_grad = True",
                      "only Tensors of floating point and complex dtype can require gradients"),
    "int_method": ("torch.tensor([1, 2]).requires_grad_()",
                   "only Tensors of floating point dtype can require gradients"),
    "bool_method": ("torch.tensor([True]).requires_grad_()",
                    "only Tensors of floating point dtype can require gradients"),
    "backward_count": ("a = torch.ones(2, requires_grad=True)\n"
                       "torch.autograd.backward([a * 3, a * 2], [torch.ones(2)])",
                       "got 2 tensors and 1 gradients"),
    "unused_input": ("a = torch.ones(2, requires_grad=True)\n"
                     "b = torch.ones(2, requires_grad=True)\n"
                     "torch.autograd.grad((a * a).sum(), [a, b])",
                     "The differentiated Tensor at index 1 appears to not have been used in the "
                     "graph. Set allow_unused=True if this is the desired behavior."),
    "setitem_leaf": ("x = torch.ones(2, requires_grad=True); x[0] = 5",
                     "a view of a leaf Variable that requires grad is being used in an in-place "
                     "operation"),
    "setitem_leaf_tensor": ("x = torch.ones(2, requires_grad=True); x[1:] = torch.zeros(1)",
                            "a view of a leaf Variable that requires grad is being used in an "
                            "in-place operation"),
    "add_leaf": ("x = torch.ones(2, requires_grad=True); x.add_(1)",
                 "a leaf Variable that requires grad is being used in an in-place operation"),
    "no_grad_view": ("x = torch.ones(3, requires_grad=True)\n"
                     "with torch.no_grad():\n    v = x[:2]\nv.mul_(2)",
                     "A view was created in no_grad mode and is being modified inplace with grad "
                     "mode enabled"),
    "detach_view": ("x = torch.ones(3, requires_grad=True); v = (x * 1)[:2]; v.detach_()",
                    "Can't detach views in-place. Use detach() instead"),
    "split_write": ("b = torch.ones(4, requires_grad=True) * 1; x, y = b.split(2); y.mul_(2)",
                    "Output 1 of Split is a view and is being modified inplace. This view is the "
                    "output of a function that returns multiple views."),
    "split_sizes_write": ("b = torch.ones(4, requires_grad=True) * 1; b.split([1, 3])[1].mul_(2)",
                          "Output 1 of SplitWithSizes is a view and is being modified inplace."),
    "chunk_write": ("b = torch.ones(4, requires_grad=True) * 1; b.chunk(2)[0].add_(1)",
                    "Output 0 of Split is a view and is being modified inplace."),
    "unbind_write": ("b = torch.ones(4, requires_grad=True) * 1; b.view(2, 2).unbind(0)[1].mul_(2)",
                     "Output 1 of Unbind is a view and is being modified inplace."),
    "iterate_write": ("b = torch.ones(4, requires_grad=True) * 1; list(b.view(2, 2))[1].mul_(2)",
                      "Output 1 of Unbind is a view and is being modified inplace."),
    "int_add_float": ("torch.tensor([1, 2]).add_(torch.tensor([1., 2.], requires_grad=True))",
                      "result type Float can't be cast to the desired output type Long"),
    "int_add_number": ("torch.tensor([1, 2]).add_(1.5)",
                       "result type Float can't be cast to the desired output type Long"),
    "int_mul_double": ("torch.tensor([1, 2]).mul_(torch.tensor([1., 2.], dtype=torch.float64))",
                       "result type Double can't be cast to the desired output type Long"),
    "bool_add_int": ("torch.tensor([True]).add_(1)",
                     "result type Long can't be cast to the desired output type Bool"),
    "save_number": ("""
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x, None, 3)
        return x * 2
    @staticmethod
    def backward(ctx, g):
        return g * 2
F.apply(torch.ones(2, requires_grad=True))
""", "save_for_backward can only save variables, but argument 2 is of type int"),
    "mark_dirty_leaf": ("""
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x
    @staticmethod
    def backward(ctx, g):
        return g * 2
F.apply(torch.ones(2, requires_grad=True))
""", "a leaf Variable that requires grad has been used in an in-place operation"),
    "inference_version": ("with torch.inference_mode():\n    c = torch.ones(2)\nc._version",
                          "Inference tensors do not track version counter."),
    "inference_version_written": ("with torch.inference_mode():\n    c = torch.ones(2)\n"
                                  "    c.add_(1)\n    c._version",
                                  "Inference tensors do not track version counter."),
    "inference_view_write": ("with torch.inference_mode():\n    c = torch.ones(2, 3)\n"
                             "c.view(-1).add_(1)",
                             "Inplace update to inference tensor outside InferenceMode is not "
                             "allowed."),
    "inference_view_saved": ("with torch.inference_mode():\n    c = torch.ones(3)\n"
                             "x = torch.ones(2, requires_grad=True)\ny = x * c[1:]",
                             "Inference tensors cannot be saved for backward."),
    "inference_detach_saved": ("with torch.inference_mode():\n    c = torch.ones(2)\n"
                               "x = torch.ones(2, requires_grad=True)\ny = x * c.detach()",
                               "Inference tensors cannot be saved for backward."),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_pytorchs_error_words(name: str) -> None:
    source, words = ERRORS[name]
    _same(source, words)


def test_integer_requires_grad_is_still_a_type_error_too() -> None:
    with pytest.raises(TypeError, match="floating-point only here"):
        tg.ones(2, dtype=tg.int64, requires_grad=True)


def test_unused_input_keeps_the_older_words() -> None:
    a, b = tg.ones(2, requires_grad=True), tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors appears to not "
                                           "have been used in the graph"):
        tg.autograd.grad((a * a).sum(), [a, b])


def test_setitem_on_a_leaf_under_no_grad_still_writes() -> None:
    x = tg.ones(3, requires_grad=True)
    with tg.no_grad():
        x[0] = 5
    assert x.tolist() == [5.0, 1.0, 1.0] and x._version == 1 and x.is_leaf


def test_splits_of_a_plain_tensor_stay_writable() -> None:
    _same("b = torch.arange(4.); x, y = b.split(2); y.mul_(2); out = (b, y, b._version)")


# ----------------------------------------------------------------- inference tensors' views
INFERENCE = {
    "view_outside": "o = c.view(-1)\nout = (torch.is_inference(o), o.requires_grad, o._is_view(), "
                    "o.is_leaf, o._base is None)",
    "index_outside": "o = c[0]\nout = (o.is_inference(), o._is_view())",
    "transpose_outside": "o = c.transpose(1, 2)\nout = (o.is_inference(), o._is_view())",
    "detach_outside": "o = c.detach()\nout = (o.is_inference(), o.requires_grad)",
    "data_outside": "out = c.data.is_inference()",
    "clone_outside": "out = c.clone().is_inference()",
    "view_inside": "with torch.inference_mode():\n    o = c.view(-1)\n"
                   "out = (o.is_inference(), o.requires_grad, o._is_view(), o.is_leaf)",
    "normal_view_inside": "s = torch.ones(1, 2, 3, requires_grad=RG)\n"
                          "with torch.inference_mode():\n    o = s.view(-1)\n"
                          "    out = (o.is_inference(), o.requires_grad, o._is_view())",
    "normal_view_inside_saved": "n = torch.ones(3); s = torch.ones(3, requires_grad=True)\n"
                                "with torch.inference_mode():\n    o = n.view(3)\n"
                                "y = (s * o).sum(); y.backward(); out = (o.is_inference(), "
                                "s.grad)",
    "normal_write_inside": "s = torch.ones(2)\nwith torch.inference_mode():\n    s.add_(1)\n"
                           "out = (s.is_inference(), s._version, s)",
    "view_of_view_outside": "o = c.view(-1)[1:].view(5)\nout = (o.is_inference(), o._is_view())",
}


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name", sorted(INFERENCE))
def test_inference_tensor_views(name: str, requires_grad: bool) -> None:
    made = ("with torch.inference_mode():\n"
            f"    c = torch.ones(1, 2, 3, requires_grad={requires_grad})\n")
    _same(made + INFERENCE[name].replace("RG", str(requires_grad)))


def test_views_of_inference_tensors_cost_nothing_once_they_are_gone() -> None:
    tensor_module = sys.modules["tinygrad_np.tensor"]
    with tg.inference_mode():
        c = tg.ones(3)
    view = c[1:]
    assert view.is_inference() and tensor_module.inference_view is not None
    del c, view
    from tinygrad_np import inference_tensors  # (another test's inference tensor may live on)

    assert (tensor_module.inference_view is None) == (not inference_tensors._marked)


def test_custom_function_generate_vmap_rule_default() -> None:
    class Double(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # noqa: ANN001, ANN205
            return x * 2

        @staticmethod
        def backward(ctx, grad):  # noqa: ANN001, ANN205
            return grad * 2

    assert Double.generate_vmap_rule is False and tg.autograd.Function.generate_vmap_rule is False
    assert hasattr(Double, "vmap")


# ----------------------------------------------------------------- attributes that stay
@pytest.mark.parametrize(("statement", "words"), [
    ("del x.data", "Deleting tensor data is not allowed. Delete tensor instead!"),
    ("del x.requires_grad", "requires_grad must be a bool"),
    ("del x._grad_fn", "Deletion of _grad_fn not allowed. Detach tensor instead!"),
    ("del x._backward_hooks", "Deletion of _backwards_hooks not allowed!"),
])
def test_attribute_deletion(statement: str, words: str) -> None:
    _same(f"x = torch.ones(2, 2, requires_grad=True)\n{statement}", words)


def test_deleting_grad_is_allowed() -> None:
    _same("x = torch.ones(2, requires_grad=True); (x * 2).sum().backward(); del x.grad\n"
          "out = (x.grad, x._grad_fn)")


def test_backward_hooks_attribute() -> None:
    for module in (torch, tg):
        x = module.ones(2, requires_grad=True)
        y = x * 2
        y.retain_grad()
        assert x._backward_hooks is None and y._backward_hooks is None
        hook = lambda grad: grad  # noqa: E731
        x.register_hook(hook)
        y.register_hook(hook)
        assert list(x._backward_hooks.values()) == [hook] == list(y._backward_hooks.values())
        assert y._grad_fn is y.grad_fn


# ----------------------------------------------------------------- anomaly mode's flags
ANOMALY = {
    "set_no_check_nan": "torch.autograd.set_detect_anomaly(True, check_nan=False)\n"
                        "r = (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())\n"
                        "torch.autograd.set_detect_anomaly(False)\n"
                        "out = (r, torch.is_anomaly_enabled(), "
                        "torch.is_anomaly_check_nan_enabled())",
    "block_no_check_nan": "with torch.autograd.detect_anomaly(check_nan=False):\n"
                          "    r = (torch.is_anomaly_enabled(), "
                          "torch.is_anomaly_check_nan_enabled())\n"
                          "out = (r, torch.is_anomaly_enabled(), "
                          "torch.is_anomaly_check_nan_enabled())",
    "nested_off": "with torch.autograd.detect_anomaly():\n"
                  "    with torch.autograd.set_detect_anomaly(False):\n"
                  "        a = torch.is_anomaly_enabled()\n"
                  "    b = torch.is_anomaly_enabled()\n"
                  "out = (a, b, torch.is_anomaly_enabled())",
    "nested_on_no_check": "with torch.autograd.set_detect_anomaly(True, check_nan=False):\n"
                          "    x = torch.tensor([-1.], requires_grad=True)\n"
                          "    x.sqrt().sum().backward()\n"
                          "    a = torch.is_anomaly_enabled()\n"
                          "out = (a, torch.is_anomaly_enabled(), x.grad.isnan().all())",
}


@pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled")
@pytest.mark.parametrize("name", sorted(ANOMALY))
def test_anomaly_flags(name: str) -> None:
    _same(ANOMALY[name])


# ----------------------------------------------------------------- backward twice
# PyTorch's test_backward_twice_with_saved_values: index arrays are saved values
INDEX_PUT_TWICE = """
b = torch.tensor([1., 2., 3.], requires_grad=True, dtype=torch.double)
c = torch.zeros(3, dtype=torch.double)
c[[1, 2]] = b[[1, 1]]
c.backward(torch.tensor([1, 1, 1], dtype=torch.double), retain_graph=RETAIN)
c.backward(torch.tensor([1, 1, 1], dtype=torch.double))
out = b.grad
"""


def test_backward_twice_with_saved_index_values() -> None:
    _same(INDEX_PUT_TWICE.replace("RETAIN", "False"), "Specify retain_graph=True")
    _same(INDEX_PUT_TWICE.replace("RETAIN", "True"))


SAVES_AN_INDEX_OR_MASK = ["x[[0, 1]]", "x[x > 1]", "x[:, [0, 2]]", "x[:, torch.tensor([1])]",
                          "x.gather(1, torch.tensor([[0], [1]]))",
                          "x.index_select(0, torch.tensor([0]))", "x.abs()", "x.clamp(min=1.5)",
                          "x.max()", "x.amax(1)", "x.min()", "torch.where(x > 1, x, 0.)",
                          "x.max(1)[0]", "x.min(1).values", "x.sort(1)[0]", "x.topk(2)[0]",
                          "x.median(1)[0]", "x.mode(1)[0]", "x.quantile(0.5)",
                          "x.where(x > 1, 0.)", "x.masked_fill(x > 1, 0.)",
                          "torch.maximum(x, torch.ones(2, 3))",
                          "torch.nn.functional.embedding(torch.tensor([1]), x)"]
SAVES_NOTHING = ["x + 1", "-x", "x.sum()", "x.mean()", "x.view(6)", "x.t()", "x[0]", "x[:, 1:]",
                 "x[..., None]", "x.flip(0)", "x.roll(1, 1)", "x.repeat(2, 1)", "x.tril()",
                 "x.triu(1)", "torch.nn.functional.pad(x, (1, 1))", "x.diagonal()",
                 "torch.nn.functional.interpolate(x.view(1, 2, 3), scale_factor=2)",
                 "x.unfold(1, 2, 1)", "torch.cat([x, x])", "x.split(1)[0]", "x.cumsum(1)"]
TWICE = """
x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)
y = (EXPR).sum()
y.backward()
y.backward()
out = x.grad
"""


@pytest.mark.parametrize("expr", SAVES_AN_INDEX_OR_MASK)
def test_backward_twice_through_a_kept_index_or_mask_is_refused(expr: str) -> None:
    _same(TWICE.replace("EXPR", expr), "Trying to backward through the graph a second time")
    _same(TWICE.replace("EXPR", expr).replace("y.backward()\n", "y.backward(retain_graph=True)\n",
                                               1))


@pytest.mark.parametrize("expr", SAVES_NOTHING)
def test_backward_twice_through_ops_that_save_nothing(expr: str) -> None:
    _same(TWICE.replace("EXPR", expr))


def test_a_kept_mask_still_differentiates_twice_under_create_graph() -> None:
    _same("""
x = torch.tensor([[1., -2., 3.], [4., 5., -6.]], requires_grad=True)
y = (torch.where(x > 0, x ** 3, x.abs() ** 2) + x.clamp(min=0.5) ** 2 + x[[0, 1], [2, 0]].sum()
     + x.max() ** 2).sum()
g, = torch.autograd.grad(y, x, create_graph=True)
h, = torch.autograd.grad(g.sum(), x)
out = (g, h)
""")


# ----------------------------------------------------------------- custom Function details
DOUBLE = """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        seen.append(ctx.needs_input_grad)
        DIRTY
        return x
    @staticmethod
    def backward(ctx, g):
        return g * 2
"""


def test_needs_input_grad_under_no_grad_says_which_require_grad() -> None:
    _same("seen = []\n" + DOUBLE.replace("DIRTY", "pass") + """
a = torch.tensor([1., 2.], requires_grad=True)
with torch.no_grad():
    F.apply(a)
F.apply(a.detach())
F.apply(a * 1)
out = seen
""")


@pytest.mark.parametrize("dirty", ["ctx.mark_dirty(x)", "x.mul_(2); ctx.mark_dirty(x)"])
def test_mark_dirty_counts_one_more_version(dirty: str) -> None:
    _same("seen = []\n" + DOUBLE.replace("DIRTY", dirty) + """
a = torch.tensor([1., 2.], requires_grad=True)
b = a * 1
v0 = b._version
c = F.apply(b)
c.sum().backward()
out = (b._version - v0, c is b, a.grad)
""")


SAVES_ITS_INPUT = """
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 2
a = torch.tensor([0.1, 0.2], requires_grad=True)
y = F.apply(a * 1)
"""


def test_custom_function_saved_tensors_after_backward() -> None:
    _same(SAVES_ITS_INPUT + "y.sum().backward()\ny.grad_fn.saved_tensors",
          "Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed)")
    _same(SAVES_ITS_INPUT + "y.sum().backward(retain_graph=True)\n"
          "out = (len(y.grad_fn.saved_tensors), a.grad)")


def test_drawing_and_tracing_a_freed_custom_function_still_work() -> None:
    from tinygrad_np import viz

    namespace = {"torch": tg}
    exec(SAVES_ITS_INPUT + "loss = y.sum()\nloss.backward()\n", namespace)  # noqa: S102
    assert type(viz.draw_graph(namespace["loss"])).__name__ == "Digraph"
    assert type(viz.trace_backward(namespace["loss"])).__name__ == "BackwardTrace"


# PyTorch's test_return_leaf_inplace: mark_dirty with several outputs
DIRTY_OF_TWO = """
class Inplace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.mark_dirty(a)
        return a.add_(b), b + 2
    @staticmethod
    def backward(ctx, grad_a, grad_b):
        return grad_a, grad_a + grad_b
"""


@pytest.mark.parametrize("make_x", ["torch.ones(2, 2)", "torch.ones(2, 2, requires_grad=True) * 3"])
def test_mark_dirty_with_several_outputs(make_x: str) -> None:
    _same(DIRTY_OF_TWO + f"""
x = {make_x}
y = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
q, p = Inplace.apply(x, y)
r = (q is x, q.requires_grad, p.requires_grad)
(q * 2 + p * 3).sum().backward()
out = (r, y.grad, x, p)
""")


def test_mark_dirty_with_several_outputs_refuses_a_leaf_and_an_unreturned_input() -> None:
    _same(DIRTY_OF_TWO + "Inplace.apply(torch.ones(2, requires_grad=True), torch.ones(2))",
          "a leaf Variable that requires grad has been used in an in-place operation")
    _same(DIRTY_OF_TWO.replace("return a.add_(b), b + 2", "a.add_(b)\n        return b * 2, b + 2")
          + "Inplace.apply(torch.ones(2) * 1, torch.ones(2, requires_grad=True))",
          "modified inplace must all be outputs of the Function")
