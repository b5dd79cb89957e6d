"""Non-parametric tools on embeddings, as in course notebooks: a kNN classifier with
torch.cdist and with torch.cosine_similarity (topk neighbours, torch.mode voting), binning a
feature with torch.histc and torch.bucketize (right=False/True) into one-hot bins, feature
clipping with torch.where and scalar arguments, and a single-head attention written with
torch.einsum, trained end to end on the binned features."""

import torch
import torch.nn.functional as F

torch.manual_seed(13)
n_train, n_test, dim = 120, 40, 6
centers = torch.randn(3, dim) * 2
y_train, y_test = torch.randint(0, 3, (n_train,)), torch.randint(0, 3, (n_test,))
x_train = centers[y_train] + torch.randn(n_train, dim)
x_test = centers[y_test] + torch.randn(n_test, dim)

d = torch.cdist(x_test, x_train)
knn_idx = d.topk(5, dim=1, largest=False).indices
vote = torch.mode(y_train[knn_idx], dim=1).values
acc_l2 = (vote == y_test).float().mean().item()
sim = F.cosine_similarity(x_test.unsqueeze(1), x_train.unsqueeze(0), dim=-1)
cos_vote = torch.mode(y_train[sim.topk(5, dim=1).indices], dim=1).values
acc_cos = (cos_vote == y_test).float().mean().item()
manhattan = torch.cdist(x_test, x_train, p=1).argmin(dim=1)
print(f"kNN l2 {acc_l2:.3f} cosine {acc_cos:.3f} 1-NN l1 {(y_train[manhattan] == y_test).float().mean():.3f}")
print(d.shape, d[0, :3], sim[0, :3])

feature = x_train[:, 0]
lo, hi = feature.min().item(), feature.max().item()
hist = torch.histc(feature, bins=8, min=lo, max=hi)
print(hist, hist.sum().item() == n_train)
boundaries = torch.linspace(lo, hi, 9)[1:-1]
codes_left = torch.bucketize(feature, boundaries)
codes_right = torch.bucketize(feature, boundaries, right=True)
print(torch.bincount(codes_left, minlength=8).tolist(), (codes_left != codes_right).sum().item())
clipped = torch.where(x_train.abs() > 2.5, 2.5 * torch.sign(x_train), x_train)
ramp = torch.where(x_train > 0, x_train, 0.0)
print(torch.where(feature > 0, 1, -1)[:8].tolist(), clipped.abs().max().item(), ramp.min().item())


def featurize(x):
    binned = torch.bucketize(x.clamp(lo, hi), boundaries)
    onehot = F.one_hot(binned, 8).float()
    return torch.cat([onehot, torch.where(x.abs() > 2.5, 2.5 * torch.sign(x), x).unsqueeze(-1)], dim=-1)


tokens_train, tokens_test = featurize(x_train), featurize(x_test)
width = tokens_train.shape[-1]
Wq, Wk, Wv = (torch.randn(width, 8, requires_grad=True) for _ in range(3))
pos = torch.zeros(dim, 8, requires_grad=True)
head = torch.nn.Linear(8, 3)
optimizer = torch.optim.Adam([Wq, Wk, Wv, pos, *head.parameters()], lr=0.02)


def attend(tokens):
    q = torch.einsum("bsf,fd->bsd", tokens, Wq) + pos
    k = torch.einsum("bsf,fd->bsd", tokens, Wk) + pos
    v = torch.einsum("bsf,fd->bsd", tokens, Wv)
    scores = torch.einsum("bqd,bkd->bqk", q, k) / 8 ** 0.5
    weights = scores.softmax(dim=-1)
    return head(torch.einsum("bqk,bkd->bqd", weights, v).mean(1)), weights


losses = []
for step in range(40):
    logits, _ = attend(tokens_train)
    loss = F.cross_entropy(logits, y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
with torch.no_grad():
    logits, weights = attend(tokens_test)
acc_attn = (logits.argmax(1) == y_test).float().mean().item()
print(f"attention loss {losses[-1]:.4f} acc {acc_attn:.3f}", weights.shape, torch.einsum("ii", weights[0]).item() > 0)
result = [acc_l2, acc_cos, acc_attn, hist.max().item(), d.mean().item(), sim.mean().item()]
