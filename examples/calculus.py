"""The calculus lesson's derivatives, computed by backward() and printed beside the closed forms.

    python examples/calculus.py

The lesson works the rules out symbolically and evaluates them at no particular point, so
each function is evaluated here at three points: x = -1.5, 0.5 and 2 (and, for the two
functions of x and y, at (x, y) = (1, 2), (-0.5, 3) and (2, -1)).

All points are evaluated at once: x is a vector, f acts elementwise, and backward() of
f(x).sum() gives every point its own derivative, since the points do not interact.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinygrad_np import Tensor

X_POINTS = [-1.5, 0.5, 2.0]
XY_POINTS = [(1.0, 2.0), (-0.5, 3.0), (2.0, -1.0)]

# (formula, f on Tensors, f' in closed form on arrays, the closed form as the lesson writes it)
ONE_VARIABLE: list[tuple[str, Callable, Callable, str]] = [
    ("3x^4 - 2x^2 + 7", lambda x: 3 * x**4 - 2 * x**2 + 7, lambda x: 12 * x**3 - 4 * x,
     "12x^3 - 4x"),
    ("(x^2 + 1)^3", lambda x: (x**2 + 1) ** 3, lambda x: 6 * x * (x**2 + 1) ** 2,
     "6x(x^2 + 1)^2"),
    ("sin(x^2)", lambda x: (x**2).sin(), lambda x: np.cos(x**2) * 2 * x, "cos(x^2) 2x"),
    ("cos(x^3)", lambda x: (x**3).cos(), lambda x: -np.sin(x**3) * 3 * x**2,
     "-sin(x^3) 3x^2"),
    ("5x^3 - 2x + 9", lambda x: 5 * x**3 - 2 * x + 9, lambda x: 15 * x**2 - 2, "15x^2 - 2"),
]

# (formula, f, (df/dx, df/dy) in closed form, their formulas)
TWO_VARIABLES: list[tuple[str, Callable, tuple[Callable, Callable], tuple[str, str]]] = [
    ("x^2 + 3xy", lambda x, y: x**2 + 3 * x * y,
     (lambda x, y: 2 * x + 3 * y, lambda x, y: 3 * x), ("2x + 3y", "3x")),
    ("x^2 y + y^3", lambda x, y: x**2 * y + y**3,
     (lambda x, y: 2 * x * y, lambda x, y: x**2 + 3 * y**2), ("2xy", "x^2 + 3y^2")),
]


def derivative(f: Callable, points: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """f at each point and f' at each point, by one backward pass (float64)."""
    x = Tensor(np.array(points, dtype=np.float64), requires_grad=True)
    values = f(x)
    values.sum().backward()
    return values.numpy(), x.grad.numpy()


def partials(f: Callable, points: list[tuple[float, float]]) -> tuple[np.ndarray, ...]:
    """f, df/dx and df/dy at each (x, y) point, by one backward pass."""
    xs, ys = (np.array(column, dtype=np.float64) for column in zip(*points))
    x, y = Tensor(xs, requires_grad=True), Tensor(ys, requires_grad=True)
    values = f(x, y)
    values.sum().backward()
    return values.numpy(), x.grad.numpy(), y.grad.numpy()


def main(argv: list[str] | None = None) -> list[dict]:
    """Print one line per function and point; returns the rows (for tests)."""
    rows = []
    print(f"{'f(x)':<17} {'x':>5} {'f(x)':>12} {'backward':>12} {'closed form':>12}  formula")
    for formula, f, closed_form, closed_text in ONE_VARIABLE:
        values, grads = derivative(f, X_POINTS)
        expected = closed_form(np.array(X_POINTS))
        for point, value, grad, exact in zip(X_POINTS, values, grads, expected):
            print(f"{formula:<17} {point:>5} {value:>12.6f} {grad:>12.6f} {exact:>12.6f}"
                  f"  f' = {closed_text}")
            rows.append({"f": formula, "at": (point,), "backward": (grad,), "exact": (exact,)})

    print(f"\n{'f(x, y)':<13} {'(x, y)':>11} {'df/dx':>10} {'closed':>10} {'df/dy':>10} "
          f"{'closed':>10}  formulas")
    for formula, f, (closed_dx, closed_dy), (text_dx, text_dy) in TWO_VARIABLES:
        _, grads_x, grads_y = partials(f, XY_POINTS)
        xs, ys = (np.array(column) for column in zip(*XY_POINTS))
        expected_x, expected_y = closed_dx(xs, ys), closed_dy(xs, ys)
        for index, point in enumerate(XY_POINTS):
            print(f"{formula:<13} {str(point):>11} {grads_x[index]:>10.4f} "
                  f"{expected_x[index]:>10.4f} {grads_y[index]:>10.4f} "
                  f"{expected_y[index]:>10.4f}  df/dx = {text_dx}, df/dy = {text_dy}")
            rows.append({"f": formula, "at": point,
                         "backward": (grads_x[index], grads_y[index]),
                         "exact": (expected_x[index], expected_y[index])})

    worst = max(abs(got - want) for row in rows for got, want in zip(row["backward"], row["exact"]))
    print(f"\nlargest difference between backward() and the closed forms: {worst:.1e}")
    return rows


if __name__ == "__main__":
    main()
