"""DeepSets and a message-passing graph network on variable-size sets stored flat with a
`batch` index vector (PyTorch Geometric's layout, written with plain PyTorch): segment sums
with index_add_, means with scatter_reduce(reduce="mean"), maxima with scatter_reduce
("amax", include_self=False), counts with bincount, edge messages gathered by index."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)


def make_batch(n_sets):
    sizes = torch.randint(2, 7, (n_sets,))
    batch = torch.repeat_interleave(torch.arange(n_sets), sizes)
    x = torch.randn(int(sizes.sum()), 3)
    y = torch.zeros(n_sets).index_add_(0, batch, x[:, 0]) / sizes  # target: set mean of feature 0
    y = y + torch.zeros(n_sets).scatter_reduce(0, batch, x[:, 1], reduce="amax", include_self=False)
    return x, batch, y


def segment_mean(src, index, n):
    out = torch.zeros(n, src.size(1)).scatter_reduce(0, index.unsqueeze(1).expand_as(src), src, reduce="mean", include_self=False)
    return out


class DeepSet(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.phi = nn.Sequential(nn.Linear(3, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.rho = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x, batch, n_sets):
        h = self.phi(x)
        mean = segment_mean(h, batch, n_sets)
        idx = batch.view(-1, 1).expand(-1, h.size(1))
        mx = torch.full((n_sets, h.size(1)), float("-inf")).scatter_reduce(0, idx, h, reduce="amax")
        return self.rho(torch.cat([mean, mx], dim=1)).squeeze(-1)


class GraphLayer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.msg = nn.Linear(2 * dim, dim)
        self.upd = nn.GRUCell(dim, dim)

    def forward(self, h, edge_index):
        src, dst = edge_index
        m = F.relu(self.msg(torch.cat([h[src], h[dst]], dim=-1)))
        deg = torch.bincount(dst, minlength=h.size(0)).clamp(min=1).unsqueeze(1)
        agg = torch.zeros_like(h).index_add(0, dst, m) / deg
        return self.upd(agg, h)


def fully_connected_edges(batch):
    same = batch.unsqueeze(0) == batch.unsqueeze(1)
    same.fill_diagonal_(False)
    return same.nonzero().t()


x, batch, y = make_batch(24)
n_sets = 24
edge_index = fully_connected_edges(batch)
deepset = DeepSet()
embed = nn.Linear(3, 16)
gnn = nn.ModuleList([GraphLayer(16) for _ in range(2)])
readout = nn.Linear(16, 1)
opt = torch.optim.Adam(list(deepset.parameters()) + list(embed.parameters()) + list(gnn.parameters()) + list(readout.parameters()), lr=5e-3)
losses = []
for step in range(30):
    pred_ds = deepset(x, batch, n_sets)
    h = embed(x)
    for layer in gnn:
        h = layer(h, edge_index)
    pooled = torch.zeros(n_sets, 16).index_add_(0, batch, h) / torch.bincount(batch).unsqueeze(1)
    pred_gnn = readout(pooled).squeeze(-1)
    loss = F.mse_loss(pred_ds, y) + F.mse_loss(pred_gnn, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
    if step % 10 == 0:
        print(f"step {step:2d} loss {loss.item():.4f}")

# permutation invariance: shuffle the elements within the flat layout
perm = torch.randperm(x.size(0))
with torch.no_grad():
    a = deepset(x, batch, n_sets)
    b = deepset(x[perm], batch[perm], n_sets)
    summed = torch.zeros(n_sets, 3).scatter_add_(0, batch.unsqueeze(1).expand(-1, 3), x)
    prod = torch.ones(n_sets).scatter_reduce_(0, batch, x[:, 2], reduce="prod")
print("invariant", torch.allclose(a, b, atol=1e-5), "edges", edge_index.shape[1])
result = [F.mse_loss(a, y).item(), summed.sum().item(), prod.sum().item(), edge_index.shape[1]]
