"""A Kaggle-style tabular classifier: categorical columns through nn.Embedding layers held in
an nn.ModuleDict (embedding size min(50, (n+1)//2)), continuous columns through BatchNorm1d,
a weighted, label-smoothed CrossEntropyLoss for imbalanced classes, random_split with a
seeded generator, DataLoader with drop_last, early stopping with
copy.deepcopy(model.state_dict()), and a final classification report from bincount."""

import copy

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(11)
N = 400
cardinalities = {"city": 12, "device": 4, "weekday": 7}
cats = {name: torch.randint(0, n, (N,)) for name, n in cardinalities.items()}
conts = torch.randn(N, 5) * torch.tensor([1.0, 10.0, 0.1, 3.0, 1.0]) + torch.tensor([0.0, 50.0, 1.0, 0.0, -2.0])
score = conts[:, 0] + (conts[:, 1] - 50) / 10 + (cats["device"] == 2).float() * 1.5 - (cats["weekday"] > 4).float()
y = torch.bucketize(score, torch.tensor([-0.5, 1.8]))  # 3 imbalanced classes
cat_matrix = torch.stack([cats[k] for k in cardinalities], dim=1)
dataset = TensorDataset(cat_matrix, conts, y)
train_ds, val_ds = random_split(dataset, [0.8, 0.2], generator=torch.Generator().manual_seed(42))


class TabularModel(nn.Module):
    def __init__(self, cardinalities, n_cont, n_classes, hidden=(32, 16), p=0.1):
        super().__init__()
        self.embeds = nn.ModuleDict({name: nn.Embedding(n, min(50, (n + 1) // 2)) for name, n in cardinalities.items()})
        self.emb_drop = nn.Dropout(p)
        self.bn_cont = nn.BatchNorm1d(n_cont)
        n_emb = sum(e.embedding_dim for e in self.embeds.values())
        layers, n_in = [], n_emb + n_cont
        for h in hidden:
            layers += [nn.Linear(n_in, h), nn.ReLU(inplace=True), nn.BatchNorm1d(h), nn.Dropout(p)]
            n_in = h
        layers.append(nn.Linear(n_in, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x_cat, x_cont):
        x = [emb(x_cat[:, i]) for i, emb in enumerate(self.embeds.values())]
        x = self.emb_drop(torch.cat(x, 1))
        return self.layers(torch.cat([x, self.bn_cont(x_cont)], 1))


train_y = y[train_ds.indices]
counts = torch.bincount(train_y, minlength=3).float()
class_weights = counts.sum() / (3 * counts)
print("class counts", counts.long().tolist(), "weights", [round(w, 3) for w in class_weights.tolist()])
model = TabularModel(cardinalities, 5, 3)
criterion = nn.CrossEntropyLoss(weight=class_weights, label_smoothing=0.05)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-5)
train_loader = DataLoader(train_ds, batch_size=32, shuffle=True, drop_last=True)
val_loader = DataLoader(val_ds, batch_size=64)
best_loss, best_state, patience, bad_epochs, losses = float("inf"), None, 3, 0, []
for epoch in range(12):
    model.train()
    for x_cat, x_cont, target in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(x_cat, x_cont), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    val_loss, n = 0.0, 0
    with torch.no_grad():
        for x_cat, x_cont, target in val_loader:
            val_loss += criterion(model(x_cat, x_cont), target).item() * len(target)
            n += len(target)
    val_loss /= n
    if val_loss < best_loss - 1e-4:
        best_loss, best_state, bad_epochs = val_loss, copy.deepcopy(model.state_dict()), 0
    else:
        bad_epochs += 1
    print(f"epoch {epoch:2d} val_loss {val_loss:.4f} bad {bad_epochs}")
    if bad_epochs >= patience:
        print("early stopping")
        break

model.load_state_dict(best_state)
model.eval()
with torch.no_grad():
    preds = torch.cat([model(c, x).argmax(1) for c, x, _ in val_loader])
    truth = torch.cat([t for _, _, t in val_loader])
cm = torch.bincount(truth * 3 + preds, minlength=9).view(3, 3)
precision = cm.diag() / cm.sum(0).clamp(min=1)
recall = cm.diag() / cm.sum(1).clamp(min=1)
f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-8)
print("confusion", cm.tolist())
print("macro f1", round(f1.mean().item(), 4), "keys", list(best_state)[:4])
result = [best_loss, *f1.tolist(), model.bn_cont.running_mean.sum().item(), len(losses)]
