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
# # 3. Derivatives and the chain rule
#
# The lesson on linear algebra, calculus and the chain rule works derivatives out with
# the power, sum and chain rules. Here `backward()` computes the same derivatives, and they
# are printed beside the lesson's closed forms. Then the chain rule is taken apart: the
# intermediate gradient `dy/du` is kept and checked, the graph of a small composite is drawn,
# and the backward pass is traced step by step.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinygrad_np as tg

# %% [markdown]
# ## The derivative as a limit
# $f'(x) = \lim_{h \to 0} (f(x+h) - f(x)) / h$. For the lesson's $f(x) = 3x^4 - 2x^2 + 7$
# at $x = 2$ the power rule gives $f'(x) = 12x^3 - 4x = 88$. The difference quotient
# approaches it as $h$ shrinks; `backward()` gets it exactly, in one pass.

# %%
def f(x):
    return 3 * x**4 - 2 * x**2 + 7


for h in [1.0, 0.1, 0.01, 0.001, 1e-6]:
    print(f"h = {h:<8g} (f(2+h) - f(2)) / h = {(f(2 + h) - f(2)) / h:.6f}")

x = tg.tensor(2.0, dtype=np.float64, requires_grad=True)
f(x).backward()
print("backward():", x.grad.item(), "   12x^3 - 4x at 2:", 12 * 2**3 - 4 * 2)

# %% [markdown]
# ## The lesson's derivatives, by `backward()` and in closed form
# Each function is evaluated at three points at once: `x` is a vector, `f` acts elementwise,
# and `backward()` of `f(x).sum()` gives each point its own derivative, since the points do
# not interact.

# %%
points = np.array([-1.5, 0.5, 2.0])
lessons = [  # (f, f on Tensors, the closed form of f', its formula)
    ("3x^4 - 2x^2 + 7", lambda x: 3 * x**4 - 2 * x**2 + 7, lambda x: 12 * x**3 - 4 * x,
     "12x^3 - 4x"),
    ("(x^2 + 1)^3", lambda x: (x**2 + 1) ** 3, lambda x: 6 * x * (x**2 + 1) ** 2,
     "6x(x^2 + 1)^2"),
    ("sin(x^2)", lambda x: (x**2).sin(), lambda x: np.cos(x**2) * 2 * x, "cos(x^2) 2x"),
    ("5x^3 - 2x + 9", lambda x: 5 * x**3 - 2 * x + 9, lambda x: 15 * x**2 - 2, "15x^2 - 2"),
    ("cos(x^3)", lambda x: (x**3).cos(), lambda x: -np.sin(x**3) * 3 * x**2,
     "-sin(x^3) 3x^2"),
]
print(f"{'f(x)':<17} {'x':>5} {'backward()':>12} {'closed form':>12}   f'(x)")
worst = 0.0
for name, fn, closed, formula in lessons:
    x = tg.tensor(points, requires_grad=True)
    fn(x).sum().backward()
    for at, got, want in zip(points, x.grad.numpy(), closed(points)):
        print(f"{name:<17} {at:>5} {got:>12.6f} {want:>12.6f}   {formula}")
        worst = max(worst, abs(got - want))
print("largest difference:", worst)

# %% [markdown]
# ## Partial derivatives and the gradient
# For $f(x, y) = x^2 + 3xy$ the lesson finds $\partial f/\partial x = 2x + 3y$ and
# $\partial f/\partial y = 3x$; its exercise $x^2 y + y^3$ has $2xy$ and $x^2 + 3y^2$.
# Each input that requires grad gets its own partial derivative.

# %%
x = tg.tensor(1.0, dtype=np.float64, requires_grad=True)
y = tg.tensor(2.0, dtype=np.float64, requires_grad=True)
(x**2 + 3 * x * y).backward()
print(f"x^2 + 3xy at (1, 2):   df/dx = {x.grad.item()} (2x + 3y = {2 * 1 + 3 * 2}),"
      f"  df/dy = {y.grad.item()} (3x = {3 * 1})")

x.grad = y.grad = None
(x**2 * y + y**3).backward()
print(f"x^2 y + y^3 at (1, 2): df/dx = {x.grad.item()} (2xy = {2 * 1 * 2}),"
      f"  df/dy = {y.grad.item()} (x^2 + 3y^2 = {1 + 3 * 2**2})")

# %% [markdown]
# ## The chain rule, one link at a time
# The lesson's example $y = (x^2 + 1)^3$: with $u = x^2 + 1$, $dy/du = 3u^2$ and
# $du/dx = 2x$, so $dy/dx = 3(x^2+1)^2 \cdot 2x$. `u.retain_grad()` asks backward to keep
# the gradient that flows through `u`, which is exactly $dy/du$.

# %%
x = tg.tensor(2.0, dtype=np.float64, requires_grad=True, name="x")
u = x**2 + 1
u.retain_grad()
y = u**3
y.backward()
print(f"u = x^2 + 1 = {u.item()}")
print(f"dy/du: u.grad = {u.grad.item()}    3u^2 = {3 * u.item() ** 2}")
print(f"du/dx: 2x = {2 * x.item()}")
print(f"dy/dx: x.grad = {x.grad.item()}    dy/du * du/dx = {3 * u.item() ** 2 * 2 * x.item()}")

# %% [markdown]
# ## Tangent lines
# The lesson's slider moves the tangent of $f(x) = 3x^4 - 2x^2 + 7$ along the curve. Here
# the slope of each tangent comes from `backward()` at five points.

# %%
xs = np.linspace(-1.3, 1.3, 200)
at = np.array([-1.0, -0.5, 0.0, 0.6, 1.1])
x = tg.tensor(at, requires_grad=True)
values = f(x)
values.sum().backward()
slopes = x.grad.numpy()

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(xs, f(xs), color="black", label="f(x) = 3x⁴ - 2x² + 7")
for x0, y0, slope in zip(at, values.numpy(), slopes):
    ax.plot([x0 - 0.3, x0 + 0.3], [y0 - 0.3 * slope, y0 + 0.3 * slope], linewidth=2,
            label=f"slope {slope:+.2f} at x = {x0:+.1f}")
    ax.plot(x0, y0, "o", color="black", markersize=4)
ax.set(xlabel="x", ylabel="f(x)", title="f'(x) from backward() is the slope of the tangent")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## The lesson's neuron, differentiated
# The lesson ends with `neuron(x, w, b) = sigmoid(w . x + b)`. Its output, and the
# gradient of the output with respect to the weights: by the chain rule
# $\partial\,\text{out} / \partial w = \sigma(z)(1 - \sigma(z))\,x$.

# %%
x = tg.tensor([0.5, 1.2, -0.8], name="x")
w = tg.tensor([0.3, -0.5, 0.9], requires_grad=True, name="w")
b = tg.tensor(0.1, requires_grad=True, name="b")
out = (w @ x + b).sigmoid()
out.backward(retain_graph=True)
s = out.item()
print(f"neuron(x, w, b) = {s:.6f}")
print("w.grad:", np.round(w.grad.numpy(), 6), "   s(1-s) x:", np.round(s * (1 - s) * x.numpy(), 6))

# %% [markdown]
# ## The graph of a small composite
# $y = \sin((x^2 + 1)^3)$ at $x = 0.5$: four ops, drawn with the values flowing forward
# and, after `backward()`, the gradient of the leaf. Backward visits the ops from right to
# left, multiplying by one local derivative at each: $\cos(v) \cdot 3u^2 \cdot 1 \cdot 2x$.

# %%
x = tg.tensor(0.5, dtype=np.float64, requires_grad=True, name="x")
u = x**2 + 1
v = u**3
y = v.sin()
y.backward(retain_graph=True)
by_hand = np.cos(v.item()) * 3 * u.item() ** 2 * 2 * x.item()
print(f"dy/dx: backward() {x.grad.item():.10f}   cos(v) 3u^2 2x {by_hand:.10f}")
y

# %% [markdown]
# ## The backward pass, traced
# `tg.trace_backward(y)` follows the backward pass of `y`, before `backward()` is
# called, and returns a table (HTML in Jupyter, text with `print`) with a row for each step,
# in the order backward takes them: the gradient arriving at an op's output, its rule, and
# the gradient it passes on to each input. Read it from the top: it starts at `Sin` with
# gradient 1 and ends at `x` with the number printed above.

# %% tags=["needs-tools"]
x = tg.tensor(0.5, dtype=np.float64, requires_grad=True, name="x")
y = ((x**2 + 1) ** 3).sin()
trace = tg.trace_backward(y)
trace
