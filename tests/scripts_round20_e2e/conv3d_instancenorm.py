"""A Conv3d on small volumes with InstanceNorm3d(affine) and Adagrad."""
import torch
import torch.nn as nn

torch.manual_seed(31)
torch.set_num_threads(1)

net = nn.Sequential(
    nn.Conv3d(1, 4, 3, padding=1), nn.InstanceNorm3d(4, affine=True), nn.ReLU(),
    nn.Conv3d(4, 2, 2, stride=2), nn.Flatten(), nn.Linear(2 * 2 * 2 * 2, 2),
)
print("conv3d weight", net[0].weight[0, 0, 0])
print("conv3d bias", net[3].bias)
opt = torch.optim.Adagrad(net.parameters(), lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

for step in range(8):
    y = torch.randint(0, 2, (6,))
    x = torch.randn(6, 1, 4, 4, 4) + y.view(-1, 1, 1, 1, 1).float()
    loss = criterion(net(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")
print("in weight", net[1].weight.detach())
print(f"{loss:.6f}", loss.item())
