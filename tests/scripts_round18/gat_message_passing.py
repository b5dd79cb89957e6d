"""Message passing without a graph library: a graph attention layer (GAT) with the edge
softmax written with scatter_reduce('amax') and index_add_, a GraphSAGE mean aggregator
with scatter_reduce('mean') and bincount degrees, node classification on a two-community
graph with full-batch Adam and masked accuracy."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)
rng = np.random.default_rng(19)
N, n_feat, n_class = 30, 6, 2
labels_np = (np.arange(N) >= N // 2).astype(np.int64)
src, dst = [], []
for i in range(N):
    for j in range(N):
        if i != j and rng.random() < (0.3 if labels_np[i] == labels_np[j] else 0.03):
            src.append(i)
            dst.append(j)
edge_index = torch.tensor([src + list(range(N)), dst + list(range(N))])
x = torch.from_numpy(rng.normal(labels_np[:, None] * 0.8, 1.0, (N, n_feat)).astype(np.float32))
y = torch.from_numpy(labels_np)
train_mask = torch.zeros(N, dtype=torch.bool)
train_mask[::3] = True


class GATLayer(nn.Module):
    def __init__(self, in_dim, out_dim, heads=2, negative_slope=0.2):
        super().__init__()
        self.heads, self.out_dim = heads, out_dim
        self.lin = nn.Linear(in_dim, heads * out_dim, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, heads, out_dim))
        self.att_dst = nn.Parameter(torch.empty(1, heads, out_dim))
        self.bias = nn.Parameter(torch.zeros(heads * out_dim))
        self.negative_slope = negative_slope

    def forward(self, x, edge_index):
        s, d = edge_index
        h = self.lin(x).view(-1, self.heads, self.out_dim)
        alpha_src = (h * self.att_src).sum(dim=-1)
        alpha_dst = (h * self.att_dst).sum(dim=-1)
        e = F.leaky_relu(alpha_src[s] + alpha_dst[d], self.negative_slope)
        e_max = torch.zeros(x.size(0), self.heads).scatter_reduce(
            0, d.unsqueeze(-1).expand_as(e), e, reduce="amax", include_self=False)
        e = (e - e_max[d]).exp()
        denom = torch.zeros(x.size(0), self.heads).index_add_(0, d, e)
        alpha = e / (denom[d] + 1e-16)
        out = torch.zeros_like(h).index_add_(0, d, h[s] * alpha.unsqueeze(-1))
        return out.reshape(-1, self.heads * self.out_dim) + self.bias, alpha


class SAGELayer(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.lin_self = nn.Linear(in_dim, out_dim)
        self.lin_neigh = nn.Linear(in_dim, out_dim, bias=False)

    def forward(self, x, edge_index):
        s, d = edge_index
        agg = torch.zeros_like(x).scatter_reduce(0, d.unsqueeze(-1).expand(-1, x.size(1)), x[s],
                                                 reduce="mean", include_self=False)
        return self.lin_self(x) + self.lin_neigh(agg)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.gat = GATLayer(n_feat, 4)
        self.sage = SAGELayer(8, n_class)

    def forward(self, x, edge_index):
        h, alpha = self.gat(x, edge_index)
        return self.sage(F.elu(h), edge_index), alpha


model = Net()
with torch.no_grad():
    for name, p in sorted(model.named_parameters()):
        p.copy_(torch.from_numpy(rng.normal(0, 0.4, tuple(p.shape)).astype(np.float32)))
optimizer = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=5e-4)
degree = torch.bincount(edge_index[1], minlength=N)
losses = []
for epoch in range(30):
    model.train()
    optimizer.zero_grad()
    out, alpha = model(x, edge_index)
    loss = F.cross_entropy(out[train_mask], y[train_mask])
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
model.eval()
with torch.no_grad():
    out, alpha = model(x, edge_index)
    pred = out.argmax(dim=1)
    test_acc = (pred[~train_mask] == y[~train_mask]).sum().item() / int((~train_mask).sum())
    alpha_sums = torch.zeros(N, 2).index_add_(0, edge_index[1], alpha)
assert torch.allclose(alpha_sums, torch.ones(N, 2), atol=1e-5)
result = [test_acc, degree.float().mean().item(), alpha.max().item(), out.std().item()]
