"""Round 19 of torch.func, autograd.Function's full API and inference_mode against PyTorch.

Each test runs the same code on tinygrad_np and (when installed) on PyTorch 2.13 and checks
both against values worked out by hand or the error PyTorch raises, so it fails on either
side: custom Functions under the func transforms (setup_context required, a vmap rule
required under vmap), writes into captured tensors under vmap, grad mode inside
inference_mode."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch

    torch.set_num_threads(1)
except ImportError:
    torch = None

LIBS = [tg] if torch is None else [tg, torch]
pytestmark = [pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated"),
              pytest.mark.filterwarnings("ignore:Attempted to insert a get_attr Node")]

X = np.array([0.3, -0.7, 1.1], dtype=np.float32)


def _np(value):
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def _close(got, want, tol=1e-5):
    np.testing.assert_allclose(_np(got), want, rtol=tol, atol=tol)


def _functions(lib):
    """Three custom squares: old style (ctx in forward), setup_context style, and that with
    generate_vmap_rule."""
    class OldSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output

    class NewSquare(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output

    class VmapSquare(NewSquare):
        generate_vmap_rule = True

    return OldSquare, NewSquare, VmapSquare


SETUP = "must override the setup_context staticmethod"


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("transform", ["grad", "vjp", "jvp", "jacrev", "jacfwd", "hessian",
                                       "vmap", "grad_and_value"])
def test_old_style_function_refused_by_every_transform(lib, transform):
    old, _, _ = _functions(lib)
    x = lib.tensor(X)
    f = lib.func
    calls = {
        "grad": lambda: f.grad(lambda a: old.apply(a).sum())(x),
        "grad_and_value": lambda: f.grad_and_value(lambda a: old.apply(a).sum())(x),
        "vjp": lambda: f.vjp(old.apply, x),
        "jvp": lambda: f.jvp(old.apply, (x,), (lib.ones(3),)),
        "jacrev": lambda: f.jacrev(old.apply)(x),
        "jacfwd": lambda: f.jacfwd(old.apply)(x),
        "hessian": lambda: f.hessian(lambda a: old.apply(a).sum())(x),
        "vmap": lambda: f.vmap(old.apply)(lib.ones(2, 3)),
    }
    with pytest.raises(RuntimeError, match=SETUP):
        calls[transform]()


@pytest.mark.parametrize("lib", LIBS)
def test_old_style_function_still_fine_outside_transforms(lib):
    old, _, _ = _functions(lib)
    x = lib.tensor(X, requires_grad=True)
    old.apply(x).sum().backward()
    _close(x.grad, 2 * X)
    jac = lib.autograd.functional.jacobian(old.apply, lib.tensor(X))
    _close(jac, np.diag(2 * X))
    hess = lib.autograd.functional.hessian(lambda a: old.apply(a).sum(), lib.tensor(X))
    _close(hess, 2 * np.eye(3))


@pytest.mark.parametrize("lib", LIBS)
def test_setup_context_function_under_grad_transforms(lib):
    _, new, _ = _functions(lib)
    x = lib.tensor(X)
    _close(lib.func.grad(lambda a: new.apply(a).sum())(x), 2 * X)
    _close(lib.func.jacrev(new.apply)(x), np.diag(2 * X))
    _close(lib.func.vjp(new.apply, x)[1](lib.ones(3))[0], 2 * X)
    _close(lib.func.jacrev(lib.func.jacrev(lambda a: new.apply(a).sum()))(x), 2 * np.eye(3))


@pytest.mark.parametrize("lib", LIBS)
def test_vmap_needs_a_vmap_rule(lib):
    _, new, vmapped = _functions(lib)
    batch = lib.tensor(np.stack([X, 2 * X]))
    with pytest.raises(RuntimeError, match="does not have vmap support.*generate_vmap_rule"):
        lib.func.vmap(new.apply)(batch)
    with pytest.raises(RuntimeError, match="NewSquare, but it does not have vmap support"):
        lib.func.vmap(lib.func.grad(lambda a: new.apply(a).sum()))(batch)
    _close(lib.func.vmap(vmapped.apply)(batch), np.stack([X, 2 * X]) ** 2)
    per_sample = lib.func.vmap(lib.func.grad(lambda a: vmapped.apply(a).sum()))(batch)
    _close(per_sample, 2 * np.stack([X, 2 * X]))


@pytest.mark.parametrize("lib", LIBS)
def test_jacfwd_of_custom_function_uses_its_jvp(lib):
    class Sine(lib.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x):
            return x.sin()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])
            ctx.save_for_forward(inputs[0])

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * x.cos()

        @staticmethod
        def jvp(ctx, tangent):
            (x,) = ctx.saved_tensors
            return tangent * x.cos()

    _, _, no_jvp = _functions(lib)
    x = lib.tensor(X)
    _close(lib.func.jacfwd(Sine.apply)(x), np.diag(np.cos(X)))
    _close(lib.func.hessian(lambda a: Sine.apply(a).sum())(x), np.diag(-np.sin(X)))
    with pytest.raises(NotImplementedError, match="implement the jvp function"):
        lib.func.jacfwd(no_jvp.apply)(x)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("write", ["add_", "setitem", "copy_", "mul_"])
def test_vmap_write_into_captured_tensor_raises(lib, write):
    buffer = lib.zeros(3)

    def f(x):
        if write == "add_":
            buffer.add_(x)
        elif write == "setitem":
            buffer[0] = x.sum()
        elif write == "copy_":
            buffer.copy_(x)
        else:
            buffer.mul_(x)
        return x * 2

    with pytest.raises(RuntimeError):
        lib.func.vmap(f)(lib.ones(2, 3))


def test_vmap_write_into_captured_tensor_with_a_constant_raises_here():
    """PyTorch writes a batch-independent value once; here the per-slice calls would write
    it once per slice, so it raises rather than repeat it."""
    buffer = tg.zeros(3)

    def f(x):
        buffer.add_(1.0)
        return x * 2

    with pytest.raises(RuntimeError, match="captures from outside.*would repeat"):
        tg.func.vmap(f)(tg.ones(2, 3))


@pytest.mark.parametrize("lib", LIBS)
def test_vmap_writes_that_stay_allowed(lib):
    batch = lib.ones(2, 3)
    doubled = lib.func.vmap(lambda x: x.mul_(2))(batch)  # a mapped input: written per slice
    _close(doubled, np.full((2, 3), 2.0))
    _close(batch, np.full((2, 3), 2.0))

    def fresh(x):
        out = x * 0  # made inside: a new tensor per slice
        out[0] = 5.0
        return out

    _close(lib.func.vmap(fresh)(lib.ones(2, 3)), [[5, 0, 0], [5, 0, 0]])
    counts = lib.zeros(2)
    lib.func.vmap(lambda x: x * 2)(lib.ones(2, 3))
    counts.add_(1)  # outside vmap, as before
    _close(counts, [1, 1])


@pytest.mark.parametrize("lib", LIBS)
def test_vmap_of_unmapped_input_write_still_names_the_input(lib):
    def f(x, y):
        y.add_(x)
        return x

    with pytest.raises(RuntimeError):
        lib.func.vmap(f, in_dims=(0, None))(lib.ones(2, 3), lib.zeros(3))
    if lib is tg:
        with pytest.raises(RuntimeError, match="input that is not mapped"):
            tg.func.vmap(f, in_dims=(0, None))(tg.ones(2, 3), tg.zeros(3))


def test_nested_vmap_captured_write_caught_at_the_outer_level():
    buffer = tg.zeros(3)

    def inner(x):
        buffer.add_(1.0)
        return x

    with pytest.raises(RuntimeError, match="captures from outside"):
        tg.func.vmap(tg.func.vmap(inner))(tg.ones(2, 1, 3))
    tg.func.vmap(tg.func.vmap(lambda x: x * 2))(tg.ones(2, 2, 3))
    buffer.add_(1.0)  # the recorder is gone after vmap
    assert tg.Tensor._bump_version is tg.func._plain_bump


@pytest.mark.parametrize("lib", LIBS)
def test_enable_grad_inside_inference_mode_records_nothing(lib):
    x = lib.tensor(X, requires_grad=True)
    with lib.inference_mode():
        with lib.enable_grad():
            assert lib.is_grad_enabled() and lib.is_inference_mode_enabled()
            y = x * 2
            w = lib.ones(3, requires_grad=True)
            z = (w * x).sum()
        with lib.set_grad_enabled(True):
            v = x.exp()
    assert not y.requires_grad and y.grad_fn is None and y.is_inference()
    assert w.requires_grad and w.is_inference()
    assert not z.requires_grad and not v.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        z.backward()
    _close(y, 2 * X)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("factory", ["ones", "zeros", "tensor", "randn", "arange", "full",
                                     "empty", "eye", "linspace", "zeros_like", "from_numpy",
                                     "as_tensor", "clone", "parameter"])
def test_factories_inside_inference_mode_make_inference_tensors(lib, factory):
    base = lib.tensor(X)
    made = {
        "ones": lambda: lib.ones(3), "zeros": lambda: lib.zeros(2, 2),
        "tensor": lambda: lib.tensor([1.0, 2.0]), "randn": lambda: lib.randn(3),
        "arange": lambda: lib.arange(3), "full": lambda: lib.full((2,), 3.0),
        "empty": lambda: lib.empty(3), "eye": lambda: lib.eye(2),
        "linspace": lambda: lib.linspace(0, 1, 3), "zeros_like": lambda: lib.zeros_like(base),
        "from_numpy": lambda: lib.from_numpy(np.ones(2)),
        "as_tensor": lambda: lib.as_tensor([1.0]), "clone": lambda: base.clone(),
        "parameter": lambda: lib.nn.Linear(2, 2).weight,
    }[factory]
    with lib.inference_mode():
        inside = made()
    assert inside.is_inference()
    assert not made().is_inference()
    assert not base.is_inference()
    with lib.inference_mode(False):
        assert not made().is_inference()


@pytest.mark.parametrize("lib", LIBS)
def test_inference_tensor_from_a_factory_refused_by_a_later_graph(lib):
    with lib.inference_mode():
        scale = lib.tensor(X)
    x = lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        (scale * x).sum().backward()
    (scale.clone() * x).sum().backward()  # the workaround PyTorch's message names
    _close(x.grad, X)
    (scale + x).sum().backward()  # add saves nothing: allowed, as PyTorch
    _close(x.grad, X + 1)


@pytest.mark.parametrize("lib", LIBS)
def test_inference_tensor_written_or_made_to_require_grad_outside_the_mode(lib):
    with lib.inference_mode():
        t = lib.ones(3)
        t.add_(1)  # inside the mode: fine, under enable_grad too
        with lib.enable_grad():
            t.mul_(2)
            fresh = lib.ones(2)
            fresh.requires_grad_()
    _close(t, [4, 4, 4])
    for grad_mode in (lib.enable_grad, lib.no_grad):
        with grad_mode():
            with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside "
                                                   "InferenceMode is not allowed"):
                t.add_(1)
            with pytest.raises(RuntimeError, match="Setting requires_grad=True on inference "
                                                   "tensor outside InferenceMode"):
                t.requires_grad_()


@pytest.mark.parametrize("lib", LIBS)
def test_inference_mode_model_params_cannot_train_outside(lib):
    with lib.inference_mode():
        model = lib.nn.Linear(2, 1)
    assert model.weight.requires_grad and model.weight.is_inference()
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved"):
        model(lib.ones(4, 2, requires_grad=True)).sum().backward()
    with lib.inference_mode():
        out = model(lib.ones(4, 2))
    assert out.is_inference() and not out.requires_grad


@pytest.mark.parametrize("lib", LIBS)
def test_ensemble_of_batch_norm_models_with_stacked_buffers(lib):
    """PyTorch's model-ensembling tutorial with a BatchNorm in training mode: the running
    stats come in stacked (mapped) from stack_module_state, so each model updates its own."""
    import copy

    model = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.BatchNorm1d(3))
    with lib.no_grad():
        model[0].weight.copy_(lib.tensor(np.arange(9.0).reshape(3, 3) / 10, dtype=lib.float32))
        model[0].bias.fill_(0.1)
    params, buffers = lib.func.stack_module_state([model, copy.deepcopy(model)])
    x = np.arange(12.0).reshape(4, 3) ** 1.5

    def run(p, b, inputs):
        return lib.func.functional_call(model, (p, b), (inputs,))

    out = lib.func.vmap(run, in_dims=(0, 0, None))(params, buffers,
                                                   lib.tensor(x, dtype=lib.float32))
    hidden = x @ (np.arange(9.0).reshape(3, 3) / 10).T + 0.1
    mean, var = hidden.mean(0), hidden.var(0)
    _close(out[1], (hidden - mean) / np.sqrt(var + 1e-5), 1e-4)
    _close(buffers["1.running_mean"], np.stack([0.1 * mean] * 2), 1e-4)
    _close(buffers["1.running_var"], np.stack([0.9 + 0.1 * hidden.var(0, ddof=1)] * 2), 1e-3)
    _close(model[1].running_mean, np.zeros(3))  # the module's own stats untouched
    with pytest.raises(RuntimeError, match="Batch norm got a batched tensor"):
        lib.func.vmap(model)(lib.ones(2, 4, 3))  # its own (unmapped) stats: refused


@pytest.mark.parametrize("lib", LIBS)
def test_autograd_functional_bad_strategy_is_an_assertion_error(lib):
    with pytest.raises(AssertionError):
        lib.autograd.functional.jacobian(lambda a: a.exp(), lib.ones(2), strategy="bogus")
    with pytest.raises(AssertionError):
        lib.autograd.functional.hessian(lambda a: a.sum(), lib.ones(2),
                                        outer_jacobian_strategy="bogus")


@pytest.mark.parametrize("lib", LIBS)
def test_transforms_check_their_arguments_as_pytorch(lib):
    f, x = lib.func, lib.ones(3)
    for call in (lambda: f.grad(lambda a: a.sum())(3.0),
                 lambda: f.grad(lambda a: a[0].sum())((x, 3)),
                 lambda: f.jacrev(lambda a: a)(3.0),
                 lambda: f.vjp(lambda a: a, 3.0)):
        with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor"):
            call()
    for call in (lambda: f.grad(lambda a: (a.sum(), 3), has_aux=True)(x),
                 lambda: f.grad(lambda a: (a.sum(), None), has_aux=True)(x),
                 lambda: f.vjp(lambda a: (a * 2, 3), x, has_aux=True),
                 lambda: f.jvp(lambda a: (a * 2, 3), (x,), (x,), has_aux=True),
                 lambda: f.jacrev(lambda a: (a * 2, [a, 3]), has_aux=True)(x)):
        with pytest.raises(RuntimeError, match="Expected tensors, got unsupported type"):
            call()
    with pytest.raises(RuntimeError, match="argnum must be int, got: <class 'float'>"):
        f.grad(lambda a, b: a.sum(), argnums=(0, 1.0))(x, x)
    with pytest.raises(ValueError, match="Expected tangent to be floating point or complex, "
                                         "but got: torch.int64"):
        f.jvp(lambda a: a * 2, (x,), (lib.ones(3, dtype=lib.int64),))
    aux = f.jacrev(lambda a: (a * 2, {"k": a}), has_aux=True)(x)[1]
    _close(aux["k"], np.ones(3))


@pytest.mark.parametrize("lib", LIBS)
def test_jvp_strict_refuses_only_an_independent_output(lib):
    x = lib.tensor(X)
    primal, tangent = lib.func.jvp(lambda a: (a * 2).sum(), (x,), (lib.ones(3),), strict=True)
    _close(primal, 2 * X.sum())
    _close(tangent, 6.0)  # a linear function: its Jacobian is constant, still fine
    with pytest.raises(RuntimeError, match="strict=True\\): The output of f is independent"):
        lib.func.jvp(lambda a: lib.zeros(()), (x,), (x,), strict=True)


@pytest.mark.parametrize("lib", LIBS)
def test_setup_context_sees_forwards_default_arguments(lib):
    seen = []

    class Scale(lib.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x, scale=2.0, shift=0.0):
            return x * scale + shift

        @staticmethod
        def setup_context(ctx, inputs, output):
            seen.append(len(inputs))
            ctx.scale = inputs[1]

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.scale, None, None

    x = lib.tensor(X, requires_grad=True)
    Scale.apply(x).sum().backward()
    _close(x.grad, np.full(3, 2.0))
    _close(lib.func.grad(lambda a: Scale.apply(a, scale=5.0).sum())(lib.tensor(X)),
           np.full(3, 5.0))
    _close(lib.func.vmap(Scale.apply)(lib.ones(2, 3)), np.full((2, 3), 2.0))
    assert set(seen) == {3}


@pytest.mark.parametrize("lib", LIBS)
def test_forward_ad_uses_a_custom_functions_jvp(lib):
    class Sine(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x.sin()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_forward(inputs[0])
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * x.cos()

        @staticmethod
        def jvp(ctx, tangent):  # deliberately 10x the derivative: it must be the one used
            (x,) = ctx.saved_tensors
            return tangent * x.cos() * 10

    old, _, _ = _functions(lib)
    fwad = lib.autograd.forward_ad
    x = lib.tensor(X)
    with fwad.dual_level():
        dual = fwad.make_dual(x, lib.ones(3))
        _close(fwad.unpack_dual(Sine.apply(dual)).tangent, 10 * np.cos(X))
        _close(fwad.unpack_dual(Sine.apply(dual) * 2).tangent, 20 * np.cos(X))
        with pytest.raises(NotImplementedError, match="implement the jvp function"):
            old.apply(dual)
    with fwad.dual_level():  # the level closed cleanly: a new one works
        dual = fwad.make_dual(x, lib.ones(3))
        _close(fwad.unpack_dual(dual.exp()).tangent, np.exp(X))


@pytest.mark.parametrize("lib", LIBS)
def test_vmap_calls_a_custom_functions_own_vmap_rule(lib):
    calls = []

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(x, k):
            return x * x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output * ctx.k, None

        @staticmethod
        def vmap(info, in_dims, x, k):
            calls.append((info.batch_size, info.randomness, in_dims))
            return Square.apply(x, k), in_dims[0]

    class Total(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x.sum()

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

        @staticmethod
        def vmap(info, in_dims, x):  # the whole batch's sum, unbatched (out_dims None)
            calls.append(("total", info.batch_size, in_dims))
            return x.sum(), None

    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    _close(lib.func.vmap(Square.apply, in_dims=(-1, None))(lib.tensor(x), 2.0), (2 * x * x).T)
    _close(lib.func.vmap(lambda a: Square.apply(a, 1.0), randomness="same")(lib.tensor(x)),
           x * x)
    _close(lib.func.vmap(Total.apply)(lib.tensor(x)), [15.0, 15.0])
    leaf = lib.tensor(x, requires_grad=True)
    lib.func.vmap(Square.apply, in_dims=(0, None))(leaf, 3.0).sum().backward()
    _close(leaf.grad, 6 * x)
    assert calls == [(3, "error", (1, None)), (2, "same", (0, None)), ("total", 2, (0,)),
                     (2, "error", (0, None))]


@pytest.mark.parametrize("lib", LIBS)
def test_function_base_jvp_and_vmap_and_inplace_function(lib):
    with pytest.raises(NotImplementedError, match="implement the jvp function"):
        lib.autograd.Function.jvp(None, lib.ones(1))
    with pytest.raises(NotImplementedError, match="override the vmap staticmethod"):
        lib.autograd.Function.vmap(None, (0,), lib.ones(1))

    class Double(lib.autograd.function.InplaceFunction):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 2

    x = lib.tensor(X, requires_grad=True)
    Double.apply(x).sum().backward()
    _close(x.grad, np.full(3, 2.0))
    assert lib.func.debug_unwrap(x) is x


@pytest.mark.parametrize("lib", LIBS)
def test_second_backward_through_a_custom_function_has_pytorchs_text(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            (again,) = ctx.saved_tensors  # read twice: fine
            return x * grad_output + again * grad_output

    x = lib.tensor(X, requires_grad=True)
    y = Square.apply(x).sum()
    y.backward()
    _close(x.grad, 2 * X)
    with pytest.raises(RuntimeError, match=r"Trying to backward through the graph a second time "
                                           r"\(or directly access saved tensors after they have "
                                           r"already been freed\)"):
        y.backward()


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("value", [5, 2.5, True, "abc", None, {"a": 1}])
def test_function_returning_a_non_tensor_hands_it_back(lib, value):
    class Constant(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return value

        @staticmethod
        def backward(ctx, grad_output):
            return None

    result = Constant.apply(lib.ones(2, requires_grad=True))
    assert type(result) is type(value) and result == value


@pytest.mark.parametrize("lib", LIBS)
def test_in_place_write_into_a_custom_functions_view_output_is_refused(lib):
    class Same(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    class Head(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x[:1]

        @staticmethod
        def backward(ctx, grad_output):
            result = lib.zeros(3)
            result[:1] = grad_output
            return result

    class Copy(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    x = lib.tensor(X, requires_grad=True)
    message = "is a view and is being modified inplace.*custom Function"
    for write in (lambda: Same.apply(x * 1).mul_(2), lambda: Same.apply(x).mul_(2),
                  lambda: Head.apply(x * 1).__setitem__(0, 5.0),
                  lambda: Same.apply(x * 1)[0].mul_(2),
                  lambda: Same.apply(x * 1).view(3).add_(1)):
        with pytest.raises(RuntimeError, match=message):
            write()
    _close(Copy.apply(x * 1).mul_(2), 2 * X)  # a copy: fine
    _close(Same.apply(lib.tensor(X)).mul_(2), 2 * X)  # no graph: fine
    y = Same.apply(x * 1)
    with lib.no_grad():
        y.mul_(2)  # not recorded: allowed, as PyTorch
    head = Head.apply(x * 1)
    (head * 3).sum().backward()  # reading the view is fine, with the function's backward
    _close(x.grad, [3, 0, 0])
