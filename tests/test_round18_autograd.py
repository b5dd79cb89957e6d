"""Round 18, the autograd API surface against PyTorch 2.13: error texts that start with
PyTorch's words, torch.func's argument checks, vmap's in-place writes, and more."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _both(code: str) -> tuple:
    """Run `code` with `torch` bound to PyTorch and to tinygrad_np; the exceptions raised."""
    raised = []
    for module in (torch, tg):
        try:
            exec(code, {"torch": module, "np": np})
        except Exception as error:  # noqa: BLE001 (what each library raises is the point)
            raised.append(error)
        else:
            raised.append(None)
    return tuple(raised)


# (code, PyTorch's words our message must contain too)
ENGINE_ERRORS = [
    ("x = torch.tensor([1., 2.], requires_grad=True); (x * 2).backward()",
     "grad can be implicitly created only for scalar outputs"),
    ("x = torch.tensor([1., 2.], requires_grad=True); torch.autograd.grad(x ** 2, x)",
     "grad can be implicitly created only for scalar outputs"),
    ("x = torch.tensor([1., 2.], requires_grad=True); (x * 2).backward(torch.ones(3))",
     "Mismatch in shape: grad_output[0] has a shape of"),
    ("torch.tensor([1., 2.]).sum().backward()",
     "element 0 of tensors does not require grad and does not have a grad_fn"),
    ("x = torch.tensor([1., 2.], requires_grad=True)\n"
     "torch.autograd.grad([(x * 2).sum(), torch.tensor(1.)], x)",
     "element 1 of tensors does not require grad and does not have a grad_fn"),
    ("x = torch.tensor([1., 2.], requires_grad=True)\n"
     "torch.autograd.grad((x * 2).sum(), [x, torch.ones(2)])",
     "One of the differentiated Tensors does not require grad"),
    ("x = torch.tensor([1., 2.], requires_grad=True); z = torch.ones(2, requires_grad=True)\n"
     "torch.autograd.grad((x * 2).sum(), [x, z])",
     "The differentiated Tensor at index 1 appears to not have been used in the graph"),
    ("x = torch.tensor([1., 2.], requires_grad=True); y = x.exp().sum(); y.backward()\n"
     "y.backward()", "Trying to backward through the graph a second time"),
    ("x = torch.tensor([1., 2.], requires_grad=True); y = (x * x).sum()\n"
     "torch.autograd.grad(y, x); torch.autograd.grad(y, x)",
     "Trying to backward through the graph a second time"),
    ("x = torch.tensor([1., 2.], requires_grad=True); (x * 2).sum().backward(inputs=[])",
     "`inputs` argument to `backward()` cannot be empty"),
    ("x = torch.tensor([1., 2.], requires_grad=True); (x * 2).requires_grad_(False)",
     "you can only change requires_grad flags of leaf variables"),
    ("x = torch.tensor([1., 2.], requires_grad=True); h = x * 2; h.requires_grad = False",
     "you can only change requires_grad flags of leaf variables"),
    ("torch.tensor([1, 2]).requires_grad_()",
     "only Tensors of floating point dtype can require gradients"),
    ("x = torch.tensor([1., 2.], requires_grad=True); x.add_(1)",
     "a leaf Variable that requires grad is being used in an in-place operation"),
    ("x = torch.tensor([1., 2.], requires_grad=True); x += 1",
     "a leaf Variable that requires grad is being used in an in-place operation"),
    ("x = torch.tensor([1., 2.], requires_grad=True); x.zero_()",
     "a leaf Variable that requires grad is being used in an in-place operation"),
    ("x = torch.tensor([1., 2.], requires_grad=True); x.normal_()",
     "a leaf Variable that requires grad is being used in an in-place operation"),
    ("x = torch.tensor([1., 2.], requires_grad=True); x.copy_(torch.ones(2))",
     "a leaf Variable that requires grad is being used in an in-place operation"),
    ("x = torch.tensor([1., 2.], requires_grad=True); x.clamp_(0, 1)",
     "a leaf Variable that requires grad is being used in an in-place operation"),
    ("x = torch.tensor([1., 2.], requires_grad=True); x[0] = 3.",
     "leaf Variable that requires grad is being used in an in-place operation"),
    ("x = torch.tensor([1., 2.], requires_grad=True); x[0:1].mul_(2)",
     "a view of a leaf Variable that requires grad is being used in an in-place operation"),
]


@needs_torch
@pytest.mark.parametrize("code, words", ENGINE_ERRORS)
def test_engine_errors_start_with_pytorchs_words(code, words):
    theirs, ours = _both(code)
    assert isinstance(theirs, RuntimeError) and words in str(theirs)
    assert isinstance(ours, RuntimeError), ours
    assert words in str(ours)


# torch.func's argument checks: (code, exception class both raise, PyTorch's words)
FUNC_ERRORS = [
    ("torch.func.grad(lambda x, y: (x * y).sum(), argnums=())(torch.ones(2), torch.ones(2))",
     RuntimeError, "argnums must be non-empty"),
    ("torch.func.grad(lambda x, y: (x * y).sum(), argnums=[0, 1])(torch.ones(2), torch.ones(2))",
     RuntimeError, "argnums must be int or Tuple[int, ...]"),
    ("torch.func.jacrev(lambda x, y: x * y, argnums=())(torch.ones(2), torch.ones(2))",
     RuntimeError, "argnums must be non-empty"),
    ("torch.func.vmap(lambda x: x.sum(), chunk_size=0)", ValueError,
     "vmap: chunk_size should be None or greater than 0. (got 0)"),
    ("torch.func.vmap(lambda x: x.sum(), chunk_size=-2)", ValueError,
     "vmap: chunk_size should be None or greater than 0. (got -2)"),
    ("torch.func.vmap(lambda: torch.ones(2))()", ValueError, "got no inputs"),
    ("torch.func.vmap(lambda x, y: x, in_dims=(None, None))(torch.ones(3), torch.ones(2))",
     ValueError, "vmap: Expected at least one Tensor to vmap over"),
    ("torch.func.vmap(lambda x, y: x * y)(torch.ones(3, 2), torch.ones(4, 2))", ValueError,
     "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
     "[3, 4] for the mapped dimension"),
    ("torch.func.vmap(lambda x, y: x * y, in_dims=(0,))(torch.ones(3), torch.ones(3))",
     ValueError, "in_dims is not compatible with the structure of `inputs`"),
    ("torch.func.jvp(lambda x: x, [torch.ones(2)], (torch.ones(2),))", RuntimeError,
     "jvp(f, primals, tangents): Expected primals to be a tuple"),
    ("torch.func.jvp(lambda x: x, (torch.ones(2),), torch.ones(2))", RuntimeError,
     "Expected primals and tangents to have the same python structure"),
]


@needs_torch
@pytest.mark.parametrize("code, kind, words", FUNC_ERRORS)
def test_func_argument_errors_as_pytorch(code, kind, words):
    theirs, ours = _both(code)
    assert isinstance(theirs, kind) and words in str(theirs), theirs
    assert isinstance(ours, kind) and words in str(ours), ours


def test_vmap_refuses_a_write_into_an_unmapped_input():
    """Looping over slices would repeat the write (a silently wrong result): y would get
    every slice's x added and each stacked output would be the same object's final values."""
    def accumulate(x, y):
        y.add_(x)
        return y

    y = tg.ones(3)
    with pytest.raises(RuntimeError, match="wrote in place into an input that is not mapped"):
        tg.func.vmap(accumulate, in_dims=(0, None))(tg.ones(2, 3), y)
    nested = {"w": tg.ones(3)}
    with pytest.raises(RuntimeError, match="not mapped"):
        tg.func.vmap(lambda x, d: d["w"].mul_(2) + x, in_dims=(0, {"w": None}))(tg.ones(2, 3),
                                                                            nested)
    if torch is not None:  # PyTorch refuses the batched write too
        with pytest.raises(RuntimeError):
            torch.func.vmap(accumulate, in_dims=(0, None))(torch.ones(2, 3), torch.ones(3))


def test_vmap_in_place_into_the_mapped_input_still_writes_each_slice():
    def bump(x):
        x.add_(1)
        return x * 2

    x = tg.zeros(2, 3)
    out = tg.func.vmap(bump)(x)
    np.testing.assert_array_equal(x.numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(out.numpy(), np.full((2, 3), 2.0))


# ------------------------------------------------------------------ module backward hooks
def _two_inputs(lib, hook, body="x * x * y", create_graph=False):
    class M(lib.nn.Module):
        def forward(self, x, y):
            return eval(body)

    module, calls = M(), []

    def recorded(mod, grad_input, grad_output):
        calls.append(tuple(None if g is None else g.detach().numpy().copy() for g in grad_input))
        return hook(grad_input)

    module.register_full_backward_hook(recorded)
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = lib.tensor([3.0, 3.0], requires_grad=True)
    grads = lib.autograd.grad(module(x, y).sum(), [x, y], create_graph=create_graph,
                              allow_unused=True)
    second = lib.autograd.grad(grads[0].sum(), [x, y]) if create_graph else ()
    return [None if g is None else g.detach().numpy() for g in (*grads, *second)], calls


@needs_torch
@pytest.mark.parametrize("hook", [
    lambda gi: (gi[0] * 2, gi[1] * 3),           # both replaced (raised before: "last input")
    lambda gi: (None, gi[1] + 1),                # the first dropped
    lambda gi: None,
])
@pytest.mark.parametrize("body", ["x * x * y", "x * 2"])  # y unused: zeros in grad_input
def test_full_backward_hook_replaces_any_inputs_gradient_as_pytorch(hook, body):
    theirs, their_calls = _two_inputs(torch, hook, body)
    ours, our_calls = _two_inputs(tg, hook, body)
    assert len(our_calls) == len(their_calls) == 1
    for mine, reference in zip(our_calls[0], their_calls[0]):
        np.testing.assert_allclose(mine, reference)
    for mine, reference in zip(ours, theirs):
        assert (mine is None) == (reference is None)
        if mine is not None:
            np.testing.assert_allclose(mine, reference)


def test_full_backward_hook_fires_with_zeros_for_an_unused_input():
    """It never fired before when one input requiring grad was not used by forward."""
    class M(tg.nn.Module):
        def forward(self, x, y):
            return x * 2

    module, calls = M(), []
    module.register_full_backward_hook(lambda m, gi, go: calls.append(gi))
    x, y = tg.ones(2, requires_grad=True), tg.ones(3, requires_grad=True)
    module(x, y).sum().backward()
    assert len(calls) == 1
    assert calls[0][0].tolist() == [2.0, 2.0] and calls[0][1].tolist() == [0.0, 0.0, 0.0]
    assert y.grad.tolist() == [0.0, 0.0, 0.0]  # as PyTorch's


@needs_torch
def test_full_backward_hook_is_not_applied_again_in_a_double_backward():
    """PyTorch's hooks run in the pass that goes through the module's outputs only; here they
    ran again in the second derivative's pass, scaling it once more (24, 48 for 12, 24)."""
    hook = lambda gi: (gi[0] * 2, gi[1] * 3)  # noqa: E731
    theirs, their_calls = _two_inputs(torch, hook, create_graph=True)
    ours, our_calls = _two_inputs(tg, hook, create_graph=True)
    assert len(our_calls) == len(their_calls) == 1
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference)
    np.testing.assert_allclose(ours[2], [12.0, 12.0])  # d/dx of 2 * (2 x y), y = 3


def _hooked_linear(lib, kind):
    layer = lib.nn.Linear(2, 2)
    if kind == "full":
        layer.register_full_backward_hook(lambda m, gi, go: None)
    else:
        layer.register_full_backward_pre_hook(lambda m, go: None)
    return layer


IN_PLACE_ON_HOOKED = [
    "y = layer(x); y.add_(1)",
    "y = layer(x); y.mul_(2)",
    "y = layer(x); y[0].add_(1)",
    "y = layer(x); y += 1",
    "y = layer(x); torch.nn.functional.relu(y, inplace=True)",
    "y = torch.nn.ReLU(inplace=True)(layer(x))",
]


@needs_torch
@pytest.mark.parametrize("kind", ["full", "pre"])
@pytest.mark.parametrize("code", IN_PLACE_ON_HOOKED)
def test_in_place_on_an_output_of_a_module_with_backward_hooks_is_pytorchs_error(kind, code):
    for lib in (torch, tg):
        scope = {"torch": lib, "layer": _hooked_linear(lib, kind),
                 "x": lib.ones(1, 2, requires_grad=True)}
        with pytest.raises(RuntimeError, match="is a view and is being modified inplace"):
            exec(code, scope)


@needs_torch
def test_in_place_module_with_backward_hooks_refuses_its_input_write_and_clone_works():
    for lib in (torch, tg):
        relu = lib.nn.ReLU(inplace=True)
        relu.register_full_backward_hook(lambda m, gi, go: None)
        x = lib.tensor([[-1.0, 2.0]], requires_grad=True)
        with pytest.raises(RuntimeError, match="is being modified inplace"):
            relu(x * 1)
        layer = _hooked_linear(lib, "full")
        out = layer(x).clone()
        out.add_(1)  # a clone may be written
        out.sum().backward()
        with lib.no_grad():  # and no_grad writes are not recorded
            layer(x).add_(1)


# ------------------------------------------------------------------ checkpoint, anomaly mode
@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_refuses_an_input_changed_in_place_before_backward(reentrant):
    """fn ran again on the new values: exp(2x) where exp(x) was asked (silently wrong)."""
    from tinygrad_np.utils.checkpoint import checkpoint

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = checkpoint(lambda t: t.exp(), h, use_reentrant=reentrant)
    with tg.no_grad():
        h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*checkpoint's "
                                           "input 0.*is at version 1; expected version 0"):
        y.sum().backward()
    if torch is not None:  # PyTorch refuses it too
        tx = torch.tensor([1.0, 2.0], requires_grad=True)
        th = tx * 1
        ty = torch.utils.checkpoint.checkpoint(lambda t: t.exp(), th, use_reentrant=reentrant)
        with torch.no_grad():
            th.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            ty.sum().backward()


def test_checkpoint_still_right_without_a_change():
    from tinygrad_np.utils.checkpoint import checkpoint

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    checkpoint(lambda t: t.exp(), x * 1, use_reentrant=False).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)


def test_checkpoint_names_a_recomputation_of_another_shape():
    from tinygrad_np.utils.checkpoint import CheckpointError, checkpoint

    calls = []

    def grows(t):
        calls.append(1)
        return t if len(calls) == 1 else tg.cat([t, t])

    y = checkpoint(grows, tg.tensor([1.0, 2.0], requires_grad=True), use_reentrant=False)
    with pytest.raises(CheckpointError, match=r"Recomputed values .* \[\(2,\)\] in forward "
                                              r"and are \[\(4,\)\] recomputed"):
        y.sum().backward()


def test_stale_saved_value_error_starts_with_pytorchs_words():
    for lib in [tg] + ([torch] if torch is not None else []):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (w * w).sum()
        with lib.no_grad():  # an optimizer step between forward and backward
            w.add_(1)
        with pytest.raises(RuntimeError, match="one of the variables needed for gradient "
                                               "computation has been modified by an inplace "
                                               "operation.*is at version 1; expected version "
                                               "0 instead"):
            y.backward()


@needs_torch
def test_detect_anomaly_warns_as_pytorch_on_entering():
    for lib in (torch, tg):
        with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
            with lib.autograd.detect_anomaly():
                pass


@needs_torch
@pytest.mark.parametrize("returned", ["g.sum()", "torch.ones(3)", "torch.ones(2, 3)"])
def test_custom_function_gradient_of_a_wrong_shape_is_pytorchs_error(returned):
    code = f"""
class C(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2
    @staticmethod
    def backward(ctx, g):
        return {returned}
C.apply(torch.tensor([1., 3.], requires_grad=True)).sum().backward()
"""
    theirs, ours = _both(code)
    words = "CBackward returned an invalid gradient"
    assert isinstance(theirs, RuntimeError) and words in str(theirs)
    assert isinstance(ours, RuntimeError) and words in str(ours)
    assert "expected shape compatible with" in str(ours)


@needs_torch
@pytest.mark.parametrize("code, kind, words", [
    ("x = torch.tensor([1., 2.]); x.retain_grad()", RuntimeError,
     "can't retain_grad on Tensor that has requires_grad=False"),
    ("x = torch.tensor([1., 2.], requires_grad=True); x.grad = torch.ones(3)", RuntimeError,
     "attempting to assign a gradient of size"),
    ("x = torch.tensor([1., 2.], requires_grad=True); x.grad = torch.ones(2).double()",
     RuntimeError, "attempting to assign a gradient with dtype"),
    ("x = torch.tensor([1., 2.], requires_grad=True); x.grad = torch.ones(2).long()",
     RuntimeError, "attempting to assign a gradient with dtype"),
    ("x = torch.tensor([1., 2.], requires_grad=True); x.grad = [1., 2.]", TypeError,
     "assigned grad expected to be a Tensor or None but got grad of type list"),
])
def test_grad_attribute_and_retain_grad_errors_as_pytorch(code, kind, words):
    theirs, ours = _both(code)
    assert isinstance(theirs, kind) and words in str(theirs), theirs
    assert isinstance(ours, kind) and words in str(ours), ours


_FN = "class C(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, k=2.):\n" \
      "        return x * k\n"
HOOK_AND_FUNCTION_ERRORS = [
    ("x = torch.ones(2); x.register_hook(lambda g: g)", RuntimeError,
     "cannot register a hook on a tensor that doesn't require gradient"),
    ("x = torch.ones(2, requires_grad=True); x.register_hook(lambda g: g.sum())\n"
     "(x * 2).sum().backward()", RuntimeError, "hook '<lambda>' has changed the size of value"),
    ("x = torch.ones(2, requires_grad=True); x.register_hook(lambda g: g.double())\n"
     "(x * 2).sum().backward()", RuntimeError, "hook '<lambda>' has changed the type of value"),
    (_FN + "    @staticmethod\n    def backward(ctx, g):\n        return g, None, g\n"
     "C.apply(torch.ones(2, requires_grad=True), 3.).sum().backward()", RuntimeError,
     "function CBackward returned an incorrect number of gradients (expected 2, got 3)"),
    (_FN + "    @staticmethod\n    def backward(ctx, g):\n        return g, g\n"
     "C.apply(torch.ones(2, requires_grad=True), 3.).sum().backward()", RuntimeError,
     "function CBackward returned a gradient different than None at position 2"),
    (_FN + "    @staticmethod\n    def backward(ctx, g):\n        return g, g\n"
     "C.apply(torch.ones(2, requires_grad=True), 3.).sum().backward()", RuntimeError,
     "returned a gradient different than None at position 2, but the corresponding forward "
     "input was not a Variable"),
    (_FN + "C.apply(torch.ones(2, requires_grad=True)).sum().backward()", NotImplementedError,
     "You must implement either the backward or vjp method for your custom autograd.Function"),
    ("m = torch.nn.Linear(2, 2); m.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))\n"
     "m(torch.ones(1, 2, requires_grad=True)).sum().backward()", RuntimeError,
     "Backward hook returned an invalid number of grad_input, got 2, but expected 1"),
    ("m = torch.nn.Linear(2, 2)\n"
     "m.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))\n"
     "m(torch.ones(1, 2, requires_grad=True)).sum().backward()", RuntimeError,
     "Backward pre hook returned an invalid number of grad_output, got 2, but expected 1"),
]


@needs_torch
@pytest.mark.parametrize("code, kind, words", HOOK_AND_FUNCTION_ERRORS)
def test_hook_and_custom_function_errors_as_pytorch(code, kind, words):
    theirs, ours = _both(code)
    assert isinstance(theirs, kind) and words in str(theirs), theirs
    assert isinstance(ours, kind) and words in str(ours), ours


def test_vmap_refuses_batch_norm_updating_running_stats_as_pytorch():
    """Per-slice calls moved the running stats once per slice (PyTorch refuses)."""
    bn = tg.nn.BatchNorm1d(2)
    before = bn.running_mean.numpy().copy()
    with pytest.raises(RuntimeError, match="Batch norm got a batched tensor as input while the "
                                           "running_mean or running_var"):
        tg.func.vmap(bn)(tg.randn(4, 3, 2))
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)
    bn.eval()  # eval mode, or no running stats, is fine
    assert tg.func.vmap(bn)(tg.ones(4, 3, 2)).shape == (4, 3, 2)
    bn.train()
    tg.func.replace_all_batch_norm_modules_(bn)
    assert tg.func.vmap(bn)(tg.ones(4, 3, 2)).shape == (4, 3, 2)
    if torch is not None:
        with pytest.raises(RuntimeError, match="Batch norm got a batched tensor"):
            torch.func.vmap(torch.nn.BatchNorm1d(2))(torch.randn(4, 3, 2))


# ------------------------------------------------------------------ inference tensors
@pytest.mark.parametrize("lib", [tg] + ([torch] if torch is not None else []),
                         ids=lambda lib: lib.__name__)
def test_inference_tensors_are_refused_by_a_later_graph(lib):
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.inference_mode():
        y = lib.ones(2) * 2  # an op's result: an inference tensor
        assert lib.is_inference_mode_enabled() and y.is_inference()
    assert not lib.is_inference_mode_enabled()
    assert y.is_inference() and not (y * 1).is_inference() or lib is torch
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        w * y  # Mul saves y for w's gradient
    with pytest.raises(RuntimeError, match="Setting requires_grad=True on inference tensor "
                                           "outside InferenceMode is not allowed"):
        y.requires_grad_()
    with lib.inference_mode():
        other = lib.ones(2) * 3
    for write in ("y.add_(1)", "y.mul_(2)", "y += 1", "y.zero_()"):
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside "
                                               "InferenceMode is not allowed"):
            exec(write, {"y": other})  # (PyTorch writes, then raises; here nothing is written)
    z = y.clone()  # PyTorch's advice: a clone is a normal tensor
    assert not z.is_inference()
    (w * z).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 2.0])
    with lib.no_grad():  # no_grad makes normal tensors
        assert not (lib.ones(2) * 2).is_inference()


def test_inference_tensors_cost_nothing_once_gone():
    from tinygrad_np import function, inference_tensors

    with tg.inference_mode():
        y = tg.ones(3) * 2
    assert inference_tensors._refuse_saved in function.observers
    del y
    import gc
    gc.collect()
    assert inference_tensors._refuse_saved not in function.observers
    assert function._make_tensor is inference_tensors._plain_make  # the engine's own again


@needs_torch
def test_is_grads_batched_seed_of_the_wrong_shape_is_pytorchs_error():
    code = ("x = torch.tensor([1., 2.], requires_grad=True)\n"
            "torch.autograd.grad(x ** 2, x, torch.ones(4, 3), is_grads_batched=True)")
    theirs, ours = _both(code)
    words = "If `is_grads_batched=True`, we interpret the first dimension of each grad_output"
    assert isinstance(theirs, RuntimeError) and words in str(theirs)
    assert isinstance(ours, RuntimeError) and words in str(ours)
    assert "grad_output[0] has a shape of (3,) and output[0] has a shape of (2,)" in str(ours)
    x = tg.tensor([1.0, 2.0], requires_grad=True)  # the right shape still works
    (rows,) = tg.autograd.grad(x ** 2, x, tg.eye(2), is_grads_batched=True)
    np.testing.assert_allclose(rows.numpy(), [[2.0, 0.0], [0.0, 4.0]])


@needs_torch
@pytest.mark.parametrize("code, kind, words", [
    ("torch.func.grad(lambda x: x.sum(0, keepdim=True))(torch.ones(2))", RuntimeError,
     "Expected f(*args) to return a scalar Tensor, got tensor with 1 dims"),
    ("torch.func.grad(lambda x: 3.0)(torch.ones(2))", RuntimeError,
     "Expected f(*args) to return a Tensor, got <class 'float'>"),
    ("torch.func.vmap(lambda x: x, in_dims=2)(torch.ones(3, 2))", ValueError,
     "Got in_dim=2 for some input, but that input is a Tensor of dimensionality 2 so expected "
     "in_dim to satisfy -2 <= in_dim < 2."),
    ("torch.func.vmap(lambda x, k: x * k, in_dims=(0, 0))(torch.ones(3), 2.0)", ValueError,
     "Got in_dim=0 for an input but the input is of type <class 'float'>"),
])
def test_more_func_errors_as_pytorch(code, kind, words):
    theirs, ours = _both(code)
    assert isinstance(theirs, kind) and words in str(theirs), theirs
    assert isinstance(ours, kind) and words in str(ours), ours


def test_an_observer_removed_mid_loop_does_not_make_the_loop_skip_another():
    """function.observers is a tuple replaced whole: removing one observer while an op's loop
    runs over them (another thread's anomaly/inference/profiler cleanup) cannot shift that
    loop past the next observer, as a list's remove did."""
    from tinygrad_np import function, observing

    seen = []

    def first(ctx, arrays, output):
        observing.unobserve(first)  # as if another thread cleaned up now

    def second(ctx, arrays, output):
        seen.append(type(ctx).__name__)

    observing.observe(first)
    observing.observe(second)
    try:
        x = tg.ones(2, requires_grad=True)
        (x * 2).sum()
    finally:
        observing.unobserve(second)
    assert seen == ["Mul", "Sum"]
    assert first not in function.observers and second not in function.observers
