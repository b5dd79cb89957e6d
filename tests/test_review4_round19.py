"""Review 4 (session 25): fixes to the merged paths.py / rng / factories changes."""

import pytest

import tinygrad_np as tg


def test_grad_runs_no_hook_off_the_path():
    # PyTorch's engine never reaches a node or leaf off the path to the inputs: their hooks
    # (tensor hooks, grad_fn pre-hooks, a leaf's hooks) do not run.
    log = []
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    x.register_hook(lambda g: log.append("x"))
    a = x * 2
    a.register_hook(lambda g: log.append("a"))
    a.grad_fn.register_prehook(lambda g: log.append("pre"))
    b = (a + w + x).sum()
    assert tg.autograd.grad(b, w)[0].tolist() == [1.0, 1.0]
    b2 = (a * w).sum()
    b2.backward(inputs=[w])
    assert log == [] and x.grad is None
    # an input's own hook still runs, and may replace its gradient
    h = x * 2
    h.register_hook(lambda g: g * 10)
    assert tg.autograd.grad((h * w).sum(), h)[0].tolist() == [30.0, 40.0]


def test_grad_output_off_the_path_runs_no_hook():
    log = []
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    y = (x * 3).sum()
    y.register_hook(lambda g: log.append("y"))
    g = tg.autograd.grad([y, (w * w).sum()], w)[0]
    assert g.tolist() == [6.0, 8.0] and log == []


def test_whole_backward_after_the_reach_filter():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_fused_multiply_add_short_cut_for_exact_products(monkeypatch):
    import numpy as np

    from tinygrad_np import rng
    index = np.arange(1000, dtype=np.float64)
    cases = [(0.5, 3.1), (-0.125, -0.0), (2.0 ** -1070, 0.0), (2.0 ** 1014, 1e308), (3.0, -1500.0)]
    slow = [rng.fused_multiply_add(a, index, c) for a, c in cases]
    with monkeypatch.context() as patch:  # arange's usual steps: no Dekker split, no np.where
        patch.setattr(rng.np, "where", None)
        fast = [rng.fused_multiply_add(a, index, c, 1000) for a, c in cases]
    for x, y in zip(slow, fast):
        assert np.array_equal(x.view(np.int64), y.view(np.int64))
    values = rng.fused_multiply_add(0.1, index, 0.3, 1000)  # 0.1: 53 bits, the exact sum
    assert np.array_equal(values, rng.fused_multiply_add(0.1, index, 0.3))
    assert tg.arange(0, 100, 0.5, dtype=tg.float32).tolist() == [i / 2 for i in range(200)]


def test_leading_to_on_a_diamond():
    from tinygrad_np.paths import leading_to
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor(2.0, requires_grad=True)
    a = x * 2  # off the path to w
    b = a * w
    c = (b + a.exp()).sum()
    needed, reach = leading_to([c], [w])
    assert needed == {b.grad_fn, c.grad_fn, c.grad_fn.parents[0]}
    assert a.grad_fn not in needed and id(x) not in reach and id(w) in reach
    assert tg.autograd.grad(c, w)[0].item() == (a * 1).sum().item()


def test_half_fill_values_round_through_float32():
    # PyTorch's Half(double) goes through float: 1 + 2**-11 + 2**-40 becomes 1 + 2**-11 in
    # float32, then the tie rounds to even: 1.0 (a single rounding gives 1 + 2**-10)
    v = 1 + 2**-11 + 2**-40
    h = tg.ones(3, dtype=tg.float16)
    assert tg.full((2,), v, dtype=tg.float16).tolist() == [1.0, 1.0]
    assert tg.zeros(2, dtype=tg.float16).fill_(v).tolist() == [1.0, 1.0]
    assert h.masked_fill(tg.tensor([True, False, True]), v).tolist() == [1.0, 1.0, 1.0]
    assert tg.full_like(h, v).tolist() == [1.0] * 3 and h.clamp(min=v).tolist() == [1.0] * 3
    assert tg.full((1,), 0.1, dtype=tg.float32).item() == tg.tensor(0.1).item()


def test_autograd_backward_of_a_retained_input_counts_once():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a = x * 3
    a.retain_grad()
    tg.autograd.backward([(a * 2).sum(), (a * 3).sum()], inputs=[a])
    assert a.grad.tolist() == [5.0, 5.0] and x.grad is None
    b = x * 3
    tg.autograd.backward([(b * 2).sum(), (b * 3).sum()], inputs=[b])
    assert b.grad.tolist() == [5.0, 5.0]


def test_bernoulli_with_a_tensor_p_fills_a_view_in_memory_order():
    # PyTorch's bernoulli_(p tensor) draws one number per element of the view's memory, in
    # order, as for a number p (values checked against torch 2.13, seed 0)
    tg.manual_seed(0)
    w = tg.zeros(2, 3)
    w.t().bernoulli_(tg.full((3, 2), 0.5))
    tg.manual_seed(0)
    v = tg.zeros(2, 3)
    v.bernoulli_(tg.full((2, 3), 0.5))
    assert w.tolist() == v.tolist()
    tg.manual_seed(0)
    u = tg.zeros(2, 3)
    u.t().bernoulli_(0.5)  # (a number p: float64 draws, a float32 p's are float32)
    tg.manual_seed(0)
    assert u.tolist() == tg.zeros(2, 3).bernoulli_(0.5).tolist()


def test_new_tensor_of_an_array_is_one_private_copy():
    import numpy as np
    a = np.arange(3.0)
    x = tg.zeros(2, dtype=tg.float32)
    t = x.new_tensor(a)
    a[0] = 9.0
    assert t.tolist() == [0.0, 1.0, 2.0] and t.dtype == tg.float32
    assert not np.shares_memory(t.numpy(), a)
    with pytest.warns(UserWarning, match="copy construct"):
        u = x.new_tensor(t)
    t[0] = 5.0
    assert u.tolist() == [0.0, 1.0, 2.0]


def test_normal_and_trunc_normal_of_a_view_share_one_draw_order():
    # (values from torch 2.13, seed 0: a view is drawn in its memory order, one at a time)
    tg.manual_seed(0)
    w = tg.zeros(4, 6)
    tg.nn.init.trunc_normal_(w.t(), 0, 1, -0.5, 2)
    expected = [1.5409960746765137, -0.293428897857666, 0.06271883100271225, 0.5684312582015991]
    assert w.flatten()[:4].tolist() == pytest.approx(expected, abs=1e-7)
    tg.manual_seed(0)
    w = tg.zeros(4, 6)
    tg.nn.init.normal_(w.t())
    expected[2] = -2.1787893772125244
    assert w.flatten()[:4].tolist() == pytest.approx(expected, abs=1e-7)
