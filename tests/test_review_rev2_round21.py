"""Session 27 review (rev2): regressions in the merged autograd/tools changes (custom
Functions' saved_tensors, the second-backward refusals), pinned against PyTorch 2.13."""

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def _functions(lib):
    class Derived(lib.autograd.Function):  # saves a value forward derived
        @staticmethod
        def forward(ctx, a):
            e = a.exp()
            ctx.save_for_backward(e)
            return e * 2

        @staticmethod
        def backward(ctx, g):
            (e,) = ctx.saved_tensors
            return g * e * 2

    class Output(lib.autograd.Function):  # saves its output
        @staticmethod
        def forward(ctx, a):
            e = a.exp()
            ctx.save_for_backward(e)
            return e

        @staticmethod
        def backward(ctx, g):
            (e,) = ctx.saved_tensors
            return g * e

    class Input(lib.autograd.Function):  # saves a non-leaf input
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * g * a

    return {"derived": Derived, "output": Output, "input": Input}


@pytest.mark.parametrize("kind", ["derived", "output", "input"])
def test_a_write_into_grad_fn_saved_tensors_never_gives_a_silently_wrong_gradient(kind):
    # `y.grad_fn.saved_tensors` hands out Tensors: a write into one under no_grad used to
    # change the very array backward reads (the derived value, the output: gradients 100 off).
    # PyTorch's backward refuses; here it refuses or gives the gradient of forward's values.
    results = []
    for lib in (torch, tg):
        x = lib.tensor([0.5, 1.5, -1.0], dtype=lib.float64, requires_grad=True)
        function = _functions(lib)[kind]
        y = function.apply(x * 1 if kind == "input" else x)
        saved = y.grad_fn.saved_tensors[0]
        with lib.no_grad():
            saved.add_(100)
        try:
            y.sum().backward()
        except RuntimeError as error:
            assert "modified by an inplace operation" in str(error)
            results.append(None)
        else:
            results.append(x.grad.numpy())
    assert results[0] is None
    if results[1] is not None:  # (the values forward saw: the right gradient)
        expected = {"derived": 2 * np.exp([0.5, 1.5, -1.0]), "output": np.exp([0.5, 1.5, -1.0]),
                    "input": [1.0, 3.0, -2.0]}[kind]
        np.testing.assert_allclose(results[1], expected)


def test_grad_fn_saved_tensors_still_gives_the_callers_tensors_and_the_output():
    functions = _functions(tg)
    x = tg.tensor([0.5, 1.5], dtype=tg.float64, requires_grad=True)
    a = x * 1
    y = functions["input"].apply(a)
    assert y.grad_fn.saved_tensors[0] is a
    out = functions["output"].apply(x)
    saved = out.grad_fn.saved_tensors[0]
    assert saved.grad_fn is out.grad_fn
    np.testing.assert_allclose(saved.numpy(), np.exp([0.5, 1.5]))
    (g,) = tg.autograd.grad(out.sum(), x, create_graph=True)
    (gg,) = tg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), np.exp([0.5, 1.5]))


@pytest.mark.parametrize("op", ["diagonal_scatter", "as_strided_scatter"])
def test_scatters_whose_pytorch_node_saves_no_index_allow_a_second_backward(op):
    # SetItem now marks its node as keeping an index (freed by backward(), as PyTorch's
    # index_put); diagonal_scatter and as_strided_scatter are made of it, but PyTorch's
    # nodes save nothing, so a second backward() through them works there. (The values are
    # checked on their own: PyTorch 2.13's as_strided_scatter gives the input's gradient at
    # the written places, the complement of the right one.)
    for lib in (torch, tg):
        x = lib.tensor(np.arange(6.0).reshape(2, 3), dtype=lib.float64, requires_grad=True)
        src = lib.zeros(2, dtype=lib.float64, requires_grad=True)
        if op == "diagonal_scatter":
            y = lib.diagonal_scatter(x, src)
        else:
            y = lib.as_strided_scatter(x, src, (2,), (4,))
        y.sum().backward()
        (y * 2).sum().backward()
    written = np.array([[1.0, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(x.grad.numpy(), 3 * (1 - written))
    np.testing.assert_array_equal(src.grad.numpy(), [3.0, 3.0])


def test_index_put_still_refuses_a_second_backward_as_pytorch():
    x = tg.tensor(np.ones((2, 3)), requires_grad=True)
    y = tg.index_put(x, (tg.tensor([0]),), tg.tensor(1.0, dtype=tg.float64))
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


def test_a_gather_along_a_later_dim_is_c_ordered_without_a_transposed_copy():
    # x[:, :, idx] (and index_select along dim 1, 2) were made C-ordered by copying NumPy's
    # transposed gather: 6x NumPy's own time for a (32, 64, 64) float32 tensor. np.take
    # gives the C-ordered result at once.
    import timeit

    data = np.random.default_rng(0).random((32, 64, 64), dtype=np.float32)
    index = np.random.default_rng(1).integers(0, 64, 64)
    x, idx = tg.tensor(data), tg.tensor(index)
    for result, expected in ((x[:, :, idx], data[:, :, index]),
                             (x.index_select(1, idx), data[:, index])):
        assert result.is_contiguous() and result.numpy().flags.c_contiguous
        np.testing.assert_array_equal(result.numpy(), expected)
    ours = min(timeit.repeat(lambda: x[:, :, idx], number=20, repeat=15))
    numpys = min(timeit.repeat(lambda: data[:, :, index], number=20, repeat=15))
    assert ours < 3 * numpys


@pytest.mark.parametrize("case", ["bilinear", "linear", "bicubic", "affine_grid"])
def test_resizes_and_affine_grid_allow_a_second_backward_as_pytorch(case):
    # Their constant matrices were Tensors, so the matmul's node kept a tensor's version and
    # backward() freed it; PyTorch's nodes save no tensor: a second backward() works there.
    for lib in (torch, tg):
        functional = lib.nn.functional
        if case == "affine_grid":
            x = lib.tensor(np.arange(6.0).reshape(1, 2, 3), dtype=lib.float64,
                           requires_grad=True)
            y = functional.affine_grid(x, (1, 1, 2, 2), align_corners=False)
        else:
            x = lib.tensor(np.arange(6.0).reshape(1, 1, 2, 3), dtype=lib.float64,
                           requires_grad=True)
            y = functional.interpolate(x[0] if case == "linear" else x, scale_factor=2,
                                       mode=case)
        y.sum().backward()
        first = x.grad.numpy().copy()
        y.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_a_custom_forward_may_keep_an_attribute_named_like_a_builtin_nodes_saved_one():
    # Custom nodes hide the built-in nodes' `_saved_self`, `_saved_other`, ... (PyTorch's have
    # none), but as read-only properties: `ctx._saved_self = a` in forward raised.
    results = []
    for lib in (torch, tg):
        class Keep(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx._saved_self, ctx._saved_other, ctx._raw_saved_result = a, 3.0, None
                return a * 3

            @staticmethod
            def backward(ctx, g):
                return g * ctx._saved_other

        class Plain(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 1

            @staticmethod
            def backward(ctx, g):
                return g

        x = lib.ones(2, requires_grad=True)
        y = Keep.apply(x)
        y.sum().backward()
        assert y.grad_fn._saved_self is x
        assert not hasattr(Plain.apply(x).grad_fn, "_saved_self")
        results.append(x.grad.numpy())
    np.testing.assert_array_equal(results[1], results[0])


def test_backward_hooks_and_grad_fn_can_be_set_as_in_pytorch():
    # The merge made `_backward_hooks` and `_grad_fn` read-only properties: code that clears
    # a tensor's hooks with `t._backward_hooks = OrderedDict()` (as PyTorch allows) raised
    # AttributeError, and so did `y._grad_fn = None` (PyTorch's in-place detach).
    import collections

    results = []
    for lib in (torch, tg):
        x = lib.ones(2, requires_grad=True)
        x.register_hook(lambda g: g * 2)
        x._backward_hooks = collections.OrderedDict()
        (x * 1).sum().backward()
        cleared = x.grad.numpy().copy()
        x.grad = None
        x._backward_hooks = collections.OrderedDict([(0, lambda g: g * 3)])
        (x * 1).sum().backward()
        y = x * 2
        y._grad_fn = None
        with pytest.raises(RuntimeError, match="can be only set to None"):
            y._grad_fn = x.grad_fn or 1
        results.append((cleared, x.grad.numpy(), y.requires_grad, y.grad_fn))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_array_equal(ours, theirs)
