"""Review of session 27 (rev5): hash_tensor's dims, post-accumulate hooks' returns, typename,
torch.utils.dlpack after `import torch`."""

import numpy as np
import pytest

import tinygrad_np as tg


def test_hash_tensor_empty_dims_mean_all_and_repeats_are_refused():
    x = tg.arange(24.0).reshape(2, 3, 4) - 5.5
    whole = tg.hash_tensor(x)
    for dims in ((), []):  # (PyTorch: every dim, as dim=None)
        hashed = tg.hash_tensor(x, dims)
        assert hashed.shape == () and hashed.item() == whole.item()
    assert tg.hash_tensor(x, (), keepdim=True).shape == (1, 1, 1)
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        tg.hash_tensor(x, (0, -3))
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        tg.hash_tensor(tg.zeros(0, 3), ())


def test_post_accumulate_hook_returning_a_non_tensor_is_a_type_error():
    p = tg.ones(3, requires_grad=True)
    p.register_post_accumulate_grad_hook(lambda t: 0)
    with pytest.raises(TypeError, match="expected Variable, but hook returned 'int'"):
        (p * p).sum().backward()
    q = tg.ones(3, requires_grad=True)

    def named_hook(t):
        return t.grad

    q.register_post_accumulate_grad_hook(named_hook)
    with pytest.raises(RuntimeError, match="should return None \\(the hook 'named_hook'\\)"):
        (q * q).sum().backward()


def test_typename_of_a_module_object_is_its_name():
    assert tg.typename(np) == "numpy"  # (PyTorch's rule: __name__ when there is no __qualname__)
    assert tg.typename(np.zeros(2)) == "numpy.ndarray" and tg.typename(3) == "int"
    assert tg.typename(tg.nn.Parameter) == "tinygrad_np.nn.parameter.Parameter"


def test_utils_dlpack_is_loaded_and_a_consumed_capsule_is_refused():
    import tinygrad_np  # noqa: PLC0415

    a = tg.arange(4.0)
    capsule = tinygrad_np.utils.dlpack.to_dlpack(a)  # (no `import tinygrad_np.utils.dlpack`)
    b = tinygrad_np.utils.dlpack.from_dlpack(capsule)
    b[0] = 9.0
    assert a.tolist() == [9.0, 1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match="can be consumed only once"):
        tinygrad_np.utils.dlpack.from_dlpack(capsule)


def test_vmap_refuses_item_of_a_batched_tensor_only():
    batch, scale = tg.ones(2, 3), tg.tensor(2.0)
    out = tg.func.vmap(lambda row: row * scale.item())(batch)  # (unbatched: PyTorch's too)
    assert out.tolist() == [[2.0] * 3] * 2
    out = tg.func.vmap(lambda row: row.add(row, alpha=tg.tensor(2.0)))(batch)  # (the library's
    assert out.tolist() == [[3.0] * 3] * 2  # own .item() of a 0-d alpha)
    assert tg.func.vmap(lambda row: row.nan_to_num(tg.tensor(1.0)))(batch).shape == (2, 3)
    for batched in (lambda row: row.sum(), lambda row: row[0], lambda row: (row * 2).max()):
        with pytest.raises(RuntimeError, match=r"calling \.item\(\) on a Tensor"):
            tg.func.vmap(lambda row, f=batched: row * f(row).item())(batch)
    inner = tg.func.vmap(lambda a: tg.func.vmap(lambda b: b * scale.item())(a))(batch)
    assert inner.shape == (2, 3)


def test_linear_backward_of_a_batched_input_weight_is_one_2d_product(monkeypatch):
    from tinygrad_np.ops import linear  # noqa: PLC0415

    ranks, plain = [], linear.product

    def noted(a, b, *rest):
        ranks.append((np.ndim(a), np.ndim(b)))
        return plain(a, b, *rest)

    monkeypatch.setattr(linear, "product", noted)
    x = tg.randn(4, 5, 6, requires_grad=True)
    layer = tg.nn.Linear(6, 3)
    layer(x).sum().backward()
    assert ranks and set(ranks) <= {(2, 2), (3, 2)}, ranks  # (no batched weight gradient)
    assert x.grad.shape == (4, 5, 6)
    expected = np.broadcast_to(layer.weight.detach().numpy().sum(0), (4, 5, 6))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)


def test_full_median_sorts_stably_only_at_a_zero(monkeypatch):
    kinds, plain = [], np.sort

    def noted(a, *args, **kwargs):
        kinds.append(kwargs.get("kind"))
        return plain(a, *args, **kwargs)

    monkeypatch.setattr(np, "sort", noted)
    x = tg.arange(1.0, 2001.0).flip(0).requires_grad_()
    median = x.median()
    assert median.item() == 1000.0 and "stable" not in kinds  # (a selection: 20-50x faster)
    median.backward()
    assert x.grad.sum().item() == 1.0 and x.grad[1000].item() == 1.0
    zero = tg.tensor([-0.0, 0.0, 1.0]).median()  # -0.0 and 0.0 in their order, as before
    assert zero.item() == 0.0 and not np.signbit(zero.item())
    assert tg.tensor([3, 1, 2], dtype=tg.int8).median().dtype == tg.int8
