"""Extending autograd and saving memory, as the docs' tutorials do: a custom
autograd.Function (setup_context style, ctx.save_for_backward, needs_input_grad,
mark_non_differentiable, once_differentiable), gradcheck in float64, gradient checkpointing
with torch.utils.checkpoint, tensor hooks that clip gradients, retain_grad, and
register_full_backward_hook logging gradient norms."""

import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Function, gradcheck
from torch.autograd.function import once_differentiable
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(53)
rng = np.random.default_rng(53)


class LinearFunction(Function):
    @staticmethod
    def forward(input, weight, bias=None):
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, bias = inputs
        ctx.save_for_backward(input, weight, bias)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class SortedClamp(Function):
    @staticmethod
    def forward(ctx, x):
        values, idx = x.sort(dim=-1)
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return values.clamp(-1, 1), idx

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_values, grad_idx):
        idx, = ctx.saved_tensors
        return torch.zeros_like(grad_values).scatter(-1, idx, grad_values)


class MyLinear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        self.bias = nn.Parameter(torch.empty(n_out))

    def forward(self, x):
        return LinearFunction.apply(x, self.weight, self.bias)


inputs = (torch.randn(4, 3, dtype=torch.double, requires_grad=True),
          torch.randn(2, 3, dtype=torch.double, requires_grad=True),
          torch.randn(2, dtype=torch.double, requires_grad=True))
ok_linear = gradcheck(LinearFunction.apply, inputs, eps=1e-6, atol=1e-4)
ok_sort = gradcheck(lambda x: SortedClamp.apply(x)[0], (torch.tensor(rng.uniform(-0.9, 0.9, (3, 4)), requires_grad=True),))

blocks = [nn.Sequential(MyLinear(8, 8), nn.Tanh()) for _ in range(4)]
model = nn.Sequential(*blocks, nn.Linear(8, 1))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.4, tuple(p.shape)).astype(np.float32)))
grad_norms = []
model[0].register_full_backward_hook(lambda m, gin, gout: grad_norms.append(gout[0].norm().item()))
X = torch.tensor(rng.normal(size=(16, 8)), dtype=torch.float32)
Y = torch.tensor(rng.normal(size=(16, 1)), dtype=torch.float32)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
losses = []
for step in range(8):
    x = X.clone().requires_grad_(True)
    h0 = checkpoint(model[0], x, use_reentrant=False)
    h0.retain_grad()
    h0.register_hook(lambda g: g.clamp(-0.01, 0.01))
    h = checkpoint_sequential(model[1:4], 2, h0, use_reentrant=False)
    values, order = SortedClamp.apply(h)
    out = model[4](values)
    loss = ((out - Y) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
assert not order.requires_grad and h0.grad is not None and h.grad is None
result = [ok_linear, ok_sort, *grad_norms, x.grad.abs().sum().item(), h0.grad.abs().max().item()]
