"""A Dataset drawing augmentation noise with torch.rand in DataLoader workers
(num_workers=2, persistent_workers): each worker's seed is base_seed + worker id."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset, get_worker_info


class Noisy(Dataset):
    def __init__(self, n):
        self.x = torch.linspace(-1, 1, n).unsqueeze(1)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        info = get_worker_info()
        seed = -1 if info is None else info.seed % 100000
        return self.x[i] + 0.1 * torch.rand(1), self.x[i] * 2, seed


def main():
    torch.manual_seed(13)
    torch.set_num_threads(1)
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(Noisy(24), batch_size=6, shuffle=True, num_workers=2,
                        persistent_workers=True)
    for epoch in range(3):
        for step, (xb, yb, seeds) in enumerate(loader):
            loss = nn.functional.mse_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            print(f"epoch {epoch} step {step} loss {loss.item():.6f} seeds {seeds.tolist()}")
    plain = DataLoader(Noisy(8), batch_size=4, num_workers=2)
    for xb, _, seeds in plain:
        print("plain", [f"{v:.6f}" for v in xb.squeeze(1).tolist()], seeds.tolist())
    print("weight", f"{model.weight.item():.6f}", f"{model.bias.item():.6f}")


if __name__ == "__main__":
    main()
