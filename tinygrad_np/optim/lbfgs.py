"""L-BFGS: a quasi-Newton method that builds an inverse-Hessian estimate from the last
`history_size` steps and gradient changes (the two-loop recursion), as `torch.optim.LBFGS`.

`step(closure)` needs the closure (it re-evaluates the loss and gradients up to `max_iter`
times per call). All parameters are treated as one flat vector; only one parameter group.
`line_search_fn="strong_wolfe"` picks each step length by Nocedal and Wright's bracketing
and zoom with cubic interpolation (c1 = 1e-4, c2 = 0.9, as many tries after the first
evaluation as `max_eval` leaves), making PyTorch's choices along the way: in float64 the
iterates are PyTorch's. The arithmetic runs in the parameters' dtype as PyTorch's does: its
vectors, dot products and the numbers that come from them (NumPy scalars of that dtype,
mixed with Python floats as PyTorch mixes 0-d tensors with them), `p + t d` rounded once
(PyTorch's `add_` with alpha). So float32 problems take PyTorch's branches and closure
calls; their iterates differ from PyTorch's only as float32 dot products summed in another
order do. Between steps the state holds Tensors in the parameters' dtype, as PyTorch's
("d", "old_dirs", "old_stps", "ro", "al", "H_diag", "prev_flat_grad"), so a state dict
round-trips with torch-style code and loads both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.function import no_grad
from tinygrad_np.optim._common import lr_value
from tinygrad_np.optim.optimizer import Optimizer, ParamsT, check_non_negative
from tinygrad_np.tensor import Tensor


def _as_array(value: Any, dtype: np.dtype) -> np.ndarray:
    """A state entry (a Tensor here, a torch.Tensor from a loaded torch.optim dict, a number)
    as the array of the parameters' dtype the iterations compute with."""
    if isinstance(value, Tensor):
        return value._data.astype(dtype)
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch.Tensor
        return np.asarray(value.detach().cpu().numpy(), dtype=dtype)
    return np.asarray(value, dtype=dtype)


def _axpy(x: np.ndarray, alpha: Any, y: np.ndarray) -> np.ndarray:
    """x + alpha y as PyTorch's `x.add(y, alpha=alpha)`: float32 rounded once (its fused
    multiply-add; alpha taken in float32), float64 as NumPy computes it."""
    if x.dtype == np.float32:
        wide = x.astype(np.float64) + float(np.float32(alpha)) * y.astype(np.float64)
        return wide.astype(np.float32)
    return x + alpha * y


class _NoClosure(TypeError, RuntimeError):
    """step() without its closure: PyTorch's TypeError (a required argument is missing); also
    a RuntimeError, what this library raised before."""


def _number(loss: Any) -> float:
    """The closure's loss as a float (under no_grad: no warning for a loss in a graph)."""
    with no_grad():
        return float(loss)


class LBFGS(Optimizer):
    """One `step(closure)` runs up to `max_iter` L-BFGS iterations:

        d = -H g (two-loop recursion over the stored (s, y) pairs; H0 = (s.y / y.y) I)
        t = lr (min(1, 1/|g|_1) lr on the very first iteration)
        p = p + t d, then the closure gives the new loss and g

    and stops early when max|g| <= tolerance_grad, when the step or the loss change is below
    tolerance_change, or after max_eval closure calls. A pair is stored only when s.y > 1e-10.
    With `line_search_fn="strong_wolfe"` the step length t comes from a line search along d
    (see the module docstring) instead of the fixed lr.
    """

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        check_non_negative("LBFGS", lr=lr)  # (history_size and line_search_fn: at step, as
        # PyTorch checks them)
        defaults = {"lr": lr, "max_iter": max_iter,
                    "max_eval": max_eval if max_eval is not None else max_iter * 5 // 4,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _dtype(self) -> np.dtype:
        """The dtype the iterations compute in: the parameters' (PyTorch's torch.cat of them)."""
        return np.result_type(*(p.dtype for p in self._params))

    def _flat_grad(self) -> np.ndarray:
        dtype = self._dtype()
        return np.concatenate([np.zeros(p._data.size, dtype) if p.grad is None else
                               p.grad._data.astype(dtype).ravel() for p in self._params])

    def _add(self, step: Any, direction: np.ndarray) -> None:
        """p += step * direction, parameter by parameter (an in-place, unrecorded change)."""
        self._move([p._data.copy() for p in self._params], step, direction)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # noqa: C901
        """Up to max_iter iterations; returns the closure's first loss."""
        if closure is None:
            raise _NoClosure("LBFGS.step() missing 1 required positional argument: 'closure': "
                             "LBFGS.step needs a closure that re-evaluates the loss (and calls "
                             "backward())")
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        first_loss = self._closure_loss(closure)
        if first_loss is None:
            raise TypeError("LBFGS.step: the closure must return the loss (a number or a "
                            "one-element Tensor), got None")
        _number(first_loss)  # a clear error now for a loss with more than one element
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max(initial=0.0) <= group["tolerance_grad"]:
            return first_loss
        try:
            first_loss = self._iterate(closure, state, group, first_loss, g)
        except BaseException:
            # The parameters may have moved without a gradient to match: the next step
            # starts afresh (steepest descent, empty history) rather than from stale pairs.
            state["prev_flat_grad"] = None
            raise
        return first_loss

    def _iterate(self, closure: Callable[[], Any], state: dict, group: dict, first_loss: Any,
                 g: np.ndarray) -> Any:  # noqa: C901
        lr, max_iter, max_eval = lr_value(group["lr"]), group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history = group["history_size"]
        loss, evals = _number(first_loss), 1
        d, t, dirs, steps, rhos, al, h_diag, prev_g, prev_loss = self._load(state)
        iterations = 0
        while iterations < max_iter:
            iterations += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1 or prev_g is None:
                d, h_diag = -g, 1.0
                dirs.clear(), steps.clear(), rhos.clear()
            else:
                y, s = g - prev_g, d * t
                ys = y @ s
                if ys > 1e-10:
                    if len(dirs) >= history:
                        if history < 1:
                            raise IndexError(f"LBFGS: history_size must be at least 1 to keep "
                                             f"a curvature pair, got {history}")
                        dirs.pop(0), steps.pop(0), rhos.pop(0)
                    dirs.append(y), steps.append(s), rhos.append(1.0 / ys)
                    h_diag = ys / (y @ y)
                if al is None:
                    al = [None] * history  # (a TypeError for a non-int history_size, as PyTorch)
                q, alphas = -g, []
                for y_i, s_i, rho in zip(reversed(dirs), reversed(steps), reversed(rhos)):
                    alphas.append((s_i @ q) * rho)
                    q = _axpy(q, -alphas[-1], y_i)
                al[len(dirs) - len(alphas):len(dirs)] = reversed(alphas)
                d = q * h_diag
                for y_i, s_i, rho, alpha in zip(dirs, steps, rhos, reversed(alphas)):
                    d = _axpy(d, alpha - (y_i @ d) * rho, s_i)
            prev_g, prev_loss = g.copy(), loss
            total = np.abs(g).sum()
            first = state["n_iter"] == 1
            t = (min(1.0, 1.0 / total) if total > 0 else 1.0) * lr if first else lr
            if g @ d > -tol_change:  # not a descent direction
                break
            converged = False
            if group["line_search_fn"] not in (None, "strong_wolfe"):
                raise RuntimeError(f"LBFGS: only 'strong_wolfe' is supported as line_search_fn, "
                                   f"got {group['line_search_fn']!r}")
            if group["line_search_fn"] == "strong_wolfe":
                t, loss, g, used = self._strong_wolfe(closure, d, t, loss, g, tol_change,
                                                      max_tries=max_eval - evals)
                evals += used
                state["func_evals"] += used
                converged = np.abs(g).max(initial=0.0) <= tol_grad
            else:
                self._add(t, d)
            if iterations != max_iter and group["line_search_fn"] is None:
                loss = _number(self._closure_loss(closure))
                g = self._flat_grad()
                converged = np.abs(g).max(initial=0.0) <= tol_grad
                evals += 1
                state["func_evals"] += 1
            if (iterations == max_iter or evals >= max_eval or converged
                    or np.abs(d * t).max(initial=0.0) <= tol_change
                    or abs(loss - prev_loss) < tol_change):
                break
        self._save(state, d, t, dirs, steps, rhos, al, h_diag, prev_g, prev_loss)
        return first_loss

    def _load(self, state: dict) -> tuple:
        """The state's entries as the iterations use them: float64 arrays and floats (None
        where there is none yet); `al`, the two-loop's coefficients, is kept as PyTorch keeps
        it, from step to step."""
        dtype = self._dtype()
        def array(key: str) -> np.ndarray | None:
            value = state.get(key)
            return None if value is None else _as_array(value, dtype)

        def number(value: Any) -> Any:  # (a 0-d tensor as a NumPy scalar; a float as it is)
            return value if value is None or isinstance(value, (int, float)) else _as_array(
                value, dtype)[()]

        def numbers(key: str) -> list | None:
            values = state.get(key)
            return None if values is None else [number(x) for x in values]

        h_diag = state.get("H_diag")
        return (array("d"), number(state.get("t")),
                [_as_array(x, dtype) for x in state.get("old_dirs", [])],
                [_as_array(x, dtype) for x in state.get("old_stps", [])], numbers("ro") or [],
                numbers("al"), 1 if h_diag is None else number(h_diag),
                array("prev_flat_grad"), state.get("prev_loss"))

    def _save(self, state: dict, d: Any, t: Any, dirs: list, steps: list, rhos: list,
              al: list | None, h_diag: float, prev_g: Any, prev_loss: Any) -> None:
        """The iteration's arrays into the state as Tensors in the parameters' dtype, with
        PyTorch's keys and kinds (t and prev_loss stay numbers)."""
        dtype = self._dtype()

        def tensor(x: Any) -> Tensor | None:
            return None if x is None else Tensor(np.array(x, dtype=dtype))

        if al is not None:
            state["al"] = [tensor(a) for a in al]
        if t is not None and not isinstance(t, (int, float)):
            t = tensor(t)  # (a 0-d tensor in PyTorch too, once a line search has set it)
        state.update(d=tensor(d), t=t,
                     old_dirs=[tensor(x) for x in dirs], old_stps=[tensor(x) for x in steps],
                     ro=[tensor(x) for x in rhos], H_diag=tensor(h_diag),
                     prev_flat_grad=tensor(prev_g), prev_loss=prev_loss)

    def _strong_wolfe(self, closure: Callable[[], Any], d: np.ndarray, t: float, loss: float,
                      g: np.ndarray, tol_change: float, c1: float = 1e-4, c2: float = 0.9,
                      max_tries: int = 25) -> tuple[float, float, np.ndarray, int]:
        """A step length t along d meeting the strong Wolfe conditions
        f(t) <= f(0) + c1 t f'(0) and |f'(t)| <= c2 |f'(0)| (Nocedal and Wright, algorithms
        3.5 and 3.6, with the choices PyTorch's LBFGS makes, so the iterates are its): while
        the minimum is not bracketed, t moves to the minimiser of the cubic through the last
        two points, kept within [t + 0.01 (t - t_before), 10 t]; then the bracket shrinks by
        cubic interpolation, nudged 10 % inside it when progress stalls. The parameters end
        at p + t d; returns t, the loss and gradient there, and the closure calls made."""
        start = [p._data.copy() for p in self._params]  # each point is start + t d

        def point(step: float) -> tuple[float, float, float, np.ndarray]:
            self._move(start, step, d)
            value = _number(self._closure_loss(closure))
            grad = self._flat_grad()
            return step, value, grad @ d, grad  # (t, f, f', gradient)

        f0, slope0, reach = loss, g @ d, np.abs(d).max(initial=0.0)
        before, now = (0.0, f0, slope0, g), point(t)
        evals, tries, bracket, done = 1, 0, None, False
        while tries < max_tries:  # 1. grow t until [before, now] holds a minimum
            if now[1] > f0 + c1 * now[0] * slope0 or (tries > 1 and now[1] >= before[1]):
                bracket = [before, now]
                break
            if abs(now[2]) <= -c2 * slope0:
                bracket, done = [now], True
                break
            if now[2] >= 0:
                bracket = [before, now]
                break
            step = _cubic_minimum(before[:3], now[:3], (
                now[0] + 0.01 * (now[0] - before[0]), now[0] * 10))
            before, now = now, point(step)
            evals, tries = evals + 1, tries + 1
        if bracket is None:  # out of tries: the better of the start and the last point
            bracket = [(0.0, f0, slope0, g), now]
        low = 0 if bracket[0][1] <= bracket[-1][1] else 1
        stalled = False
        while not done and tries < max_tries:  # 2. shrink the bracket around the minimum
            (a, b), high = (bracket[0][0], bracket[1][0]), 1 - low
            if abs(b - a) * reach < tol_change:
                break
            step, lo, hi = _cubic_minimum(bracket[0][:3], bracket[1][:3]), min(a, b), max(a, b)
            margin = 0.1 * (hi - lo)
            if min(hi - step, step - lo) < margin:  # too close to an end
                if stalled or step >= hi or step <= lo:
                    step = hi - margin if abs(step - hi) < abs(step - lo) else lo + margin
                    stalled = False
                else:
                    stalled = True
            else:
                stalled = False
            now = point(step)
            evals, tries = evals + 1, tries + 1
            if now[1] > f0 + c1 * now[0] * slope0 or now[1] >= bracket[low][1]:
                bracket[high] = now
                low = 0 if bracket[0][1] <= bracket[1][1] else 1
            else:
                if abs(now[2]) <= -c2 * slope0:
                    done = True
                elif now[2] * (bracket[high][0] - bracket[low][0]) >= 0:
                    bracket[high] = bracket[low]
                bracket[low] = now
        best = bracket[low]
        self._move(start, best[0], d)  # end at the best point (already evaluated there)
        return best[0], best[1], best[3], evals

    def _move(self, start: list, step: float, direction: np.ndarray) -> None:
        """Every parameter set to start + step * direction (from the same start each time,
        as PyTorch's line search: no rounding piles up over the tries)."""
        offset = 0
        with no_grad():
            for p, first in zip(self._params, start):
                part = direction[offset:offset + first.size].reshape(first.shape)
                p.copy_(Tensor(_axpy(first, step, part.astype(first.dtype))))
                offset += first.size


def _cubic_minimum(a: tuple, b: tuple, bounds: tuple | None = None) -> float:
    """The minimiser of the cubic through (x, f, f') at a and b, clamped to `bounds` (the
    interval between a and b by default); their midpoint when the cubic has no minimum."""
    (x1, f1, g1), (x2, f2, g2) = a, b
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    square = d1 * d1 - g1 * g2
    if not square >= 0:  # (NaN too, as PyTorch's test)
        return (lo + hi) / 2
    d2 = np.sqrt(square)
    if x1 > x2:  # written from the left point
        (x1, g1), (x2, g2) = (x2, g2), (x1, g1)
    denominator = g2 - g1 + 2 * d2
    if denominator == 0:
        return (lo + hi) / 2
    return min(max(x2 - (x2 - x1) * ((g2 + d2 - d1) / denominator), lo), hi)
