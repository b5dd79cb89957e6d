"""Second-order optimisation with torch.autograd.functional (a numerical-methods course
notebook): Newton's method for L2-regularised logistic regression with jacobian/hessian of a
function of a flat parameter vector, a damped Newton on the Rosenbrock function, the
Jacobian of a vector field, vjp/jvp/hvp, and agreement with the closed-form X^T S X Hessian."""

import torch
from torch.autograd.functional import hessian, hvp, jacobian, jvp, vjp

torch.manual_seed(18)
torch.set_default_dtype(torch.float64)
n, d, lam = 80, 3, 0.1
X = torch.cat([torch.randn(n, d - 1), torch.ones(n, 1)], dim=1)
w_true = torch.tensor([1.5, -2.0, 0.3])
y = (torch.sigmoid(X @ w_true) > torch.rand(n)).double()


def loss_fn(w):
    logits = X @ w
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, y) + 0.5 * lam * (w ** 2).sum()


w = torch.zeros(d)
losses = []
for it in range(6):
    g = jacobian(loss_fn, w)
    H = hessian(loss_fn, w)
    step = torch.linalg.solve(H, g)
    w = w - step
    losses.append(loss_fn(w).item())
    gnorm = g.norm().item()
    print(f"newton {it} loss {losses[-1]:.8f} |g| {gnorm:.2e}" if gnorm > 1e-12 else f"newton {it} converged")

p = torch.sigmoid(X @ w)
H_closed = X.T @ (X * (p * (1 - p)).unsqueeze(1)) / n + lam * torch.eye(d)
print("hessian closed form", torch.allclose(hessian(loss_fn, w), H_closed, atol=1e-10))


def rosenbrock(xy):
    return (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2


z = torch.tensor([-1.2, 1.0])
for it in range(12):
    g = jacobian(rosenbrock, z)
    H = hessian(rosenbrock, z)
    mu = 1e-3
    while True:  # Levenberg-style damping until the step decreases f
        candidate = z - torch.linalg.solve(H + mu * torch.eye(2), g)
        if rosenbrock(candidate) < rosenbrock(z) or mu > 1e6:
            break
        mu *= 10
    z = candidate
    losses.append(rosenbrock(z).item())
print("rosenbrock minimum", [round(v, 6) for v in z.tolist()])


def field(v):
    return torch.stack([v[0] * v[1], torch.sin(v[0]) + v[1] ** 3, torch.exp(-v[1])])


v0 = torch.tensor([0.5, -0.3])
J = jacobian(field, v0)
J_vec = jacobian(field, v0, vectorize=True)
_, vjp_out = vjp(field, v0, torch.tensor([1.0, 0.0, 2.0]))
_, jvp_out = jvp(field, v0, torch.tensor([0.0, 1.0]))
_, hvp_out = hvp(rosenbrock, z, torch.tensor([1.0, 0.0]))
J2 = jacobian(lambda a, b: a * b.sum(), (torch.ones(2), torch.arange(3.0)))
print(tuple(J.shape), torch.allclose(J, J_vec), [tuple(t.shape) for t in J2])
print("vjp", vjp_out.tolist(), "jvp", jvp_out.tolist())
result = [*w.tolist(), *z.tolist(), *J.flatten().tolist(), *hvp_out.tolist(), J2[1].sum().item()]
