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
# # 5. MNIST by hand and by autograd
#
# The lesson *Building a neural network from scratch* trains a 784 → 10 → 10 net on MNIST
# with a backward pass derived by hand: `dZ2 = A2 - Y`, `dW2 = 1/m dZ2 A1ᵀ`, ... This
# notebook writes that NumPy code and, beside it, the same net on Tensors whose backward
# pass is one call to `loss.backward()`. Started from the same weights, the two compute the
# same gradients and, after many steps, the same parameters. On the way, the lesson's bias
# gradient `db = 1/m * np.sum(dZ)` turns out to be wrong, and real gradients show how.
#
# To keep the notebook quick it trains on 5,000 images (the lesson uses 41,000) for 150
# full-batch steps; both are settings below.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
import tinygrad_np.optim as optim
from tinygrad_np.datasets import load_mnist

TRAIN, DEV, STEPS, ALPHA = 5_000, 1_000, 150, 0.10

# %% [markdown]
# ## The data, laid out as the lesson does
# One image per **column**: `X` is `(784, m)`, pixels divided by 255, float64 as NumPy
# computes by default. The MNIST files ship in the repository's `data/mnist/`.

# %%
x_train, y_train, _, _ = load_mnist()
order = np.random.default_rng(0).permutation(len(x_train))
train, dev = order[:TRAIN], order[TRAIN:TRAIN + DEV]
X_train = x_train[train].reshape(TRAIN, 784).T / 255.0
Y_train = y_train[train]
X_dev = x_train[dev].reshape(DEV, 784).T / 255.0
Y_dev = y_train[dev]
print("X_train:", X_train.shape, X_train.dtype, "  labels:", Y_train[:10])

# %% [markdown]
# ## The lesson's NumPy net
# `init_params`, `forward_prop` and `backward_prop` as the lesson writes them, with two
# changes: the random numbers come from a seeded generator, and `backward_prop` takes the
# lesson's bias gradient as an option. `lesson_db=False` sums `dZ` over the images only
# (`axis=1`), which is the derivative; `lesson_db=True` is the lesson's `np.sum(dZ)`, which
# adds up all ten units' numbers too.

# %%
def init_params(seed):
    rng = np.random.default_rng(seed)
    W1 = rng.random((10, 784)) - 0.5
    b1 = rng.random((10, 1)) - 0.5
    W2 = rng.random((10, 10)) - 0.5
    b2 = rng.random((10, 1)) - 0.5
    return W1, b1, W2, b2


def ReLU(Z):
    return np.maximum(Z, 0)


def softmax(Z):
    return np.exp(Z) / sum(np.exp(Z))


def forward_prop(W1, b1, W2, b2, X):
    Z1 = W1.dot(X) + b1
    A1 = ReLU(Z1)
    Z2 = W2.dot(A1) + b2
    A2 = softmax(Z2)
    return Z1, A1, Z2, A2


def one_hot(Y):
    one_hot_Y = np.zeros((Y.size, 10))
    one_hot_Y[np.arange(Y.size), Y] = 1
    return one_hot_Y.T


def backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y, lesson_db=False):
    m = Y.size
    dZ2 = A2 - one_hot(Y)
    dW2 = 1 / m * dZ2.dot(A1.T)
    db2 = 1 / m * (np.sum(dZ2) if lesson_db else np.sum(dZ2, axis=1, keepdims=True))
    dZ1 = W2.T.dot(dZ2) * (Z1 > 0)
    dW1 = 1 / m * dZ1.dot(X.T)
    db1 = 1 / m * (np.sum(dZ1) if lesson_db else np.sum(dZ1, axis=1, keepdims=True))
    return dW1, db1, dW2, db2


def update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha):
    return W1 - alpha * dW1, b1 - alpha * db1, W2 - alpha * dW2, b2 - alpha * db2


def accuracy(A2, Y):
    return np.mean(np.argmax(A2, 0) == Y)


# %% [markdown]
# ## The same net on Tensors
# Only the forward pass is written: the lesson's equations, and its loss
# $J = -\frac{1}{m}\sum Y \log A^{[2]}$ (with `log_softmax`, the stable form of
# `log(softmax(Z2))`). The parameters are Tensors that require grad; `backward()` fills
# their `.grad`.

# %%
def tensor_params(params):
    names = ("W1", "b1", "W2", "b2")
    return [tg.tensor(p.copy(), requires_grad=True, name=n) for p, n in zip(params, names)]


def tensor_loss(W1, b1, W2, b2, X, Y):
    A1 = (W1 @ X + b1).relu()
    Z2 = W2 @ A1 + b2
    return -(tg.tensor(one_hot(Y)) * Z2.log_softmax(axis=0)).sum() / Y.size


# %% [markdown]
# ## One step: the hand-derived gradients against `backward()`

# %%
start = init_params(seed=0)
W1, b1, W2, b2 = start
by_hand = backward_prop(*forward_prop(W1, b1, W2, b2, X_train), W1, W2, X_train, Y_train)

params = tensor_params(start)
loss = tensor_loss(*params, tg.tensor(X_train), Y_train)
loss.backward()
print(f"loss J = {loss.item():.6f}")
print(f"{'':4} {'shape':>10} {'max |hand - backward()|':>25}")
for p, hand in zip(params, by_hand):
    print(f"{p.name:<4} {str(tuple(p.shape)):>10} {np.abs(hand - p.grad.numpy()).max():>25.2e}")

# %% [markdown]
# ## The lesson's `db` slip, on real gradients
# The lesson writes `db2 = 1 / m * np.sum(dZ2)`: without `axis=1`, `np.sum` adds up every
# element of the `(10, m)` matrix and returns **one number**, which broadcasting then
# subtracts from all ten biases alike. The derivative sums over the images only and gives
# each unit its own number, which is what `backward()` computes: broadcasting `b` over the
# `m` columns in the forward pass makes its gradient a sum over those columns (the
# unbroadcast rule of notebook 2).
#
# For `b2` the slip is total: every column of `dZ2 = A2 - Y` sums to zero (probabilities
# sum to 1, and so does a one-hot column), so the lesson's `db2` is zero and `b2` never
# moves.

# %%
lesson = backward_prop(*forward_prop(W1, b1, W2, b2, X_train), W1, W2, X_train, Y_train,
                       lesson_db=True)
print(f"{'unit':>4} {'b1.grad (backward)':>19} {'lesson db1':>11} {'b2.grad (backward)':>19} "
      f"{'lesson db2':>11}")
for unit in range(10):
    print(f"{unit:>4} {params[1].grad.numpy()[unit, 0]:>19.6f} {lesson[1]:>11.6f} "
          f"{params[3].grad.numpy()[unit, 0]:>19.6f} {lesson[3]:>11.6f}")
print("lesson db2 is zero up to rounding:", abs(lesson[3]) < 1e-15)

# %% [markdown]
# ## Training both for many steps
# The hand-derived NumPy net, the Tensor net (updated with `optim.SGD`, whose step is the
# lesson's `W := W - alpha dW`) and, for comparison, the lesson's code with its `db`. All
# start from the same weights.

# %%
def train_by_hand(params, steps, lesson_db=False):
    W1, b1, W2, b2 = params
    history = []
    for _ in range(steps):
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X_train)
        grads = backward_prop(Z1, A1, Z2, A2, W1, W2, X_train, Y_train, lesson_db)
        history.append((-np.mean(np.log(A2[Y_train, np.arange(TRAIN)])), accuracy(A2, Y_train),
                        accuracy(forward_prop(W1, b1, W2, b2, X_dev)[3], Y_dev)))
        W1, b1, W2, b2 = update_params(W1, b1, W2, b2, *grads, ALPHA)
    return (W1, b1, W2, b2), np.array(history)


def train_by_autograd(params, steps):
    optimizer = optim.SGD(params, lr=ALPHA)
    X, Xd = tg.tensor(X_train), tg.tensor(X_dev)
    history = []
    for _ in range(steps):
        loss = tensor_loss(*params, X, Y_train)
        optimizer.zero_grad()
        loss.backward()
        with tg.no_grad():
            W1, b1, W2, b2 = params
            train_logits = W2 @ (W1 @ X + b1).relu() + b2
            dev_logits = W2 @ (W1 @ Xd + b1).relu() + b2
        history.append((loss.item(), accuracy(train_logits.numpy(), Y_train),
                        accuracy(dev_logits.numpy(), Y_dev)))
        optimizer.step()
    return params, np.array(history)


hand_params, hand_history = train_by_hand(start, STEPS)
auto_params, auto_history = train_by_autograd(tensor_params(start), STEPS)
slip_params, slip_history = train_by_hand(start, STEPS, lesson_db=True)

print(f"after {STEPS} steps, max |hand - autograd| per parameter:")
for name, hand, auto in zip(("W1", "b1", "W2", "b2"), hand_params, auto_params):
    print(f"  {name}: {np.abs(hand - auto.numpy()).max():.2e}")
print("b2 moved? autograd:", not np.allclose(auto_params[3].numpy(), start[3]),
      "  lesson's db:", not np.allclose(slip_params[3], start[3]))
for label, history in [("hand-derived", hand_history), ("autograd", auto_history),
                       ("lesson's db", slip_history)]:
    loss, train_acc, dev_acc = history[-1]
    print(f"{label:<13} final loss {loss:.4f}  train acc {train_acc:.3f}  dev acc {dev_acc:.3f}")

# %% [markdown]
# ## Training curves
# The hand-derived and autograd curves lie on top of each other: they are the same numbers
# up to rounding (the differences printed above are about 1e-16). The lesson's `db` trains
# too, and in this short run about as well: it only changes how the biases move (one shared
# number per layer, nothing for `b2`), and 7,960 parameters can make up for 20 biases. It
# is still not the gradient of the loss, and the check above is what shows it.

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
steps = np.arange(STEPS)
left.plot(steps, hand_history[:, 0], linewidth=4, alpha=0.4, label="hand-derived backprop")
left.plot(steps, auto_history[:, 0], "--", color="black", label="loss.backward()")
left.plot(steps, slip_history[:, 0], label="lesson's db = 1/m np.sum(dZ)")
left.set(xlabel="gradient-descent step", ylabel="cross-entropy loss", title="training loss")
left.legend()
right.plot(steps, hand_history[:, 2], linewidth=4, alpha=0.4, label="hand-derived (dev)")
right.plot(steps, auto_history[:, 2], "--", color="black", label="autograd (dev)")
right.plot(steps, auto_history[:, 1], ":", color="black", label="autograd (train)")
right.plot(steps, slip_history[:, 2], label="lesson's db (dev)")
right.set(xlabel="gradient-descent step", ylabel="accuracy", title="accuracy")
right.legend()
plt.show()

# %% [markdown]
# ## A few predictions

# %%
W1, b1, W2, b2 = (p.numpy() for p in auto_params)
probabilities = forward_prop(W1, b1, W2, b2, X_dev[:, :8])[3]
fig, axes = plt.subplots(1, 8, figsize=(12, 2))
for i, ax in enumerate(axes):
    ax.imshow(X_dev[:, i].reshape(28, 28), cmap="gray_r")
    guess = int(np.argmax(probabilities[:, i]))
    ax.set_title(f"{guess} ({probabilities[guess, i]:.0%})",
                 color="black" if guess == Y_dev[i] else "red")
    ax.axis("off")
plt.show()

# %% [markdown]
# ## A smaller slip: the loss of one prediction
# The lesson computes the loss of a prediction that gives the right digit probability 0.80
# as $-\log(0.80) \approx 0.097$. Cross-entropy uses the natural logarithm, as its
# derivative `A2 - Y` assumes: $-\ln(0.80) = 0.2231$; `0.097` is $-\log_{10}(0.80)$.

# %%
prediction = np.array([[0.01, 0.02, 0.05, 0.02, 0.80, 0.01, 0.01, 0.00, 0.01, 0.07]])
logits = tg.tensor(np.log(np.maximum(prediction, 1e-300)))  # softmax(log p) = p
loss = F.cross_entropy(logits, np.array([4]))
print(f"cross-entropy of the lesson's prediction for label 4: {loss.item():.4f}")
print(f"-ln(0.80) = {-np.log(0.80):.4f}    -log10(0.80) = {-np.log10(0.80):.4f}")

# %% [markdown]
# ## The graph of the Tensor net's loss
# `loss.backward()` walked this graph from right to left. The parameters (blue) show the
# norms of their gradients.

# %%
loss = tensor_loss(*auto_params, tg.tensor(X_train[:, :100]), Y_train[:100])
loss.backward(retain_graph=True)
loss
