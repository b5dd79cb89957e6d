"""A temporal convolutional network (TCN) forecasting a noisy sine: causal dilated Conv1d
blocks with weight_norm (the old torch.nn.utils spelling and the parametrizations one),
Chomp1d, residual 1x1 downsampling, windowed Dataset, HuberLoss and gradient clipping; then
a GRU baseline with a Conv1d front end and padding='same'."""

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils import weight_norm
from torch.nn.utils.parametrizations import weight_norm as param_weight_norm
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(1111)
rng = np.random.default_rng(16)
t = np.arange(400, dtype=np.float32)
series = (np.sin(t * 0.07) + 0.5 * np.sin(t * 0.021) + rng.normal(0, 0.1, 400)).astype(np.float32)


class WindowDataset(Dataset):
    def __init__(self, series, window=24, horizon=1):
        self.series, self.window, self.horizon = torch.from_numpy(series), window, horizon

    def __len__(self):
        return len(self.series) - self.window - self.horizon + 1

    def __getitem__(self, i):
        x = self.series[i:i + self.window].unsqueeze(0)
        y = self.series[i + self.window:i + self.window + self.horizon]
        return x, y


class Chomp1d(nn.Module):
    def __init__(self, chomp_size):
        super(Chomp1d, self).__init__()
        self.chomp_size = chomp_size

    def forward(self, x):
        return x[:, :, :-self.chomp_size].contiguous()


class TemporalBlock(nn.Module):
    def __init__(self, n_inputs, n_outputs, kernel_size, stride, dilation, padding, new_style):
        super(TemporalBlock, self).__init__()
        wn = param_weight_norm if new_style else weight_norm
        self.conv1 = wn(nn.Conv1d(n_inputs, n_outputs, kernel_size, stride=stride, padding=padding, dilation=dilation))
        self.chomp1 = Chomp1d(padding)
        self.relu1 = nn.ReLU()
        self.conv2 = wn(nn.Conv1d(n_outputs, n_outputs, kernel_size, stride=stride, padding=padding, dilation=dilation))
        self.chomp2 = Chomp1d(padding)
        self.relu2 = nn.ReLU()
        self.net = nn.Sequential(self.conv1, self.chomp1, self.relu1, self.conv2, self.chomp2, self.relu2)
        self.downsample = nn.Conv1d(n_inputs, n_outputs, 1) if n_inputs != n_outputs else None
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.net(x)
        res = x if self.downsample is None else self.downsample(x)
        return self.relu(out + res)


class TCN(nn.Module):
    def __init__(self, num_channels=(8, 8), kernel_size=3):
        super(TCN, self).__init__()
        layers = []
        for i in range(len(num_channels)):
            dilation_size = 2 ** i
            in_channels = 1 if i == 0 else num_channels[i - 1]
            layers += [TemporalBlock(in_channels, num_channels[i], kernel_size, stride=1, dilation=dilation_size,
                                     padding=(kernel_size - 1) * dilation_size, new_style=i % 2 == 1)]
        self.network = nn.Sequential(*layers)
        self.linear = nn.Linear(num_channels[-1], 1)

    def forward(self, x):
        return self.linear(self.network(x)[:, :, -1])


class ConvGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 6, kernel_size=5, padding="same")
        self.gru = nn.GRU(6, 12, num_layers=1, batch_first=True)
        self.head = nn.Linear(12, 1)

    def forward(self, x):
        h = torch.relu(self.conv(x)).permute(0, 2, 1)
        out, h_n = self.gru(h)
        return self.head(h_n[-1])


def reinit(model, seed):
    g = np.random.default_rng(seed)
    state = model.state_dict()
    for k in sorted(state):
        state[k] = torch.from_numpy(g.normal(0, 0.2, tuple(state[k].shape)).astype(np.float32))
        if k.endswith(("weight_g", "original0")):
            state[k] = state[k].abs() + 0.5
    model.load_state_dict(state)


train_loader = DataLoader(WindowDataset(series[:300]), batch_size=32, shuffle=False)
test_set = WindowDataset(series[300:])
losses, results = [], []
for model, seed in ((TCN(), 1), (ConvGRU(), 2)):
    reinit(model, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=4e-3)
    criterion = nn.HuberLoss(delta=1.0)
    for epoch in range(3):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        xs = torch.stack([test_set[i][0] for i in range(len(test_set))])
        ys = torch.stack([test_set[i][1] for i in range(len(test_set))])
        mse = nn.functional.mse_loss(model(xs), ys).item()
    results.append(mse)
names = sorted(TCN().state_dict().keys())
result = results
