"""Derive the polynomial coefficients of tinygrad_np/ops/bessel_fits.py (needs mpmath).

For x >= 5, J_n and Y_n are sqrt(2/(pi x)) (P cos chi - Q sin chi) and (P sin chi + Q cos
chi), chi = x - (n/2 + 1/4) pi, with the smooth, non-oscillating moduli
    P = sqrt(pi x/2) (J cos chi + Y sin chi),   Q = sqrt(pi x/2) (Y cos chi - J sin chi);
for x >= 2, S_n = sqrt(x) exp(x) K_n(x) is as smooth. Each is sampled in 50-digit arithmetic
at Chebyshev points of z = 1/x on a piece of the x axis, and written as a polynomial in u
(the piece's z interval mapped onto [-1, 1]) as in scripts/fit_inverse_erf.py. The printed
error is the largest error of float64 Horner evaluation on 1,000 points, relative to the
function's largest value on the piece (P and S; for Q, relative to P there: J and Y are
sums of the two).

    python scripts/fit_bessel.py
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
from fit_inverse_erf import to_powers

mp.mp.dps = 50
JY_PIECES = [(5.0, 8.0), (8.0, 13.0), (13.0, 25.0)]
K_PIECES = [(2.0, 3.5), (3.5, 6.0), (6.0, 12.0), (12.0, 25.0)]


def moduli(n: int, x: mp.mpf) -> tuple[mp.mpf, mp.mpf]:
    chi = x - (mp.mpf(n) / 2 + mp.mpf(1) / 4) * mp.pi
    j, y = mp.besselj(n, x), mp.bessely(n, x)
    scale = mp.sqrt(mp.pi * x / 2)
    return (scale * (j * mp.cos(chi) + y * mp.sin(chi)),
            scale * (y * mp.cos(chi) - j * mp.sin(chi)))


def fit_in_z(f, low: float, high: float, n: int = 48) -> tuple[list[float], np.ndarray]:
    """Powers of u for f(1/z) over z in [1/high, 1/low], cut at 1e-18 of the largest."""
    z_low, z_high = mp.mpf(1) / high, mp.mpf(1) / low
    nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]
    values = [f(1 / ((z_high - z_low) / 2 * u + (z_high + z_low) / 2)) for u in nodes]
    coefficients = [2 * mp.fsum(values[k] * mp.cos(mp.pi * j * (k + mp.mpf(1) / 2) / n)
                                for k in range(n)) / n for j in range(n)]
    coefficients[0] /= 2
    largest = max(abs(c) for c in values)
    keep = max(i for i, c in enumerate(coefficients) if abs(c) > 1e-18 * largest) + 1
    return to_powers(coefficients[:keep]), np.array([float(v) for v in values])


def horner_error(powers: list[float], f, low: float, high: float, scale: float) -> float:
    xs = np.linspace(low, high, 1000)
    z = 1 / xs
    u = (2 * z - (1 / high + 1 / low)) / (1 / low - 1 / high)
    approximation = np.full_like(u, powers[-1])
    for a in powers[-2::-1]:
        approximation = approximation * u + a
    exact = np.array([float(f(mp.mpf(x))) for x in xs])
    return float(np.max(np.abs(approximation - exact)) / scale)


def main() -> None:
    for n in (0, 1):
        for name, which in (("P", 0), ("Q", 1)):
            print(f"_{name}{n} = (")
            for low, high in JY_PIECES:
                def f(x: mp.mpf, n: int = n, which: int = which) -> mp.mpf:
                    return moduli(n, x)[which]
                powers, _ = fit_in_z(f, low, high)
                error = horner_error(powers, f, low, high, 1.0)  # P is about 1 here
                print(f"    ({low!r}, {high!r}, {tuple(powers)}),  # error {error:.1e}")
            print(")")
        print(f"_S{n} = (")
        for low, high in K_PIECES:
            def f(x: mp.mpf, n: int = n) -> mp.mpf:
                return mp.sqrt(x) * mp.exp(x) * mp.besselk(n, x)
            powers, values = fit_in_z(f, low, high)
            error = horner_error(powers, f, low, high, float(np.max(np.abs(values))))
            print(f"    ({low!r}, {high!r}, {tuple(powers)}),  # error {error:.1e}")
        print(")")


if __name__ == "__main__":
    main()
