"""K-fold cross-validation of a classifier with Subset and DataLoader (a fresh model per
fold, reset_parameters through model.apply), argmax accuracy under torch.no_grad."""

import numpy as np
import torch
from torch import nn
from torch.utils.data import ConcatDataset, DataLoader, Subset, TensorDataset

torch.manual_seed(42)
rng = np.random.default_rng(8)
k_folds, num_epochs = 4, 3
X = rng.normal(size=(120, 6)).astype(np.float32)
y = (X[:, 0] * X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1).astype(np.int64)
half = len(X) // 2
dataset = ConcatDataset([TensorDataset(torch.from_numpy(X[:half]), torch.from_numpy(y[:half])),
                         TensorDataset(torch.from_numpy(X[half:]), torch.from_numpy(y[half:]))])
folds = np.array_split(np.arange(len(dataset)), k_folds)
init_rng = np.random.default_rng(80)
initial = [init_rng.normal(0, 0.4, s).astype(np.float32) for s in [(24, 6), (24,), (3, 24), (3,)]]


def reset_weights(m):
    for layer in m.children():
        if hasattr(layer, "reset_parameters"):
            layer.reset_parameters()


class SimpleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(6, 24), nn.Tanh(), nn.Linear(24, 3))

    def forward(self, x):
        return self.layers(x)


results, losses = {}, []
for fold in range(k_folds):
    test_ids = folds[fold]
    train_ids = np.concatenate([folds[i] for i in range(k_folds) if i != fold])
    trainloader = DataLoader(Subset(dataset, train_ids.tolist()), batch_size=30)
    testloader = DataLoader(Subset(dataset, test_ids), batch_size=10)
    network = SimpleNet()
    network.apply(reset_weights)
    for p, w in zip(network.parameters(), initial):
        p.data.copy_(torch.from_numpy(w))
    optimizer = torch.optim.RMSprop(network.parameters(), lr=1e-2, alpha=0.9)
    loss_function = nn.CrossEntropyLoss(label_smoothing=0.05)
    for epoch in range(num_epochs):
        current_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            inputs, targets = data
            optimizer.zero_grad()
            outputs = network(inputs)
            loss = loss_function(outputs, targets)
            loss.backward()
            optimizer.step()
            current_loss += loss.item()
        losses.append(current_loss / len(trainloader))
    correct, total = 0, 0
    network.eval()
    with torch.no_grad():
        for inputs, targets in testloader:
            outputs = network(inputs)
            _, predicted = torch.max(outputs.data, 1)
            total += targets.size(0)
            correct += (predicted == targets).sum().item()
    results[fold] = 100.0 * (correct / total)
    print("Accuracy for fold %d: %d %%" % (fold, results[fold]))

print("Average: %.2f %%" % (sum(results.values()) / len(results)))
result = [results[f] for f in range(k_folds)]
