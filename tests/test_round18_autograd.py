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
