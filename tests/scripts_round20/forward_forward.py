"""Hinton's Forward-Forward algorithm (as in the popular pytorch_forward_forward repo): each
layer is trained with its own local loss on positive data (true label overlaid on the input)
and negative data (a wrong label), inputs length-normalised, outputs detached between layers;
prediction by the label with the highest summed goodness."""

import torch
import torch.nn as nn
from torch.optim import Adam

torch.manual_seed(4)
n_classes, n_features = 4, 20


def overlay_y_on_x(x, y):
    x_ = x.clone()
    x_[:, :n_classes] *= 0.0
    x_[range(x.shape[0]), y] = x.max()
    return x_


class Layer(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.relu = torch.nn.ReLU()
        self.opt = Adam(self.parameters(), lr=0.03)
        self.threshold = 2.0
        self.num_epochs = 15

    def forward(self, x):
        x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

    def train(self, x_pos, x_neg):
        history = []
        for i in range(self.num_epochs):
            g_pos = self.forward(x_pos).pow(2).mean(1)
            g_neg = self.forward(x_neg).pow(2).mean(1)
            loss = torch.log(1 + torch.exp(torch.cat([-g_pos + self.threshold, g_neg - self.threshold]))).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            history.append(loss.item())
        return self.forward(x_pos).detach(), self.forward(x_neg).detach(), history


class Net(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.layers = []
        for d in range(len(dims) - 1):
            self.layers += [Layer(dims[d], dims[d + 1])]

    def predict(self, x):
        goodness_per_label = []
        for label in range(n_classes):
            h = overlay_y_on_x(x, label)
            goodness = []
            for layer in self.layers:
                h = layer(h)
                goodness += [h.pow(2).mean(1)]
            goodness_per_label += [sum(goodness).unsqueeze(1)]
        goodness_per_label = torch.cat(goodness_per_label, 1)
        return goodness_per_label.argmax(1)

    def train(self, x_pos, x_neg):
        h_pos, h_neg = x_pos, x_neg
        losses = []
        for i, layer in enumerate(self.layers):
            print('training layer', i, '...')
            h_pos, h_neg, history = layer.train(h_pos, h_neg)
            losses += history
        return losses


centers = torch.randn(n_classes, n_features) * 2
y = torch.randint(0, n_classes, (64,))
x = centers[y] + torch.randn(64, n_features) * 0.7
x = (x - x.mean(0)) / x.std(0)
net = Net([n_features, 32, 32])
x_pos = overlay_y_on_x(x, y)
rnd = torch.randperm(x.size(0))
y_wrong = (y + torch.randint(1, n_classes, y.shape)) % n_classes
x_neg = overlay_y_on_x(x, y_wrong)
assert not (y_wrong == y).any()
losses = net.train(x_pos, x_neg)
with torch.no_grad():
    train_acc = net.predict(x).eq(y).float().mean().item()
    shuffled_acc = net.predict(x[rnd]).eq(y[rnd]).float().mean().item()
print(f"train acc: {train_acc:.4f}  shuffled: {shuffled_acc:.4f}")
print([len(list(layer.parameters())) for layer in net.layers])
result = [train_acc, shuffled_acc, net.layers[0].weight.norm().item(), net.layers[1].bias.abs().sum().item()]
