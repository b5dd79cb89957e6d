"""Review 4 (session 25): fixes to the merged paths.py / rng / factories changes."""

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
