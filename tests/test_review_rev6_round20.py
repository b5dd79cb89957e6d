"""Review (session 26, rev6): the tools merge (GradientEdge, gradcheck's forward check,
saved_tensors_hooks) against PyTorch 2.13."""

import numpy as np

import tinygrad_np as tg


def test_tensor_backward_takes_gradient_edges():
    # PyTorch: y.backward(inputs=[get_gradient_edge(x)]) fills x.grad (a lone edge too)
    for wrap in (list, tuple, lambda e: e[0]):
        x = tg.tensor([1.0, 2.0], requires_grad=True)
        edge = tg.autograd.graph.get_gradient_edge(x)
        (x * x).sum().backward(inputs=wrap([edge]))
        np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_check_forward_ad_skips_detached_outputs():
    # PyTorch: True (an output not in the graph is not compared with central differences),
    # as the backward check already did here
    x = tg.linspace(-1.3, 1.7, 4, dtype=tg.float64).requires_grad_()
    for backward in (True, False):
        assert tg.autograd.gradcheck(lambda x: (x.sin(), x.detach()), [x],
                                     check_forward_ad=True, check_backward_ad=backward)


def test_saved_tensors_hooks_packing_a_copy_allows_in_place_changes():
    # PyTorch: a pack_hook that copies (clone, a float16 copy) frees the saved value from the
    # in-place check: backward uses the copy (cos of the old values); packing the tensor
    # itself keeps the check here (PyTorch would use the new values)
    pairs = [(lambda t: t.clone(), lambda p: p),
             (lambda t: (t.dtype, t.double()), lambda p: p[1].to(p[0])),
             (lambda t: t.detach().numpy().copy(), tg.from_numpy)]
    for pack, unpack in pairs:
        x = tg.tensor([1.0, 2.0], requires_grad=True)
        with tg.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = x.sin()
        with tg.no_grad():
            x.mul_(2)
        y.sum().backward(retain_graph=True)
        np.testing.assert_allclose(x.grad.numpy(), np.cos([1.0, 2.0]), rtol=1e-6)
        y.sum().backward()
        try:  # the graph is still freed after a backward without retain_graph
            y.sum().backward()
        except RuntimeError as error:
            assert "second time" in str(error)
        else:
            raise AssertionError("a freed graph ran backward")
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x.sin()
    with tg.no_grad():
        x.mul_(2)
    try:
        y.sum().backward()
    except RuntimeError as error:
        assert "in-place" in str(error) or "inplace" in str(error)
    else:
        raise AssertionError("the tensor itself packed, changed in place: not refused")


def test_saved_tensors_hooks_pack_gets_the_output_in_the_graph():
    # PyTorch: an op that saves its result (exp) hands pack_hook a tensor that requires grad,
    # with the op's node as grad_fn
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    with tg.autograd.graph.saved_tensors_hooks(lambda t: seen.append(t) or t, lambda t: t):
        y = x.exp()
    assert [(t.requires_grad, t.grad_fn is y.grad_fn) for t in seen] == [(True, True)]
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)


def test_save_on_cpu_is_a_hooks_block():
    # PyTorch: save_on_cpu is saved_tensors_hooks: inside it an outer block's pack_hook is not
    # called, and disable_saved_tensors_hooks refuses it
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    log = []
    with tg.autograd.graph.saved_tensors_hooks(lambda t: log.append("p") or t,
                                               lambda t: log.append("u") or t):
        with tg.autograd.graph.save_on_cpu():
            y = x.sin()
        z = y.exp()
    z.sum().backward()
    assert log == ["p", "u"]
    np.testing.assert_allclose(x.grad.numpy(), np.exp(np.sin([1.0, 2.0])) * np.cos([1.0, 2.0]))
    try:
        with tg.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            with tg.autograd.graph.save_on_cpu():
                pass
    except RuntimeError as error:
        assert str(error) == "no hooks here"
    else:
        raise AssertionError("save_on_cpu opened inside disable_saved_tensors_hooks")


def test_node_prehook_returning_none_drops_the_gradient():
    # PyTorch: (None,) from grad_fn.register_prehook leaves that path out: x.grad is 3, the
    # other path's (it was 5 here: the None read as "unchanged")
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y, z = x * 2, x * 3
    y.grad_fn.register_prehook(lambda grads: (None,))
    (y + z).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
