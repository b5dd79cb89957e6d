"""Model surgery a course notebook walks through: model.apply(init_fn), named_modules
filtering, forward hooks collecting features, torch.nn.utils.prune (l1_unstructured,
global_unstructured, remove), parametrizations.weight_norm and orthogonal, then torch.save of
the whole training state (model, optimizer, scheduler, epoch) and resuming from it."""

import io

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune
from torch.nn.utils import parametrizations, parametrize

torch.manual_seed(13)
rng = np.random.default_rng(13)
X = torch.tensor(rng.normal(size=(40, 6)), dtype=torch.float32)
y = torch.tensor((rng.normal(size=(40, 6)) @ rng.normal(size=6) > 0).astype(np.int64))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 12)
        self.fc2 = nn.Linear(12, 12)
        self.fc3 = nn.Linear(12, 2)

    def forward(self, x):
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


def init_weights(m):
    if type(m) == nn.Linear:
        m.weight.data.copy_(torch.from_numpy(rng.normal(0, 0.4, tuple(m.weight.shape)).astype(np.float32)))
        m.bias.data.fill_(0.01)


model = Net()
model.apply(init_weights)
linear_names = [name for name, m in model.named_modules() if isinstance(m, nn.Linear)]
features = {}


def get_activation(name):
    def hook(model, input, output):
        features[name] = output.detach()
    return hook


handles = [getattr(model, n).register_forward_hook(get_activation(n)) for n in linear_names]
prune.l1_unstructured(model.fc1, name="weight", amount=0.3)
prune.global_unstructured([(model.fc1, "bias"), (model.fc2, "weight")],
                          pruning_method=prune.L1Unstructured, amount=0.25)
assert hasattr(model.fc1, "weight_orig") and hasattr(model.fc1, "weight_mask")
parametrizations.orthogonal(model.fc3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
losses = []


def train(epochs):
    for epoch in range(epochs):
        loss = F.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())


train(4)
buffer = io.BytesIO()
torch.save({"epoch": 4, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "scheduler_state_dict": scheduler.state_dict(), "loss": losses[-1]}, buffer)
train(3)
after_continuing = model(X).sum().item()
buffer.seek(0)
checkpoint = torch.load(buffer, weights_only=True)
model.load_state_dict(checkpoint["model_state_dict"])
optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
del losses[checkpoint["epoch"]:]
train(3)
assert abs(model(X).sum().item() - after_continuing) < 1e-4
sparsity = float((model.fc1.weight == 0).sum()) / model.fc1.weight.nelement()
for module, name in ((model.fc1, "weight"), (model.fc1, "bias"), (model.fc2, "weight")):
    prune.remove(module, name)
q = model.fc3.weight
orth_err = (q @ q.T - torch.eye(2)).abs().max().item()
wn = parametrizations.weight_norm(nn.Linear(3, 2))
print(sorted(n for n, _ in model.named_parameters()))
print(sorted(dict(wn.named_parameters())), parametrize.is_parametrized(wn, "weight"))
for h in handles:
    h.remove()
model(X)
names = list(model.state_dict().keys())
result = [sparsity, orth_err < 1e-5, features["fc2"].abs().sum().item(), scheduler.get_last_lr()[0],
          wn.parametrizations.weight.original0.shape[0]]
