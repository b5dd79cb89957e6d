"""Softmax regression from scratch, d2l.ai chapter 3 style: weights from torch.normal, a
hand-written softmax and cross-entropy (indexing y_hat[range(len(y_hat)), y]), an
Accumulator class, a data iterator from TensorDataset + DataLoader, minibatch SGD written by
hand under torch.no_grad(), then the concise version with nn.Sequential(nn.Flatten(), ...)."""

import torch
from torch import nn
from torch.utils import data

torch.manual_seed(3)
num_inputs, num_outputs, n = 36, 5, 400
centers = torch.randn(num_outputs, num_inputs) * 1.5
labels = torch.randint(0, num_outputs, (n,))
features = (centers[labels] + torch.randn(n, num_inputs)).reshape(n, 1, 6, 6)


def load_array(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


train_iter = load_array((features[:300], labels[:300]), 32)
test_iter = load_array((features[300:], labels[300:]), 50, is_train=False)

W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return - torch.log(y_hat[range(len(y_hat)), y])


class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    if isinstance(net, torch.nn.Module):
        net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def train_epoch(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


losses = []
for epoch in range(4):
    train_loss, train_acc = train_epoch(net, train_iter, cross_entropy, lambda bs: sgd([W, b], 0.1, bs))
    test_acc = evaluate_accuracy(net, test_iter)
    losses.append(train_loss)
    print(f"scratch epoch {epoch + 1}, loss {train_loss:.4f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}")

concise = nn.Sequential(nn.Flatten(), nn.Linear(num_inputs, num_outputs))


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


concise.apply(init_weights)
loss = nn.CrossEntropyLoss(reduction='none')
trainer = torch.optim.SGD(concise.parameters(), lr=0.1)
for epoch in range(4):
    train_loss, train_acc = train_epoch(concise, train_iter, loss, trainer)
    losses.append(train_loss)
print(f"concise loss {train_loss:.4f}, test acc {evaluate_accuracy(concise, test_iter):.3f}")
print(W.shape, b.grad, concise[1])
result = [train_acc, evaluate_accuracy(net, test_iter), W.abs().sum().item()]
