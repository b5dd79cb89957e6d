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
# # 1. A neuron on the Pima data
#
# The lesson *Math and NumPy Foundations* builds one neuron and then a dense layer by hand
# in NumPy, on the Pima Indians Diabetes data. This notebook does the same arithmetic with
# `tinygrad_np` Tensors and gets the lesson's printed numbers exactly. Then it goes one step
# further than the lesson: `backward()` gives the gradient of the neuron's output with
# respect to every weight, which the lesson on gradient descent derives by hand, and the
# graph of the computation is drawn with its values and gradients.
#
# The data ships with the package: `load_diabetes()` reads the same 768 patients.

# %%
import numpy as np

import tinygrad_np as tg
from tinygrad_np.datasets import load_diabetes

X, outcome, feature_cols = load_diabetes()
print("Shape:", X.shape, "(8 features; the outcome is returned separately)")
print("Outcome balance: 0 ->", np.sum(outcome == 0), " 1 ->", np.sum(outcome == 1))
print(feature_cols)

# %% [markdown]
# ## Standardising the features
# Each column becomes `(x - mean) / std`, with NumPy's population standard deviation, as in
# the lesson. This is plain NumPy: the data needs no gradient.

# %%
mu = X.mean(axis=0)
sd = X.std(axis=0)
X_std = (X - mu) / sd
print("Means after scaling:", np.round(X_std.mean(axis=0)[:3], 6))
print("Stds after scaling :", np.round(X_std.std(axis=0)[:3], 6))
print(np.round(X_std[0], 4))

# %% [markdown]
# ## One neuron: the lesson's NumPy beside Tensors
# The lesson's hand-picked weights and bias, applied to the first patient. The Tensors hold
# float64, like the lesson's NumPy arrays, so the numbers agree to the last digit. `w` and
# `b` are created with `requires_grad=True`: they are the neuron's parameters.

# %%
w_np = np.array([0.10, 0.40, -0.20, 0.05, -0.10, 0.30, 0.15, 0.25])
b_np = -0.50

x0 = tg.tensor(X_std[0], name="x0")                        # float64, like X_std
w = tg.tensor(w_np, requires_grad=True, name="w")
b = tg.tensor(b_np, dtype=np.float64, requires_grad=True, name="b")

manual = (w * x0).sum()                                   # multiply elementwise, then sum
dot = x0 @ w                                              # the dot product
z = dot + b                                               # the weighted sum
out = z.sigmoid()                                         # the activation

print("                        NumPy (the lesson)   tinygrad_np")
print(f"Elementwise then sum:   {round(np.sum(w_np * X_std[0]), 6):<20} {round(manual.item(), 6)}")
print(f"np.dot(w, x0):          {round(float(np.dot(w_np, X_std[0])), 6):<20} "
      f"{round(dot.item(), 6)}")
z_np = np.dot(w_np, X_std[0]) + b_np
print(f"Weighted sum z:         {round(float(z_np), 6):<20} {round(z.item(), 6)}")
print(f"Neuron output:          {round(float(1 / (1 + np.exp(-z_np))), 6):<20} "
      f"{round(out.item(), 6)}")

# %% [markdown]
# ## A dense layer: `X @ W + b` on five patients
# Three neurons at once: the lesson's `(8, 3)` weight matrix, one column per neuron, and a
# bias of length 3 that broadcasting adds to every row.

# %%
W_np = np.round(np.linspace(-0.3, 0.3, 24).reshape(8, 3), 4)
bias_np = np.array([0.1, -0.2, 0.0])

batch = tg.tensor(X_std[:5], name="batch")
W = tg.tensor(W_np, requires_grad=True, name="W")
bias = tg.tensor(bias_np, requires_grad=True, name="bias")

Z = batch @ W + bias
print("Z shape:", tuple(Z.shape))
print(np.round(Z.numpy(), 4))
A = Z.sigmoid()
print("Activations shape:", tuple(A.shape))
print(np.round(A.numpy(), 4))
print("same as NumPy's batch @ W + bias:", np.array_equal(Z.numpy(), X_std[:5] @ W_np + bias_np))

# %% [markdown]
# All 768 patients go through the same layer with no change to the code:

# %%
A_all = (tg.tensor(X_std) @ W + bias).sigmoid()
print("Full forward pass shape:", tuple(A_all.shape))
print("First patient's activations:", np.round(A_all.numpy()[0], 4))

# %% [markdown]
# ## Backward: how the output depends on each weight
# The lesson stops at the forward pass. One call to `backward()` fills `w.grad` and `b.grad`
# with the derivative of the neuron's output. By the chain rule, with `s = sigmoid(z)` and
# `sigmoid'(z) = s (1 - s)`:
#
# $$\frac{\partial\,\text{out}}{\partial w_i} = s(1-s)\,x_{0,i}, \qquad
#   \frac{\partial\,\text{out}}{\partial b} = s(1-s)$$
#
# `retain_graph=True` keeps the intermediate values so that the drawing below can show them.

# %%
out.backward(retain_graph=True)
s = out.item()
by_hand = s * (1 - s) * X_std[0]

print(f"s (1 - s) = {s * (1 - s):.6f}")
print(f"{'feature':<18} {'w.grad (backward)':>18} {'s(1-s) x0 (by hand)':>20}")
for name, got, want in zip(feature_cols, w.grad.numpy(), by_hand):
    print(f"{name:<18} {got:>18.6f} {want:>20.6f}")
print(f"{'bias':<18} {b.grad.item():>18.6f} {s * (1 - s):>20.6f}")
print("largest difference:", np.abs(w.grad.numpy() - by_hand).max())

# %% [markdown]
# ## The graph
# A Tensor that came out of a computation draws its graph in Jupyter (Graphviz, as SVG).
# Blue boxes are the parameters (with their gradients after `backward()`), grey boxes the
# inputs, white boxes intermediate results, amber ellipses the ops and the green box the
# output. Evaluating `out` on its own shows this picture; `draw_graph` with
# `show_data=True` also prints the values of the vectors.

# %%
tg.draw_graph(out, show_data=True)

# %% [markdown]
# The dense layer's graph is the same shape of picture, with matrices in the boxes. Here
# its loss is the sum of the activations, so that `W.grad` and `bias.grad` exist; the bias
# gradient is summed over the five patients (notebook 2 shows why).

# %%
layer_loss = A.sum()
layer_loss.backward(retain_graph=True)
print("W.grad shape:", tuple(W.grad.shape), " bias.grad:", np.round(bias.grad.numpy(), 4))
layer_loss
