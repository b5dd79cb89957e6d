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
# # 4. Layers and XOR
#
# The lesson *Neurons & Layers* runs a neuron, a layer and a two-layer net forward in NumPy,
# counts parameters, and ends with XOR: a problem no single neuron can solve, solved by a
# hidden layer of two neurons with hand-picked weights. Here the same nets run on Tensors,
# and then a net *learns* XOR by backpropagation. Both decision boundaries are plotted.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
import tinygrad_np.optim as optim

# %% [markdown]
# ## One neuron, one layer, two layers

# %%
x = tg.tensor([0.5, 0.9, 0.1], dtype=np.float64)
w = tg.tensor([0.4, -0.2, 0.7], dtype=np.float64)
b = 0.1
out = (x @ w + b).sigmoid()
print("one neuron's output:", round(out.item(), 3))

# %% [markdown]
# The lesson's worked example draws its weights with `np.random.seed(0)`. The same arrays
# as Tensors give the same activations as NumPy. (The lesson's *sample output*,
# `[0. 0.41 0. 0.28 0.67]` and `[0.508]`, is not what seed 0 gives: it must come from another
# run. Both columns below are computed.)

# %%
np.random.seed(0)
x = np.array([0.6, 0.1, 0.9, 0.4])
W1 = np.random.randn(4, 5) * 0.5
b1 = np.zeros(5)
W2 = np.random.randn(5, 1) * 0.5
b2 = np.zeros(1)

h_np = np.maximum(0, x @ W1 + b1)
out_np = 1 / (1 + np.exp(-(h_np @ W2 + b2)))

h = (tg.tensor(x) @ tg.tensor(W1) + tg.tensor(b1)).relu()
out = (h @ tg.tensor(W2) + tg.tensor(b2)).sigmoid()
print("hidden activations: NumPy", h_np.round(2), "  tinygrad_np", h.numpy().round(2))
print("output (probability): NumPy", out_np.round(3), "  tinygrad_np", out.numpy().round(3))

# %% [markdown]
# ## Counting parameters
# The lesson's exercise: a 4 → 8 → 8 → 3 net has $4 \cdot 8 + 8 + 8 \cdot 8 + 8 + 8 \cdot 3 + 3$
# learnable numbers. `nn.Linear` layers hold them, and `parameters()` lists them.

# %%
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))
print(net)
count = sum(p.numel() for p in net.parameters())
print("parameters:", count, "=", 4 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3)

# %% [markdown]
# ## XOR with hand-picked weights
# Hidden neuron 1 computes OR (fires when at least one input is on: threshold 0.5), hidden
# neuron 2 computes AND (threshold 1.5), and the output fires for "OR and not AND".
# `step` is a comparison: it has no gradient, which is why this net cannot be trained.

# %%
inputs = tg.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
xor = np.array([0, 1, 1, 0])


def step(z: tg.Tensor) -> tg.Tensor:
    return (z > 0).astype(np.float64)


def hand_picked(X: tg.Tensor) -> tg.Tensor:
    W1 = tg.tensor([[1.0, 1.0], [1.0, 1.0]], dtype=np.float64)
    b1 = tg.tensor([-0.5, -1.5], dtype=np.float64)    # OR, AND
    W2 = tg.tensor([[1.0], [-2.0]], dtype=np.float64)
    b2 = tg.tensor([-0.5], dtype=np.float64)
    return step(step(X @ W1 + b1) @ W2 + b2)


for point, result in zip(inputs.numpy().astype(int).tolist(), hand_picked(inputs).numpy()):
    print(point, "->", int(result[0]))

# %% [markdown]
# ## XOR learned by backpropagation
# A 2 → 4 → 1 net with a sigmoid hidden layer (smooth, so it has gradients), one logit out,
# binary cross-entropy, and SGD with momentum on the four points. The forward pass is the
# lesson's; `loss.backward()` replaces the derivation by hand.

# %%
tg.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1))
optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
targets = xor.reshape(4, 1).astype(np.float32)
X = tg.tensor(inputs.numpy(), dtype=np.float32)
losses = []
for _ in range(1000):
    loss = F.binary_cross_entropy_with_logits(model(X), targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print(f"loss: step 1 {losses[0]:.4f}, step 1000 {losses[-1]:.5f}")

with tg.no_grad():
    probabilities = model(X).sigmoid().numpy().ravel()
for point, p in zip(inputs.numpy().astype(int).tolist(), probabilities):
    print(point, "->", int(p > 0.5), f"  (p = {p:.4f})")
print("truth table correct:", np.array_equal(probabilities > 0.5, xor.astype(bool)))

# %% [markdown]
# ## Decision boundaries
# Both nets evaluated on a grid over the square: the hand-picked net's boundary is made of
# straight lines (step functions of two lines, one per hidden neuron); the learned net's is
# smooth, with the probability of class 1 shaded.

# %%
grid = np.linspace(-0.5, 1.5, 201)
gx, gy = np.meshgrid(grid, grid)
points = np.stack([gx.ravel(), gy.ravel()], axis=1)
hand_grid = hand_picked(tg.tensor(points)).numpy().reshape(gx.shape)
with tg.no_grad():
    learned_grid = model(tg.tensor(points, dtype=np.float32)).sigmoid().numpy().reshape(gx.shape)

fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), layout="constrained")
for ax, values, title in [(axes[0], hand_grid, "hand-picked (step units)"),
                          (axes[1], learned_grid, "learned (sigmoid units)")]:
    shading = ax.contourf(gx, gy, values, levels=np.linspace(0, 1, 11), cmap="RdBu_r",
                          alpha=0.8)
    ax.contour(gx, gy, values, levels=[0.5], colors="black", linewidths=1.5)
    ax.scatter(*inputs.numpy().T, c=xor, cmap="RdBu_r", edgecolors="black", s=120,
               vmin=0, vmax=1)
    ax.set(title=title, xlabel="input 1", ylabel="input 2", aspect="equal")
fig.colorbar(shading, ax=axes[1], label="output (probability of 1)")
axes[2].plot(losses)
axes[2].set(title="learning XOR", xlabel="step", ylabel="loss (BCE)", yscale="log")
plt.show()

# %% [markdown]
# The graph of the learned net's loss on the four points, after one more backward pass:
# the parameters (blue) carry their gradients, which are nearly zero now that XOR is
# learned.

# %%
loss = F.binary_cross_entropy_with_logits(model(X), targets)
optimizer.zero_grad()
loss.backward(retain_graph=True)
loss
