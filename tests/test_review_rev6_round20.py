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
