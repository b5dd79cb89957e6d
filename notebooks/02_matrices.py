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
# # 2. Matrices, transposes, and the gradient of broadcasting
#
# The lesson *Matrix Operations with NumPy* computes `X @ W`, transposes and dot products.
# Here the same operations run on Tensors, with the same results. Then the part the lesson
# leaves for later: when `X @ W + b` broadcasts the bias `b` over a batch, what is the
# gradient of `b`? Backward has to *undo* the broadcast, and does so by summing.

# %%
import numpy as np

import tinygrad_np as tg

# %% [markdown]
# ## `X @ W`: a layer without its bias
# Four samples with two features each, mapped to three outputs.

# %%
X = tg.tensor([[1, 2], [3, 4], [5, 6], [7, 8]], dtype=np.float64)
W = tg.tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], dtype=np.float64)
Z = X @ W
print("Input matrix X (4x2):\n", X.numpy())
print("Weight matrix W (2x3):\n", W.numpy())
print("Output matrix Z (4x3):\n", np.round(Z.numpy(), 10))
print("first row by hand: 1*0.1 + 2*0.4 =", round(1 * 0.1 + 2 * 0.4, 10))

# %% [markdown]
# `tg.matmul` is the function form, like `np.matmul` behind the lesson's `matrix_multiply()`:

# %%
def matrix_multiply(X: tg.Tensor, W: tg.Tensor) -> tg.Tensor:
    """The lesson's helper, on Tensors."""
    return tg.Tensor.matmul(X, W)


X_small = tg.tensor([[1, 2, 3], [4, 5, 6]], dtype=np.float64)
W_small = tg.tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], dtype=np.float64)
Z_small = matrix_multiply(X_small, W_small)
print("Output matrix Z_small (2x2):\n", np.round(Z_small.numpy(), 10))
print("bottom right by hand: 4*0.2 + 5*0.4 + 6*0.6 =", round(4 * 0.2 + 5 * 0.4 + 6 * 0.6, 10))

# %% [markdown]
# The lesson's printout shows `6.2` in the bottom right corner; the product is `6.4`, as the
# line computed by hand confirms (NumPy gives `6.4` too: the lesson's text has a typo).

# %% [markdown]
# ## Transpose and dot product

# %%
A = tg.tensor([[1, 2, 3], [4, 5, 6]])
print("Transposed matrix A^T (3x2):\n", A.T.numpy())
u, v = tg.tensor([1, 2, 3]), tg.tensor([4, 5, 6])
print("Dot product u . v:", (u @ v).item())
print("A @ A^T:\n", (A @ A.T).numpy())
print("exercise: [1, 2, 3, 4] . [0.1, 0.2, 0.3, 0.4] =",
      round((tg.tensor([1.0, 2, 3, 4], dtype=np.float64)
             @ tg.tensor([0.1, 0.2, 0.3, 0.4], dtype=np.float64)).item(), 10))

# %% [markdown]
# Shapes must line up, as the lesson warns. A mismatch is an error naming the op and both
# shapes:

# %%
try:
    tg.ones(4, 2) @ tg.ones(3, 2)
except ValueError as error:
    print(error)
try:
    tg.ones(5, 1) + tg.ones(2, 1)                   # the lesson's broadcasting failure
except ValueError as error:
    print(error)

# %% [markdown]
# ## The gradient of a matrix product
# For a scalar loss $L$ of $Z = XW$, with $G = \partial L / \partial Z$ of $Z$'s shape,
# the chain rule gives
#
# $$\frac{\partial L}{\partial W} = X^T G, \qquad \frac{\partial L}{\partial X} = G W^T.$$
#
# This is where the transposes of the lesson come back: they make the shapes fit. Check it
# with a loss whose $G$ is not all ones: $L = \sum_{ij} C_{ij} Z_{ij}$ has $G = C$.

# %%
rng = np.random.default_rng(0)
X = tg.tensor(rng.normal(size=(4, 2)), requires_grad=True, name="X")
W = tg.tensor(rng.normal(size=(2, 3)), requires_grad=True, name="W")
C = rng.normal(size=(4, 3))
loss = (X @ W * tg.tensor(C)).sum()
loss.backward()
print("W.grad == X^T C:", np.allclose(W.grad.numpy(), X.numpy().T @ C))
print("X.grad == C W^T:", np.allclose(X.grad.numpy(), C @ W.numpy().T))

# %% [markdown]
# ## The unbroadcast rule, on a bias
# In `Z = X @ W + b`, the bias `b` has shape `(3,)` and is added to every one of the 5 rows.
# Broadcasting is a copy: each element of `b` is used 5 times. A value used several times
# collects the gradient of each use, so the gradient of `b` is the upstream gradient summed
# over the rows, the axis broadcasting added:
#
# $$\frac{\partial L}{\partial b_j} = \sum_i G_{ij}.$$
#
# (This is also the lesson-with-MNIST's `db = 1/m * sum(dZ)`, which must sum over the batch
# axis only: see notebook 5.) Upstream gradients `G` that are not all ones make this
# visible:

# %%
X = tg.tensor(np.arange(10.0).reshape(5, 2), name="X")
W = tg.tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], dtype=np.float64, requires_grad=True,
              name="W")
b = tg.tensor([0.1, -0.2, 0.0], dtype=np.float64, requires_grad=True, name="b")
G = np.array([[1.0, 0, 2], [1, 0, 2], [1, 1, 2], [1, 0, 2], [1, 0, 2]])
Z = X @ W + b
Z.backward(gradient=G)                 # a non-scalar output: pass dL/dZ yourself
print("upstream gradient G (5, 3):\n", G)
print("b.grad:", b.grad.numpy(), "  shape", tuple(b.grad.shape))
print("G summed over the rows:", G.sum(axis=0))

# %% [markdown]
# The same rule holds for every broadcast axis: a `(5, 1)` column added to a `(5, 3)`
# matrix gets the gradient summed over the columns, kept as `(5, 1)`; a scalar gets the
# sum of everything.

# %%
column = tg.zeros(5, 1, dtype=np.float64, requires_grad=True)
scalar = tg.tensor(0.0, dtype=np.float64, requires_grad=True)
(tg.tensor(np.zeros((5, 3))) + column + scalar).backward(gradient=G)
print("column.grad (5, 1):", column.grad.numpy().ravel(), " = G.sum(axis=1)", G.sum(axis=1))
print("scalar.grad:", scalar.grad.item(), " = G.sum()", G.sum())

# %% [markdown]
# The graph of `Z = X @ W + b`: the bias gradient `[5, 1, 10]` sits in the box of `b`.

# %%
Z = X @ W + b
b.grad = None
W.grad = None
Z.backward(gradient=G, retain_graph=True)
tg.draw_graph(Z, show_data=True)
