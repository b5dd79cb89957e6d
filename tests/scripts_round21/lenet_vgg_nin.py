"""d2l.ai chapters 6-7: LeNet with sigmoid and average pooling, the layer-by-layer shape
printout, a shrunk VGG built from vgg_block(num_convs, out_channels), a NiN with nin_block
and AdaptiveAvgPool2d, xavier_uniform_ initialisation through net.apply, and a shared
train_ch6 with a d2l-style Timer-free Accumulator and evaluate_accuracy_gpu."""

import torch
from torch import nn

torch.manual_seed(7)
n = 96
X_all = torch.rand(n, 1, 28, 28)
y_all = (X_all[:, 0, :14, :14].mean((1, 2)) > X_all[:, 0, 14:, 14:].mean((1, 2))).long()
y_all += 2 * (X_all[:, 0, :, :14].sum((1, 2)) > X_all[:, 0, :, 14:].sum((1, 2))).long()
dataset = torch.utils.data.TensorDataset(X_all, y_all)
train_iter = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)

lenet = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 4))

X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
for layer in lenet:
    X = layer(X)
    print(layer.__class__.__name__, 'output shape: \t', X.shape)


def vgg_block(num_convs, in_channels, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(conv_arch):
    conv_blks = []
    in_channels = 1
    for (num_convs, out_channels) in conv_arch:
        conv_blks.append(vgg_block(num_convs, in_channels, out_channels))
        in_channels = out_channels
    return nn.Sequential(*conv_blks, nn.Flatten(),
                         nn.Linear(out_channels * 7 * 7, 32), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(32, 4))


def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


nin = nn.Sequential(
    nin_block(1, 8, kernel_size=5, strides=2, padding=1), nn.MaxPool2d(3, stride=2),
    nn.Dropout(0.3), nin_block(8, 4, kernel_size=3, strides=1, padding=1),
    nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
vgg_net = vgg(((1, 4), (2, 8)))
X = torch.randn(size=(1, 1, 28, 28))
for blk in vgg_net:
    X = blk(X)
    print(blk.__class__.__name__, 'output shape:\t', tuple(X.shape))


def evaluate_accuracy_gpu(net, data_iter, device=None):
    if isinstance(net, nn.Module):
        net.eval()
        if not device:
            device = next(iter(net.parameters())).device
    correct, total = 0, 0
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            correct += (net(X).argmax(dim=1) == y).sum().item()
            total += y.numel()
    return correct / total


def train_ch6(net, train_iter, num_epochs, lr, device, losses):
    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:
            nn.init.xavier_uniform_(m.weight)
    net.apply(init_weights)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    for epoch in range(num_epochs):
        net.train()
        total = 0.0
        for i, (X, y) in enumerate(train_iter):
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                total += l * X.shape[0]
        losses.append(total.item() / len(dataset))
    return evaluate_accuracy_gpu(net, train_iter)


device = torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')
losses, result = [], []
for name, net, lr in (("LeNet", lenet, 0.9), ("VGG", vgg_net, 0.05), ("NiN", nin, 0.1)):
    acc = train_ch6(net, train_iter, 3, lr, device, losses)
    print(f"{name}: loss {losses[-1]:.3f}, train acc {acc:.3f}, params {sum(p.numel() for p in net.parameters())}")
    result.append(acc)
