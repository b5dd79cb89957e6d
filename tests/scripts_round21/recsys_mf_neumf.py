"""d2l.ai chapter 21 style recommenders on a synthetic ratings matrix: matrix factorization
with user/item biases (MSE on observed ratings, RMSE evaluation via Subset splits), then
NeuMF (a GMF branch and an MLP branch over separate embeddings, concatenated) trained with
BCEWithLogitsLoss on implicit feedback with sampled negatives, evaluated by hit rate@k."""

import torch
from torch import nn
from torch.utils.data import DataLoader, Subset, TensorDataset

torch.manual_seed(21)
num_users, num_items, rank = 40, 30, 3
U, V = torch.randn(num_users, rank), torch.randn(num_items, rank)
full = (U @ V.T + 3).clamp(1, 5)
observed = torch.rand(num_users, num_items) < 0.3
users, items = observed.nonzero(as_tuple=True)
ratings = full[users, items] + 0.1 * torch.randn(len(users))
dataset = TensorDataset(users, items, ratings)
order = torch.randperm(len(dataset)).tolist()
cut = int(0.8 * len(order))
train_set, test_set = Subset(dataset, order[:cut]), Subset(dataset, order[cut:])
print(len(train_set), len(test_set), train_set[0][2].dtype)


class MF(nn.Module):
    def __init__(self, num_factors, num_users, num_items):
        super().__init__()
        self.P = nn.Embedding(num_users, num_factors)
        self.Q = nn.Embedding(num_items, num_factors)
        self.user_bias = nn.Embedding(num_users, 1)
        self.item_bias = nn.Embedding(num_items, 1)

    def forward(self, user_id, item_id):
        P_u, Q_i = self.P(user_id), self.Q(item_id)
        b_u, b_i = self.user_bias(user_id), self.item_bias(item_id)
        outputs = (P_u * Q_i).sum(axis=1) + torch.squeeze(b_u) + torch.squeeze(b_i)
        return outputs.flatten()


def evaluator(net, loader):
    se, n = 0.0, 0
    with torch.no_grad():
        for u, i, r in loader:
            se += ((net(u, i) - r) ** 2).sum().item()
            n += len(r)
    return (se / n) ** 0.5


mf = MF(8, num_users, num_items)
for emb in mf.children():
    nn.init.normal_(emb.weight, std=0.01)
optimizer = torch.optim.Adam(mf.parameters(), lr=0.02, weight_decay=1e-5)
train_iter = DataLoader(train_set, batch_size=32, shuffle=True)
test_iter = DataLoader(test_set, batch_size=64)
losses = []
for epoch in range(15):
    for u, i, r in train_iter:
        loss = nn.MSELoss()(mf(u, i), r)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    losses.append(loss.item())
rmse = evaluator(mf, test_iter)
print(f"MF test RMSE {rmse:.3f}")


class NeuMF(nn.Module):
    def __init__(self, num_factors, num_users, num_items, nums_hiddens):
        super().__init__()
        self.P, self.Q = nn.Embedding(num_users, num_factors), nn.Embedding(num_items, num_factors)
        self.U, self.V = nn.Embedding(num_users, num_factors), nn.Embedding(num_items, num_factors)
        layers, width = [], 2 * num_factors
        for h in nums_hiddens:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.mlp = nn.Sequential(*layers)
        self.prediction_layer = nn.Linear(num_factors + width, 1, bias=False)

    def forward(self, user_id, item_id):
        gmf = self.P(user_id) * self.Q(item_id)
        mlp = self.mlp(torch.cat([self.U(user_id), self.V(item_id)], dim=1))
        return self.prediction_layer(torch.cat((gmf, mlp), dim=1)).squeeze(-1)


implicit = observed & (full > 3)
pos_u, pos_i = implicit.nonzero(as_tuple=True)
neumf = NeuMF(6, num_users, num_items, [16, 8])
optimizer = torch.optim.Adam(neumf.parameters(), lr=0.01)
criterion = nn.BCEWithLogitsLoss()
for epoch in range(10):
    neg_i = torch.randint(0, num_items, pos_i.shape)
    is_neg = ~implicit[pos_u, neg_i]
    u = torch.cat([pos_u, pos_u[is_neg]])
    i = torch.cat([pos_i, neg_i[is_neg]])
    labels = torch.cat([torch.ones(len(pos_u)), torch.zeros(int(is_neg.sum()))])
    for idx in torch.randperm(len(u)).split(64):
        loss = criterion(neumf(u[idx], i[idx]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    losses.append(loss.item())

with torch.no_grad():
    scores = neumf(torch.arange(num_users).repeat_interleave(num_items), torch.arange(num_items).repeat(num_users))
    scores = scores.view(num_users, num_items).masked_fill(observed & ~implicit, -float("inf"))
    top = scores.topk(5, dim=1).indices
hits = implicit.gather(1, top).any(dim=1).float().mean().item()
print(f"NeuMF loss {losses[-1]:.4f} hit@5 {hits:.3f}", top[0].tolist())
result = [rmse, hits, mf.user_bias.weight.mean().item()]
