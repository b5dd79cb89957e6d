"""L-BFGS: a quasi-Newton method that builds an inverse-Hessian estimate from the last
`history_size` steps and gradient changes (the two-loop recursion), as `torch.optim.LBFGS`.

`step(closure)` needs the closure (it re-evaluates the loss and gradients up to `max_iter`
times per call). All parameters are treated as one flat vector; only one parameter group.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.optim.optimizer import Optimizer, ParamsT, check_non_negative


class LBFGS(Optimizer):
    """One `step(closure)` runs up to `max_iter` L-BFGS iterations:

        d = -H g (two-loop recursion over the stored (s, y) pairs; H0 = (s.y / y.y) I)
        t = lr (min(1, 1/|g|_1) lr on the very first iteration)
        p = p + t d, then the closure gives the new loss and g

    and stops early when max|g| <= tolerance_grad, when the step or the loss change is below
    tolerance_change, or after max_eval closure calls. A pair is stored only when s.y > 1e-10.
    `line_search_fn="strong_wolfe"` is not implemented (NotImplementedError): the fixed step
    above is PyTorch's default.
    """

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        check_non_negative("LBFGS", lr=lr)
        if line_search_fn is not None:
            raise NotImplementedError(f"LBFGS: line_search_fn={line_search_fn!r} is not "
                                      "implemented here; use the default fixed step (None)")
        defaults = {"lr": lr, "max_iter": max_iter,
                    "max_eval": max_eval if max_eval is not None else max_iter * 5 // 4,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self) -> np.ndarray:
        return np.concatenate([np.zeros(p._data.size, np.float64) if p.grad is None else
                               p.grad._data.astype(np.float64).ravel() for p in self._params])

    def _add(self, step: float, direction: np.ndarray) -> None:
        """p += step * direction, parameter by parameter (an in-place, unrecorded change)."""
        offset = 0
        for p in self._params:
            part = direction[offset:offset + p._data.size].reshape(p.shape)
            self._update_(p, (-step * part).astype(p.dtype))
            offset += p._data.size

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # noqa: C901
        """Up to max_iter iterations; returns the closure's first loss."""
        if closure is None:
            raise RuntimeError("LBFGS.step needs a closure that re-evaluates the loss (and "
                               "calls backward())")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        first_loss = self._closure_loss(closure)
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max(initial=0.0) <= tol_grad:
            return first_loss
        d, t = state.get("d"), state.get("t")
        dirs, steps, rhos = state.setdefault("old_dirs", []), state.setdefault(
            "old_stps", []), state.setdefault("ro", [])
        h_diag, prev_g, prev_loss = state.get("H_diag", 1.0), state.get("prev_flat_grad"), \
            state.get("prev_loss")
        iterations = 0
        while iterations < max_iter:
            iterations += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, h_diag = -g, 1.0
                dirs.clear(), steps.clear(), rhos.clear()
            else:
                y, s = g - prev_g, d * t
                ys = float(y @ s)
                if ys > 1e-10:
                    if len(dirs) == group["history_size"]:
                        dirs.pop(0), steps.pop(0), rhos.pop(0)
                    dirs.append(y), steps.append(s), rhos.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                q, alphas = -g, []
                for y_i, s_i, rho in zip(reversed(dirs), reversed(steps), reversed(rhos)):
                    alphas.append(rho * float(s_i @ q))
                    q = q - alphas[-1] * y_i
                d = q * h_diag
                for y_i, s_i, rho, alpha in zip(dirs, steps, rhos, reversed(alphas)):
                    d = d + s_i * (alpha - rho * float(y_i @ d))
            prev_g, prev_loss = g.copy(), loss
            t = min(1.0, 1.0 / np.abs(g).sum()) * lr if state["n_iter"] == 1 else lr
            if float(g @ d) > -tol_change:  # not a descent direction
                break
            self._add(t, d)
            converged = False
            if iterations != max_iter:
                loss = float(self._closure_loss(closure))
                g = self._flat_grad()
                converged = np.abs(g).max(initial=0.0) <= tol_grad
                evals += 1
                state["func_evals"] += 1
            if (iterations == max_iter or evals >= max_eval or converged
                    or np.abs(d * t).max(initial=0.0) <= tol_change
                    or abs(loss - prev_loss) < tol_change):
                break
        state.update(d=d, t=t, old_dirs=dirs, old_stps=steps, ro=rhos, H_diag=h_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return first_loss
