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
# # 6. Your own op
#
# Every op in tinygrad_np is a small class with a forward and a backward side by side, like
# the lessons' `forward_prop` and `backward_prop` shrunk to one function. This notebook
# writes a new one, **softplus** $y = \log(1 + e^x)$, a smooth ReLU, whose derivative is
# the sigmoid: $dy/dx = \sigma(x)$. It is tested against central differences with
# `tg.gradcheck`, then broken on purpose in two ways, to see what each test says.

# %%
import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import xp
from tinygrad_np.gradcheck import GradcheckError

np.set_printoptions(precision=6, suppress=True)

# %% [markdown]
# ## The op
# `forward` receives NumPy arrays and returns one. It saves what `backward` needs with
# `ctx.save_for_backward` (only forward's inputs or its output). `backward` receives the
# gradient of the loss with respect to the output, `grad_output`, and returns the gradient
# with respect to each input: the chain rule, `grad_output` times the local derivative.
#
# `np.logaddexp(0, x)` is $\log(e^0 + e^x)$ computed without overflow; `xp.sigmoid` works on
# arrays and on Tensors, so the same `backward` also serves second derivatives.

# %%
class Softplus(tg.Function):
    """y = log(1 + exp(x));  dx = g * sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0, x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * xp.sigmoid(x)


x = tg.tensor([-1000.0, -2.0, 0.0, 2.0, 1000.0], dtype=np.float64, requires_grad=True)
y = Softplus.apply(x)
y.sum().backward()
print("softplus(x):       ", y.numpy())
print("F.softplus(x):     ", F.softplus(x).numpy())
print("dy/dx by backward: ", x.grad.numpy())
print("sigmoid(x):        ", 0.5 * (1 + np.tanh(x.numpy() / 2)))  # tanh: no overflow

# %% [markdown]
# ## Testing it with gradcheck
# `tg.gradcheck(fn, inputs)` computes the whole Jacobian twice: once by `backward()`, once by
# central differences $(f(x + \epsilon) - f(x - \epsilon)) / 2\epsilon$ in float64, and
# compares them element by element. It returns True or raises with a report.

# %%
rng = np.random.default_rng(0)
x = tg.tensor(rng.normal(size=(3, 4)) * 3, requires_grad=True, name="x")
print("elementwise output:", tg.gradcheck(lambda x: Softplus.apply(x), [x]))
print("inside a bigger function:",
      tg.gradcheck(lambda x: (Softplus.apply(x) * x).sum(axis=1).tanh(), [x]))

# %% [markdown]
# Because `backward` is written with operators and `xp`, it also runs on Tensors, so the op
# can be differentiated twice: $d^2y/dx^2 = \sigma(x)(1 - \sigma(x))$.

# %%
x = tg.tensor([-1.0, 0.0, 2.0], dtype=np.float64, requires_grad=True)
(dy,) = tg.grad(Softplus.apply(x).sum(), x, create_graph=True)
(d2y,) = tg.grad(dy.sum(), x)
s = 1 / (1 + np.exp(-x.numpy()))
print("second derivative:", d2y.numpy().round(8), "  s(1-s):", (s * (1 - s)).round(8))

# %% [markdown]
# ## Breaking it: forgetting the upstream gradient
# A classic slip: return the local derivative alone, without multiplying by `grad_output`.
# A test that only ever backpropagates from `.sum()` cannot see it: the gradient arriving
# from a sum is all ones, and multiplying by one changes nothing.

# %%
class ForgetfulSoftplus(tg.Function):
    """Wrong on purpose: dx = sigmoid(x), the chain rule's grad_output forgotten."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0, x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return xp.sigmoid(x)


x = tg.tensor(rng.normal(size=4), requires_grad=True, name="x")
print("through .sum() only:", tg.gradcheck(lambda x: ForgetfulSoftplus.apply(x).sum(), [x]))
try:
    tg.gradcheck(lambda x: ForgetfulSoftplus.apply(x), [x])
except GradcheckError as error:
    print("elementwise output:", error)

# %% [markdown]
# Read the report: input 0, named `x`, is wrong at element `(1,)` when output element `(0,)`
# is differentiated. Output element 0 does not depend on `x[1]` at all, so the numerical
# value is 0; the analytic one is not, because backward handed `x[1]` a gradient that should
# have been multiplied by zero. (The relative error is enormous because it divides by that zero,
# nearly.) gradcheck differentiates each output element separately, which is why it finds
# what `.sum()` hides.
#
# ## Breaking it: a sign slip
# The derivative of $\log(1 + e^x)$ written as $\sigma(-x)$ instead of $\sigma(x)$:

# %%
class SignSlipSoftplus(tg.Function):
    """Wrong on purpose: dx = g * sigmoid(-x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0, x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * xp.sigmoid(-x)


x = tg.tensor([0.5, -1.0, 2.0, 0.0], dtype=np.float64, requires_grad=True, name="x")
try:
    tg.gradcheck(lambda x: SignSlipSoftplus.apply(x).sum(), [x])
except GradcheckError as error:
    print(error)
print("at x = 0 the slip is invisible: sigmoid(0) = sigmoid(-0) = 0.5")

# %% [markdown]
# The worst element is `x[2] = 2.0`: backward says $\sigma(-2) = 0.1192$, the central
# difference says $\sigma(2) = 0.8808$. At `x[3] = 0` both agree, which is why a test at
# one point, or at zero, is not enough.
#
# ## The testing kit
# `assert_gradients_close(fn, *inputs)` (in `tinygrad_np.testing`) is the assertion form
# for test suites: it backpropagates a random upstream gradient (so a forgotten
# `grad_output` cannot hide), and
# passes silently or raises an `AssertionError` whose report also names the op whose rule
# is wrong.

# %% tags=["needs-tools"]
from tinygrad_np.testing import assert_gradients_close  # noqa: E402

x = tg.tensor(rng.normal(size=(2, 3)), requires_grad=True, name="x")
assert_gradients_close(Softplus.apply, x)
print("Softplus: gradients close")
for broken in (ForgetfulSoftplus, SignSlipSoftplus):
    try:
        assert_gradients_close(broken.apply, x)
    except AssertionError as error:
        print(f"{broken.__name__}: {error}")

# %% [markdown]
# ## The op in a graph
# A custom op is a node like any other: its class name labels the ellipse.

# %%
w = tg.tensor([0.5, -1.5, 2.0], dtype=np.float64, requires_grad=True, name="w")
x = tg.tensor([1.0, 2.0, 3.0], dtype=np.float64, name="x")
loss = Softplus.apply(w * x).sum()
loss.backward(retain_graph=True)
print("w.grad:", w.grad.numpy().round(6), "  x * sigmoid(w x):",
      (x.numpy() / (1 + np.exp(-w.numpy() * x.numpy()))).round(6))
loss
