# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7. A convolutional net on MNIST
#
# The MNIST lesson ends by saying a CNN would do better than its 784 → 10 → 10 net. Here is
# a small one. A convolution slides a few 3×3 filters over the image; each filter gives a
# *feature map* that is large where the image looks like the filter. Max-pooling halves the
# maps, keeping the strongest response in each 2×2 window. The filters are parameters like
# any weight matrix, learned by `backward()`; after training they are plotted, with the
# feature maps of one digit.
#
# It trains for one pass over 10,000 images: some seconds on two cores.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
import tinygrad_np.optim as optim
from tinygrad_np.datasets import batches, load_mnist

TRAIN, TEST, BATCH, EPOCHS = 10_000, 2_000, 64, 1

# %% [markdown]
# ## The data
# Images as `(N, 1, 28, 28)`: batch, channels (one, grey), height, width, as PyTorch lays
# them out. Pixels scaled to [0, 1] and standardised with the training set's statistics.

# %%
x_train, y_train, x_test, y_test = load_mnist()
x_train = x_train[:TRAIN, None].astype(np.float32) / 255
x_test = x_test[:TEST, None].astype(np.float32) / 255
mean, std = x_train.mean(), x_train.std()
x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
y_train, y_test = y_train[:TRAIN], y_test[:TEST]
print("x_train:", x_train.shape, x_train.dtype, "  x_test:", x_test.shape)

# %% [markdown]
# ## The net
# conv 1 → 8 channels (3×3, padding 1, so 28×28 stays 28×28), ReLU, max-pool 2 → 14×14;
# conv 8 → 16, ReLU, max-pool 2 → 7×7; then a linear layer from the 16·7·7 numbers to the
# 10 digits.

# %%
class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def features(self, x):
        """The feature maps after each conv block: (N, 8, 14, 14) and (N, 16, 7, 7)."""
        h1 = F.max_pool2d(self.conv1(x).relu(), 2)
        h2 = F.max_pool2d(self.conv2(h1).relu(), 2)
        return h1, h2

    def forward(self, x):
        _, h2 = self.features(x)
        return self.fc(h2.reshape(h2.shape[0], -1))


tg.manual_seed(0)
model = SmallCNN()
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()))

# %% [markdown]
# ## Training
# Minibatches of 64, Adam, cross-entropy: the loop is the same as for any other net.

# %%
def evaluate(model, x, y, chunk=500):
    with tg.no_grad():
        predictions = np.concatenate([model(tg.tensor(x[i:i + chunk])).numpy().argmax(axis=1)
                                      for i in range(0, len(x), chunk)])
    return np.mean(predictions == y)


optimizer = optim.Adam(model.parameters(), lr=2e-3)
losses = []
for epoch in range(EPOCHS):
    for images, labels in batches(x_train, y_train, BATCH, seed=epoch):
        loss = F.cross_entropy(model(tg.tensor(images)), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
test_accuracy = evaluate(model, x_test, y_test)
print(f"{len(losses)} steps, last loss {np.mean(losses[-20:]):.3f}")
print(f"test accuracy on {TEST} images: {test_accuracy:.3f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(losses, alpha=0.4, label="each step")
ax.plot(np.convolve(losses, np.ones(10) / 10, mode="valid"), label="average of 10")
ax.set(xlabel="step", ylabel="cross-entropy", title="training loss")
ax.legend()
plt.show()

# %% [markdown]
# ## The learned filters
# `model.conv1.weight` has shape `(8, 1, 3, 3)`: eight 3×3 filters. Red weights add the
# pixel's ink, blue ones subtract it; many filters look like small edge or stroke detectors.

# %%
filters = model.conv1.weight.numpy()[:, 0]
limit = np.abs(filters).max()
fig, axes = plt.subplots(1, 8, figsize=(12, 1.8))
for i, ax in enumerate(axes):
    ax.imshow(filters[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"filter {i}")
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Feature maps of one digit
# The first test image, and what each filter of the first block makes of it (8 maps of
# 14×14), then the 16 maps of 7×7 of the second block, which the linear layer reads.

# %%
digit = x_test[:1]
with tg.no_grad():
    h1, h2 = model.features(tg.tensor(digit))
    guess = int(model(tg.tensor(digit)).numpy().argmax())
print(f"label {y_test[0]}, the net says {guess}")

fig = plt.figure(figsize=(12, 5.2), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1, 4])
ax = left.subplots()
ax.imshow(digit[0, 0], cmap="gray_r")
ax.set_title(f"input (label {y_test[0]})")
ax.axis("off")
top, bottom = right.subfigures(2, 1)
for i, ax in enumerate(top.subplots(1, 8)):
    ax.imshow(h1.numpy()[0, i], cmap="viridis")
    ax.set_title(f"conv1 #{i}", fontsize=9)
    ax.axis("off")
for i, ax in enumerate(bottom.subplots(2, 8).ravel()):
    ax.imshow(h2.numpy()[0, i], cmap="viridis")
    ax.set_title(f"conv2 #{i}", fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## The graph
# The loss of two images: convolutions and pools are ops like `MatMul`, and the filters
# (blue) get their gradients like any weight.

# %%
loss = F.cross_entropy(model(tg.tensor(x_train[:2])), y_train[:2])
optimizer.zero_grad()
loss.backward(retain_graph=True)
loss
