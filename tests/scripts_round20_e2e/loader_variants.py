"""DataLoader forms: drop_last, batch_size=None, a BatchSampler, a custom collate_fn, a
seeded shuffle generator; Adadelta with ReduceLROnPlateau."""
import torch
import torch.nn as nn
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

torch.manual_seed(111)
torch.set_num_threads(1)

X = torch.randn(30, 4)
Y = X @ torch.tensor([0.5, -1.0, 2.0, 0.0]) + 0.3
data = TensorDataset(X, Y)


def collate(items):
    xs, ys = zip(*items)
    return torch.stack(xs) * 2, torch.stack(ys)


model = nn.Linear(4, 1)
opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
gen = torch.Generator().manual_seed(5)
loader = DataLoader(data, batch_size=8, shuffle=True, drop_last=True, generator=gen,
                    collate_fn=collate)
print("batches", len(loader))
for epoch in range(3):
    total = 0.0
    for x, y in loader:
        loss = nn.functional.mse_loss(model(x / 2).squeeze(1), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
        print(f"epoch {epoch} loss {loss.item():.6f}")
    sched.step(total)
    print(f"epoch {epoch} total {total:.5f} lr {opt.param_groups[0]['lr']}")

sampler = BatchSampler(RandomSampler(range(10)), batch_size=4, drop_last=False)
print("batch sampler", list(sampler))
single = DataLoader(data, batch_size=None, shuffle=True)
print("unbatched", [round(y.item(), 4) for _, y in list(single)[:4]])
by_sampler = DataLoader(data, batch_sampler=BatchSampler(RandomSampler(data), 7, True))
print("sampled", [tuple(x.shape) for x, _ in by_sampler])
