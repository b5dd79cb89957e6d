"""Derive the polynomial coefficients of tinygrad_np/ops/inverse_erf.py (needs mpmath).

Each function is sampled in 50-digit arithmetic at n Chebyshev points of its interval, the
Chebyshev interpolant's coefficients are cut where they fall below 2e-17 of the largest,
converted exactly to powers of u (the interval mapped onto [-1, 1]) and rounded to float64.
The printed error is the largest relative error of float64 Horner evaluation on 2,000 points.

    python scripts/fit_inverse_erf.py
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

mp.mp.dps = 50
EDGES = [0.8325546111576978, 1.5, 2.5, 4.0, 7.0, 12.0, 27.3]  # s = sqrt(-log c): c = 1/2 on


def erfcinv(c: mp.mpf) -> mp.mpf:
    """The root of erfc(x) = c (Newton's method below c = 1e-8, where 1 - c loses digits)."""
    if c > mp.mpf("1e-8"):
        return mp.erfinv(1 - c)
    x = mp.sqrt(-mp.log(c))
    for _ in range(200):
        step = (mp.erfc(x) - c) / (-2 / mp.sqrt(mp.pi) * mp.exp(-x * x))
        x -= step
        if abs(step) < mp.mpf(10) ** -45 * x:
            break
    return x


def central(t: mp.mpf) -> mp.mpf:
    """erfinv(sqrt(t)) / sqrt(t), for erfinv(a) = a * central(a^2)."""
    return mp.erfinv(mp.sqrt(t)) / mp.sqrt(t) if t > 0 else mp.sqrt(mp.pi) / 2


def chebyshev_coefficients(f, low: float, high: float, n: int = 40) -> list:
    low, high = mp.mpf(low), mp.mpf(high)
    nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]
    values = [f((high - low) / 2 * x + (high + low) / 2) for x in nodes]
    coefficients = [2 * mp.fsum(values[k] * mp.cos(mp.pi * j * (k + mp.mpf(1) / 2) / n)
                                for k in range(n)) / n for j in range(n)]
    coefficients[0] /= 2
    largest = max(abs(c) for c in coefficients)
    return coefficients[: max(i for i, c in enumerate(coefficients)
                              if abs(c) > 2e-17 * largest) + 1]


def to_powers(coefficients: list) -> list[float]:
    """sum c_k T_k(u) as sum a_j u^j (exactly, then rounded)."""
    basis = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]
    while len(basis) < len(coefficients):
        last, before = basis[-1], basis[-2]
        new = [mp.mpf(0)] + [2 * x for x in last]
        for i, x in enumerate(before):
            new[i] -= x
        basis.append(new)
    powers = [mp.mpf(0)] * len(coefficients)
    for c, polynomial in zip(coefficients, basis):
        for i, x in enumerate(polynomial):
            powers[i] += c * x
    return [float(a) for a in powers]


def fit(f, low: float, high: float) -> tuple[list[float], float]:
    powers = to_powers(chebyshev_coefficients(f, low, high))
    xs = np.linspace(low, high, 2000)
    u = (2 * xs - (low + high)) / (high - low)
    approximation = np.full_like(u, powers[-1])
    for a in powers[-2::-1]:
        approximation = approximation * u + a
    exact = np.array([float(f(mp.mpf(x))) for x in xs])
    return powers, float(np.max(np.abs(approximation - exact) / np.abs(exact)))


def main() -> None:
    powers, error = fit(central, 0.0, 0.25)
    print(f"_CENTRAL = {tuple(powers)}  # max relative error {error:.2e}")
    for low, high in zip(EDGES, EDGES[1:]):
        powers, error = fit(lambda s: erfcinv(mp.exp(-s * s)), low, high)
        print(f"({low!r}, {high!r}, {tuple(powers)}),  # max relative error {error:.2e}")


if __name__ == "__main__":
    main()
