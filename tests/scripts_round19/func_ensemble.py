"""torch.func as its tutorials use it: model ensembling with stack_module_state + vmap over
functional_call, per-sample gradients with vmap(grad(...)), jacrev/jacfwd/hessian of a small
function, and torch.autograd.functional.hvp; then ensemble training with the stacked params."""

import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, hessian, jacfwd, jacrev, stack_module_state, vmap

torch.manual_seed(41)
rng = np.random.default_rng(41)


class SimpleMLP(nn.Module):
    def __init__(self):
        super(SimpleMLP, self).__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


num_models = 3
models = [SimpleMLP() for _ in range(num_models)]
for m in models:
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(rng.normal(0, 0.5, tuple(p.shape)).astype(np.float32)))
data = torch.tensor(rng.normal(size=(16, 4)), dtype=torch.float32)
targets = torch.from_numpy(rng.integers(0, 3, 16))
params, buffers = stack_module_state(models)
base_model = copy.deepcopy(models[0]).to("meta")


def fmodel(params, buffers, x):
    return functional_call(base_model, (params, buffers), (x,))


predictions = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, data)
expected = torch.stack([m(data) for m in models])
assert torch.allclose(predictions, expected, atol=1e-6)
losses = []


def compute_loss(params, buffers, sample, target):
    out = functional_call(models[0], (params, buffers), (sample.unsqueeze(0),))
    return F.cross_entropy(out, target.unsqueeze(0))


p0 = {k: v.detach() for k, v in models[0].named_parameters()}
b0 = {k: v.detach() for k, v in models[0].named_buffers()}
per_sample = vmap(grad(compute_loss), in_dims=(None, None, 0, 0))(p0, b0, data, targets)
total = torch.autograd.grad(F.cross_entropy(models[0](data), targets, reduction="sum"),
                            list(models[0].parameters()))
gap = max((per_sample[k].sum(0) - g).abs().max().item() for k, g in zip(p0, total))

leaves = {k: v.detach().clone().requires_grad_() for k, v in params.items()}
opt = torch.optim.Adam(leaves.values(), lr=0.02)
for step in range(8):
    logits = vmap(fmodel, in_dims=(0, 0, None))(leaves, buffers, data)
    loss = F.cross_entropy(logits.reshape(-1, 3), targets.repeat(num_models))
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())


def f(x):
    return (x.sin() * x.pow(2)).sum() + x.prod()


x0 = torch.tensor([0.3, -1.2, 0.7])
jr, jf, h = jacrev(f)(x0), jacfwd(f)(x0), hessian(f)(x0)
vec = torch.tensor([1.0, 0.5, -2.0])
_, hv = torch.autograd.functional.hvp(f, x0, vec)
jac_mat = jacrev(lambda v: models[1](v))(data[0])
batched_jac = vmap(jacrev(models[2]))(data[:4])
result = [gap, *jr.tolist(), (jr - jf).abs().max().item(), *h.flatten().tolist(), *hv.tolist(),
          jac_mat.sum().item(), tuple(batched_jac.shape) == (4, 3, 4), batched_jac.abs().sum().item()]
