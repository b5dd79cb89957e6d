"""The random generator behind tg.randn, tg.rand and nn initialisation.

One generator for the whole library, PyTorch's CPU one (a Mersenne Twister and PyTorch's
samplers, `Stream`), so `tg.manual_seed(n)` gives PyTorch's numbers in every random factory and
every layer initialisation.

Every draw gets its NumPy generator from `generator()` or `numpy_generator()`: the one place
`func.vmap`'s `randomness` is enforced (see `vmap_randomness`). Outside vmap that costs one
attribute test.
"""

from __future__ import annotations

import math
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from tinygrad_np.device import as_device, batch_innermost
from tinygrad_np.errors import TensorError

_DEFAULT_SEED = 67280421310721  # PyTorch's seed of a new torch.Generator()
_STATE_LAYOUT = struct.Struct("<QiiQ624Q3di4xf?3x")  # PyTorch's CPUGeneratorImplState
TORCH_STATE_BYTES = _STATE_LAYOUT.size  # 5056, as torch.get_rng_state() gives it
_LEGACY_STATE_BYTES = 5048  # PyTorch's older THGeneratorState (no float normal cache)


def _mt_key(seed: int) -> np.ndarray:
    """std::mt19937(seed)'s 624 words (PyTorch keeps the low 32 bits of its 64-bit seed)."""
    key = [seed & 0xFFFFFFFF]
    for index in range(1, 624):
        previous = key[-1]
        key.append((1812433253 * (previous ^ (previous >> 30)) + index) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


def _mantissa_bits(dtype: Any) -> int:
    """The bits of a uniform draw in `dtype`: 53 for float64, else 24 (PyTorch's float16
    and bfloat16 draws are float32 ones, rounded)."""
    return 53 if np.dtype(dtype).itemsize > 4 else 24


def fused_multiply_add(a: Any, b: Any, c: Any, whole_below: int = 0) -> np.ndarray:
    """a * b + c rounded once (C's fma, which PyTorch's compiled kernels use), from the exact
    product's two halves (Dekker's split) and an exact sum (Knuth's TwoSum) in float64.
    `whole_below`: b holds whole numbers under it and a is one number, so when a's significant
    bits and whole_below's fit in 53 every product is exact and a plain a * b + c is the fma."""
    a, b, c = (np.asarray(x, dtype=np.float64) for x in (a, b, c))
    with np.errstate(all="ignore"):
        bits = int(abs(math.frexp(a)[0]) * 2.0 ** 53) if whole_below and math.isfinite(a) else 0
        if whole_below and (bits // (bits & -bits or 1)).bit_length() + whole_below.bit_length(
                ) <= 53:
            return a * b + c  # (arange's and float32 linspace's usual case: 10x faster)
        product = a * b
        a_high = a * 134217729.0 - (a * 134217729.0 - a)
        b_high = b * 134217729.0 - (b * 134217729.0 - b)
        a_low, b_low = a - a_high, b - b_high
        product_error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high
                         + a_low * b_low)
        total = product + c
        c_part = total - product
        sum_error = (product - (total - c_part)) + (c - c_part)
        correction = sum_error + product_error
        exact = np.where(correction == 0, total, total + correction)  # (keeps -0.0)
        return np.where(np.isfinite(exact), exact, product + c)  # (overflow: no warning)


# Cephes' single-precision log and sin/cos polynomials, which PyTorch's AVX2 normal_ kernel
# evaluates (8 floats at a time, its multiply-adds fused): the same steps here give its
# float32 normals to the bit (NumPy's float32 log/sin/cos differ in the last bit or two).
_LOG_POLY = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
             1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
             3.3333331174e-1)
_F32 = np.float32


def _fma32(a: Any, b: Any, c: Any) -> np.ndarray:
    """a * b + c of float32 values rounded once (the float64 product is exact)."""
    product = np.asarray(a).astype(np.float64)
    product *= b
    product += c
    return product.astype(_F32)


def _log_f32(x: np.ndarray) -> np.ndarray:
    """log(x) for x in (0, 1] as Cephes' logf: x = m 2**e, m in [sqrt(1/2), sqrt(2))."""
    bits = x.view(np.int32)
    exponent = ((bits >> 23) - 0x7F).astype(_F32) + _F32(1)
    mantissa = ((bits & ~0x7F800000) | 0x3F000000).view(_F32)  # in [0.5, 1)
    small = mantissa < _F32(0.707106781186547524)
    exponent -= small.astype(_F32)
    m = (mantissa - _F32(1)) + np.where(small, mantissa, _F32(0))
    z = m * m
    y = np.full_like(m, _F32(_LOG_POLY[0]))
    for coefficient in _LOG_POLY[1:]:
        y = _fma32(y, m, _F32(coefficient))
    y = _fma32(y * m, z, exponent * _F32(-2.12194440e-4))
    y = _fma32(z, _F32(-0.5), y)
    return _fma32(exponent, _F32(0.693359375), m + y)


def _sincos_f32(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sin x, cos x) for x >= 0 as Cephes' sinf/cosf: reduced by multiples of pi/4."""
    octant = ((x * _F32(1.27323954473516)).astype(np.int32) + 1) & ~1
    y = octant.astype(_F32)
    for part in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        x = _fma32(y, _F32(part), x)
    z = x * x
    cosine = _fma32(np.full_like(z, _F32(2.443315711809948e-5)), z, _F32(-1.388731625493765e-3))
    cosine = _fma32(cosine, z, _F32(4.166664568298827e-2)) * z
    cosine = _fma32(cosine, z, -(z * _F32(0.5))) + _F32(1)
    sine = _fma32(np.full_like(z, _F32(-1.9515295891e-4)), z, _F32(8.3321608736e-3))
    sine = _fma32(sine, z, _F32(-1.6666654611e-1)) * z
    sine = _fma32(sine, x, x)
    swapped = (octant & 2) != 0
    sin = np.where(swapped, cosine, sine)
    cos = np.where(swapped, sine, cosine)
    np.negative(sin, out=sin, where=(octant & 4) != 0)
    np.negative(cos, out=cos, where=((~(octant - 2)) & 4) != 0)
    return sin, cos


def _libm(function: Callable[[float], float], values: np.ndarray) -> np.ndarray:
    """`function` (one of `math`'s: the C library's log, log1p, exp, sin, cos, tan, which
    PyTorch's double kernels call) of each float64 value. NumPy's own float64 log, sin, cos,
    tan and exp differ from the C library's in the last bit for some values (0.1% to 7%)."""
    flat = np.fromiter(map(function, values.ravel().tolist()), np.float64, count=values.size)
    return flat.reshape(values.shape)


def _box_muller_pair(u1: float, u2: float) -> tuple[float, float]:
    """PyTorch's normal_distribution<double> from two uniforms: r cos(theta), r sin(theta)."""
    radius = math.sqrt(-2.0 * math.log1p(-u2))
    theta = 2.0 * math.pi * u1
    return radius * math.cos(theta), radius * math.sin(theta)


# log k! - Stirling's approximation of it, for k = 0..9 (PyTorch's table in its binomial
# sampler); past 9 the series 1/12 - 1/(360 k^2) + 1/(1260 k^4), over k = k + 1.
_STIRLING_TAILS = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                   0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                   0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                   0.00833056343336287)


def _stirling_tail(k: float) -> float:
    if k <= 9:
        return _STIRLING_TAILS[int(k)]
    square = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / square) / square) / (k + 1)


def _stable_order(keys: np.ndarray) -> np.ndarray:
    """np.argsort(keys, kind="stable") of keys in [0, 2**32), as radix passes over 16-bit
    digits (NumPy's stable sort of uint16 is a radix sort: 30x faster than of int64)."""
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    if keys.size and keys.max() > 0xFFFF:
        order = order[np.argsort((keys[order] >> 16).astype(np.uint16), kind="stable")]
    return order


def _swaps_applied(offsets: np.ndarray, n: int) -> np.ndarray:
    """arange(n) after swapping i with target[i] = i + offsets[i] for i = 0 .. n - 2 in turn,
    without a loop: the value that step i takes from its target is the one the last earlier
    step aiming there put down (or the target itself), and what a step puts down is what
    its own position held then: chains of "the last earlier write", followed by pointer
    jumping (each round halves the rest of every chain)."""
    index = np.arange(n)
    if n < 2:
        return index
    target = index.copy()
    target[:n - 1] += offsets
    by_target = _stable_order(target)  # equal targets together, steps in order
    sorted_target = target[by_target]
    repeat = np.r_[False, sorted_target[1:] == sorted_target[:-1]]
    previous_same = np.full(n, -1)  # the last earlier step with the same target
    previous_same[by_target[repeat]] = by_target[np.flatnonzero(repeat) - 1]
    group_end = np.r_[sorted_target[1:] != sorted_target[:-1], True]
    last = np.full(n, -1)  # the last step aiming at each position
    last[sorted_target[group_end]] = by_target[group_end]
    written = np.where(last == index, previous_same[np.maximum(last, 0)], last)  # (before it)
    root = np.where(written >= 0, written, index)
    while not np.array_equal(jumped := root[root], root):
        root = jumped
    return np.where(previous_same >= 0, root[np.maximum(previous_same, 0)], target)


class _ReadAhead:
    """random64() uniforms (and PyTorch's cached normals) for a sampler that reads them one at
    a time: drawn from `stream` a block at a time; `close` puts the Twister back just past the
    ones read, so the draws and the stream after them are those of drawing each one alone
    (about 40x faster than a `unit(1)` call per uniform)."""

    def __init__(self, stream: Stream, hint: int) -> None:
        self.stream, self.size, self.mark = stream, max(hint, 64), None
        self.block: list[float] = []
        self.read = 0

    def uniform(self) -> float:
        if self.read == len(self.block):
            self.mark = self.stream._bits.state
            self.block, self.read = self.stream.unit(self.size, np.float64).tolist(), 0
            self.size *= 2
        self.read += 1
        return self.block[self.read - 1]

    def normal(self) -> float:
        """normal_distribution<double>: the cached sine, else cos of a new pair (sine cached)."""
        if self.stream.normal_cache is not None:
            value, self.stream.normal_cache = self.stream.normal_cache, None
            return value
        u1 = self.uniform()
        value, self.stream.normal_cache = _box_muller_pair(u1, self.uniform())
        return value

    def close(self) -> None:
        if self.read < len(self.block):
            self.stream._bits.state = self.mark
            self.stream.words(2 * self.read)
        self.block, self.read = [], 0


class Stream:
    """PyTorch's CPU generator (`CPUGeneratorImpl`): a Mersenne Twister seeded as
    `std::mt19937(seed)` and PyTorch's ways of turning its 32-bit words into samples, so a
    seed gives PyTorch's numbers. Each method is vectorised NumPy over the words it draws.

    Gamma draws (Gamma, Dirichlet, Beta, Chi2), Poisson and binomial counts follow PyTorch's
    samplers too; any other NumPy sampler comes from a NumPy Generator on the same Twister
    (`__getattr__`): reproducible, not PyTorch's numbers.
    """

    def __init__(self, seed: int = _DEFAULT_SEED, source: Any = None) -> None:
        self._bits = source if source is not None else np.random.MT19937(0)
        self.numpy = np.random.Generator(self._bits)
        self.normal_cache: float | None = None  # PyTorch's cached second Box-Muller sample
        self.seed = seed
        if source is None:
            self.manual_seed(seed)

    def manual_seed(self, seed: int) -> None:
        """Reseed as PyTorch's set_current_seed (the normal cache is dropped too)."""
        self.seed, self.normal_cache = seed, None
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": _mt_key(seed),
                                                                  "pos": 624}}

    def __getattr__(self, name: str) -> Any:
        if name in ("numpy", "_bits"):  # (not yet set: while unpickling)
            raise AttributeError(name)
        return getattr(self.numpy, name)

    @property
    def bit_generator(self) -> Stream:
        """Itself: `.bit_generator.state` saves and restores the whole state (vmap's 'same')."""
        return self

    @property
    def state(self) -> tuple:
        return self._bits.state, self.normal_cache, self.seed

    @state.setter
    def state(self, value: tuple) -> None:
        self._bits.state, self.normal_cache, self.seed = value

    # -- the words ---------------------------------------------------------------------------
    def words(self, count: int) -> np.ndarray:
        """`count` 32-bit outputs (PyTorch's generator->random()), as uint64."""
        raw = self._bits.random_raw(count)
        return raw if isinstance(self._bits, np.random.MT19937) else raw & np.uint64(0xFFFFFFFF)

    def words64(self, count: int) -> np.ndarray:
        """`count` 64-bit outputs (PyTorch's random64(): the first word is the high half)."""
        pairs = self.words(2 * count)
        return (pairs[0::2] << np.uint64(32)) | pairs[1::2]

    def unit(self, count: int, dtype: Any) -> np.ndarray:
        """PyTorch's uniform_real on [0, 1): a float64 takes 53 bits of random64(), a narrower
        float the low `digits` bits of random()."""
        digits = _mantissa_bits(dtype)
        raw = self.words64(count) if digits > 24 else self.words(count)
        kind = np.float64 if digits > 24 else np.float32  # (exact in either)
        values = np.bitwise_and(raw, np.uint64(2**digits - 1), out=raw).astype(kind)
        values *= kind(2.0**-digits)
        return values

    # -- PyTorch's samplers --------------------------------------------------------------------
    def rand(self, shape: Any, dtype: Any = np.float64, low: float = 0.0,
             high: float = 1.0) -> np.ndarray:
        """uniform_(low, high) in `dtype`: x * (high - low) + low, one rounding as PyTorch's
        fused multiply-add (the bounds first rounded to `dtype`)."""
        dtype = np.dtype(dtype)
        shape = () if shape is None else shape
        x = self.unit(int(np.prod(shape, dtype=np.int64)), dtype)
        low_t, high_t = dtype.type(low), dtype.type(high)
        if (low_t != 0 or high_t != 1) and dtype.itemsize > 4:
            x = fused_multiply_add(x, np.float64(high_t - low_t), np.float64(low_t))
        elif low_t != 0 or high_t != 1:  # (a float32 product is exact in float64)
            x = x * np.float64(dtype.type(high_t - low_t))
            x += np.float64(low_t)
        return x.astype(dtype, copy=False).reshape(shape)

    def randn(self, shape: Any, dtype: Any = np.float64, mean: float = 0.0,
              std: float = 1.0) -> np.ndarray:
        """normal_(mean, std): 16 or more values are PyTorch's normal_fill (all uniforms
        first, then Box-Muller on blocks of 16, pairs (i, i + 8), the last block redrawn when
        the size is not a multiple of 16); fewer go one at a time in double precision, every
        other one the sine PyTorch caches."""
        dtype = np.dtype(dtype)
        shape = () if shape is None else shape
        count = int(np.prod(shape, dtype=np.int64))
        if count < 16:  # (x * std + mean: one fma in double, as PyTorch's)
            return fused_multiply_add(self.normals(count), std, mean).astype(dtype).reshape(shape)
        values = np.empty(count, dtype)
        self.normal_into(values, mean, std)
        return values.reshape(shape)

    def normal_into(self, out: np.ndarray, mean: float = 0.0, std: float = 1.0) -> None:
        """PyTorch's normal_fill of 16 or more values, written into `out` (a flat array) a
        chunk at a time (its temporaries stay small): the uniforms drawn in order, blocks of
        16 transformed, and when the size is not a multiple of 16, 16 more uniforms drawn
        for the last 16 values (float16: only the 16, as PyTorch's; float32 arithmetic)."""
        kind = np.float32 if out.dtype.itemsize <= 4 else np.float64
        count = out.size
        whole = count - count % 16
        for start in range(0, whole, 16384):
            stop = min(start + 16384, whole)
            uniforms = self.unit(stop - start, out.dtype).astype(kind)
            out[start:stop] = self._box_muller(uniforms, kind, mean, std)
        if count % 16:
            if out.dtype != np.float16:
                self.unit(count % 16, out.dtype)  # (drawn, then overwritten, as PyTorch's)
            uniforms = self.unit(16, out.dtype).astype(kind)
            out[count - 16:] = self._box_muller(uniforms, kind, mean, std)

    @staticmethod
    def _box_muller(uniforms: np.ndarray, kind: Any, mean: float, std: float) -> np.ndarray:
        blocks = uniforms.reshape(-1, 2, 8)
        if kind is np.float32:  # (PyTorch's AVX2 kernel: its log and sincos, bit for bit)
            radius = np.sqrt(_F32(-2) * _log_f32(_F32(1) - blocks[:, 0]))
            sin, cos = _sincos_f32(_F32(2 * np.pi) * blocks[:, 1])
            out = np.stack([radius * cos, radius * sin], axis=1)
        else:  # (double: the C library's log, cos and sin, as PyTorch's)
            radius = np.sqrt(kind(-2) * _libm(math.log, kind(1) - blocks[:, 0]))
            theta = kind(2 * np.pi) * blocks[:, 1]
            out = np.stack([radius * _libm(math.cos, theta), radius * _libm(math.sin, theta)],
                           axis=1)
        if (std != 1 or mean != 0) and kind is np.float64:  # (one fma, as PyTorch's)
            out = fused_multiply_add(out, kind(std), kind(mean))
        elif std != 1 or mean != 0:
            out = (out.astype(np.float64) * np.float64(kind(std)) + np.float64(kind(mean)))
        return out.astype(kind).reshape(-1)

    def normals(self, count: int) -> np.ndarray:
        """`count` draws of PyTorch's normal_distribution<double>, one at a time there: the
        cached sine first if there is one, then cos and sin of each pair of random64()
        uniforms, the last sine cached when `count` leaves it over."""
        head = [] if self.normal_cache is None or count == 0 else [self.normal_cache]
        if head:
            self.normal_cache = None
        pairs = (count - len(head) + 1) // 2
        u = self.unit(2 * pairs, np.float64).reshape(pairs, 2)
        if pairs <= 64:  # (the C library's log1p, cos and sin, as PyTorch's: bit for bit)
            values = np.array([part for u1, u2 in u.tolist() for part in _box_muller_pair(u1, u2)])
        else:  # (the same functions, a whole array per call)
            radius = np.sqrt(-2.0 * _libm(math.log1p, -u[:, 1]))
            theta = 2.0 * np.pi * u[:, 0]
            values = np.stack([radius * _libm(math.cos, theta), radius * _libm(math.sin, theta)],
                              1).reshape(-1)
        if len(values) > count - len(head):
            self.normal_cache = float(values[-1])
            values = values[:-1]
        return np.concatenate([np.array(head, dtype=np.float64), values])

    def standard_gamma(self, alpha: np.ndarray, dtype: Any) -> np.ndarray:
        """Gamma(alpha, 1) draws, one per entry in C order, as PyTorch's CPU `sample_gamma`
        (Marsaglia and Tsang's rejection method, alpha < 1 boosted to alpha + 1 and scaled
        by u^(1/alpha)) with its uniforms and cached normals, in float64; `dtype` is the
        precision of its alpha arithmetic (float32 alpha: `alpha - 1/3` rounded to float32).
        One entry at a time, as PyTorch's serial kernel draws them."""
        kind = np.dtype(dtype).type
        third, cubic = kind(np.float32(1) / np.float32(3)), float(np.float32(0.0331))
        out = np.empty(np.shape(alpha), np.float64)
        flat, draw = out.reshape(-1), _ReadAhead(self, 3 * out.size)
        try:
            for position, value in enumerate(np.asarray(alpha, kind).reshape(-1).tolist()):
                flat[position] = self._gamma_one(draw, kind(value), kind, third, cubic)
        finally:
            draw.close()
        return out

    @staticmethod
    def _gamma_one(draw: _ReadAhead, alpha: Any, kind: Any, third: Any, cubic: float) -> float:
        if alpha <= 0:  # (0: PyTorch's 0; NaN draws as PyTorch's until accepted: NaN)
            return 0.0
        scale = 1.0
        if alpha < 1:
            scale = (1.0 - draw.uniform()) ** float(kind(1) / alpha)
            alpha = kind(alpha + kind(1))
        d = float(kind(alpha - third))
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            x = draw.normal()
            y = 1.0 + c * x
            if y <= 0:
                continue
            v = y * y * y
            u = 1.0 - draw.uniform()
            xx = x * x
            if u < 1.0 - cubic * xx * xx or math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
                return scale * d * v

    def poisson(self, lam: Any, size: Any = None) -> np.ndarray:
        """Poisson(lam) counts (float64), one per entry in C order, as PyTorch's CPU
        `sample_poisson`: Hoermann's transformed rejection for lam >= 10, else the product of
        uniforms until it falls below exp(-lam); a count past int64 (a rate of inf or past
        2**63) is -2**63 as PyTorch's cast gives. (NumPy's signature: lam broadcast to size.)"""
        rates = np.asarray(lam, np.float64)
        rates = np.broadcast_to(rates, rates.shape if size is None else size)
        out = np.empty(rates.shape, np.float64)
        flat, draw = out.reshape(-1), _ReadAhead(self, 2 * out.size)
        try:
            for position, rate in enumerate(rates.reshape(-1).tolist()):
                flat[position] = (self._poisson_one(draw, rate) if rate < 10
                                  else self._ptrs_one(draw, rate))
        finally:
            draw.close()
        return out

    @staticmethod
    def _poisson_one(draw: _ReadAhead, rate: float) -> int:
        if rate == 0:
            return 0
        floor, count, product = math.exp(-rate), 0, 1.0
        while True:
            product *= draw.uniform()
            if product <= floor:
                return count
            count += 1

    @staticmethod
    def _ptrs_one(draw: _ReadAhead, rate: float) -> int:
        root, log_rate = math.sqrt(rate), math.log(rate)
        b = 0.931 + 2.53 * root
        a = -0.059 + 0.02483 * b
        inv_alpha, v_r = 1.1239 + 1.1328 / (b - 3.4), 0.9277 - 3.6224 / (b - 2)
        while True:
            u, v = draw.uniform() - 0.5, draw.uniform()
            us = 0.5 - abs(u)
            k = (2 * a / us + b) * u + rate + 0.43
            k = math.floor(k) if abs(k) < 2.0 ** 63 else -2 ** 63  # (PyTorch's int64 cast: a
            # rate of inf or past 2**63 gives -2**63)
            if us >= 0.07 and v <= v_r:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b)
                    <= -rate + k * log_rate - math.lgamma(k + 1.0)):
                return k

    def binomial(self, n: Any, p: Any, size: Any = None, dtype: Any = np.float64) -> np.ndarray:
        """Binomial(n, p) counts in `dtype` (the precision of PyTorch's arithmetic on n and p),
        one per entry in C order, as PyTorch's CPU `sample_binomial`: inversion (geometric
        waiting times) when n min(p, 1 - p) < 10, else BTRS (Hoermann's transformed
        rejection); p > 1/2 draws the failures. (NumPy's signature, plus the dtype.)"""
        kind = np.dtype(dtype).type
        counts, probs = np.broadcast_arrays(np.asarray(n, kind), np.asarray(p, kind))
        if size is not None:
            counts, probs = np.broadcast_to(counts, size), np.broadcast_to(probs, size)
        out = np.empty(counts.shape, kind)
        flat, draw = out.reshape(-1), _ReadAhead(self, 2 * out.size)
        try:
            for position, (count, prob) in enumerate(zip(counts.reshape(-1), probs.reshape(-1))):
                flat[position] = self._binomial_one(draw, count, prob, kind)
        finally:
            draw.close()
        return out

    def _binomial_one(self, draw: _ReadAhead, count: Any, prob: Any, kind: Any) -> Any:
        if count <= 0 or prob <= 0:
            return kind(0)
        if prob >= 1:
            return count
        if prob != prob or count != count:  # NaN (PyTorch: NaN for a NaN prob)
            return kind(np.nan)
        failures = prob > 0.5
        q = kind(kind(1) - prob) if failures else prob
        drawn = self._btrs(draw, count, q, kind) if kind(count * q) >= 10 else self._inversion(
            draw, count, q, kind)
        return kind(count - drawn) if failures else drawn

    @staticmethod
    def _inversion(draw: _ReadAhead, count: Any, prob: Any, kind: Any) -> Any:
        waited, successes, log_q = 0.0, kind(0), float(np.log1p(-prob))
        while True:
            waited += math.ceil(math.log(draw.uniform()) / log_q)
            if waited > count:
                return successes
            successes = kind(successes + kind(1))

    @staticmethod
    def _btrs(draw: _ReadAhead, count: Any, prob: Any, kind: Any) -> Any:
        spread = float(np.sqrt(kind(kind(count * prob) * kind(kind(1) - prob))))
        b = 1.15 + 2.53 * spread
        a = -0.0873 + 0.0248 * b + 0.01 * float(prob)
        c, v_r = float(kind(count * prob)) + 0.5, 0.92 - 4.2 / b
        r, alpha = float(kind(prob / kind(kind(1) - prob))), (2.83 + 5.1 / b) * spread
        m, n = math.floor(float(kind(kind(count + kind(1)) * prob))), float(count)
        while True:
            u, v = draw.uniform() - 0.5, draw.uniform()
            us = 0.5 - abs(u)
            k = kind(math.floor((2 * a / us + b) * u + c))
            if k < 0 or k > count:
                continue
            if us >= 0.07 and v <= v_r:
                return k
            rest = float(kind(kind(count - k) + kind(1)))
            bound = ((m + 0.5) * math.log((m + 1) / (r * (n - m + 1)))
                     + (n + 1) * math.log((n - m + 1) / rest)
                     + (float(k) + 0.5) * math.log(r * rest / float(kind(k + kind(1))))
                     + _stirling_tail(m) + _stirling_tail(n - m) - _stirling_tail(float(k))
                     - _stirling_tail(float(kind(count - k))))
            if math.log(v * alpha / (a / (us * us) + b)) <= bound:
                return k

    def integers_from(self, low: int, span: int, shape: Any, dtype: Any = np.int64) -> np.ndarray:
        """random_(low, low + span) / randint: (word % span) + low, the word from random64()
        when span >= 2**28 (PyTorch's bound on the modulo's skew, any dtype), else random()."""
        dtype = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64))
        wide = span >= 2**28
        raw = self.words64(count) if wide else self.words(count).astype(np.uint32)  # (its
        values = (raw % raw.dtype.type(span)).astype(np.int64)  # remainder: twice as fast)
        values += np.int64(low)
        return values.astype(dtype, copy=False).reshape(shape)

    def random_bits(self, shape: Any, dtype: Any) -> np.ndarray:
        """random_() with no bounds: [0, 2**mantissa] for a float, [0, max] for an integer
        (int64 and float64 from random64()), a bool the lowest bit."""
        dtype = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64))
        if dtype.kind == "b":
            return (self.words(count) & np.uint64(1)).astype(bool).reshape(shape)
        wide = dtype in (np.int64, np.float64)
        raw = self.words64(count) if wide else self.words(count)
        digits = np.finfo(dtype).nmant + 1 if dtype.kind == "f" else 0
        top = np.iinfo(dtype).max + 1 if dtype.kind in "iu" else 2**digits + 1
        return (raw % np.uint64(top)).astype(dtype).reshape(shape)

    def randperm(self, n: int) -> np.ndarray:
        """PyTorch's CPU randperm: a Fisher-Yates pass swapping i with i + random() % (n - i)
        (random64() % (i + 1), inside out, once n reaches 2**32 / 20)."""
        if n >= 0xFFFFFFFF // 20:
            picks = (self.words64(n) % np.arange(1, n + 1, dtype=np.uint64)).tolist()
            order = list(range(n))
            for i, z in enumerate(picks):
                order[i], order[z] = order[z], i
            return np.array(order, dtype=np.int64)
        offsets = self.words(n - 1) % np.arange(n, 1, -1, dtype=np.uint64) if n > 1 else ()
        return _swaps_applied(np.asarray(offsets, dtype=np.int64), n)

    def standard_cauchy(self, size: Any) -> np.ndarray:
        """cauchy_ (before median + sigma * x): tan(pi * (u - 0.5)), u from random64()."""
        u = self.unit(int(np.prod(size, dtype=np.int64)), np.float64)
        return _libm(math.tan, np.pi * (u - 0.5)).reshape(size)

    def geometric(self, p: float, size: Any) -> np.ndarray:
        """geometric_: ceil(log(u) / log1p(-p)), u from random64()."""
        u = self.unit(int(np.prod(size, dtype=np.int64)), np.float64)
        return np.ceil(_libm(math.log, u) / math.log1p(-p)).reshape(size)

    def lognormal(self, mean: float, sigma: float, size: Any) -> np.ndarray:
        """log_normal_: exp of PyTorch's one-at-a-time normal draws."""
        count = int(np.prod(size, dtype=np.int64))
        return _libm(math.exp, fused_multiply_add(self.normals(count), sigma, mean)).reshape(size)

    def exponential_(self, lambd: float, shape: Any) -> np.ndarray:
        """exponential_(lambd) in float64: -1 / lambd * log1p(-u), u from random64()."""
        u = self.unit(int(np.prod(shape, dtype=np.int64)), np.float64)
        return (-1.0 / lambd * _libm(math.log1p, -u)).reshape(shape)

    def bernoulli(self, p: Any, shape: Any = None) -> np.ndarray:
        """bernoulli_: u < p, u drawn in p's float dtype (a Python float p: float64, as
        PyTorch's default CPU kernel; its MKL kernel on Intel CPUs draws otherwise)."""
        if shape is None:  # a tensor of probabilities
            p = np.asarray(p)
            return self.unit(p.size, p.dtype).reshape(p.shape) < p
        bits = self.words64(int(np.prod(shape, dtype=np.int64))) & np.uint64(2**53 - 1)
        return (bits < np.uint64(math.ceil(float(p) * 2.0**53))).reshape(shape)  # (u < p)

    # -- NumPy's names, on PyTorch's samplers (for code written against np.random.Generator)
    def random(self, size: Any = None, dtype: Any = np.float64, out: Any = None) -> Any:
        values = self.rand(size, dtype)
        return values if size is not None else values[()]

    def standard_normal(self, size: Any = None, dtype: Any = np.float64, out: Any = None) -> Any:
        values = self.randn(size, dtype)
        return values if size is not None else values[()]

    def permutation(self, x: Any) -> np.ndarray:
        if isinstance(x, (int, np.integer)):
            return self.randperm(int(x))
        array = np.asarray(x)
        return array[self.randperm(len(array))]


def in_memory_order(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Flat draws laid out so that `like`'s memory (a strided view) receives them in order, as
    PyTorch's kernels fill a non-contiguous tensor (dims visited by decreasing stride). A
    conv or pooling result stored batch innermost is PyTorch's contiguous one: row-major."""
    if batch_innermost(like):
        return values.reshape(like.shape)
    order = sorted(range(like.ndim), key=lambda axis: -abs(like.strides[axis]))
    laid = values.reshape([like.shape[axis] for axis in order])
    return laid.transpose(np.argsort(order))


def permuted_dense(array: np.ndarray) -> bool:
    """True for a non-contiguous array without overlaps whose strides are not in row-major
    order (a transposed or permuted tensor, sliced or not): PyTorch's `empty_like` keeps the
    order of its strides, so a `*_like` draw or a dropout mask on it is filled in memory
    order (dims by decreasing stride)."""
    if array.flags.c_contiguous or batch_innermost(array):
        return False
    steps = [step for step, size in zip(array.strides, array.shape) if size > 1]
    # a row-major slice (x[:, :2], x[:, 0]): PyTorch's empty_like keeps the order of the
    # strides without the gaps, so its result is contiguous (randn_like draws as for one)
    return all(step > 0 for step in steps) and len(set(steps)) == len(steps) and (
        steps != sorted(steps, reverse=True))


def drawn_like(draw: Callable[[tuple], np.ndarray], like: np.ndarray,
               shape: tuple[int, ...]) -> np.ndarray:
    """draw(shape); when `shape` is `like`'s and `like` is a permuted or sliced view, the
    draws fill like's memory in order, as PyTorch's kernels fill `empty_like(like)`."""
    if tuple(shape) == like.shape and permuted_dense(like):
        return in_memory_order(draw((like.size,)), like)
    return draw(shape)


def filled_in_memory_order(draw: Callable[[tuple], np.ndarray], target: np.ndarray
                           ) -> np.ndarray:
    """draw(shape) for an in-place fill of `target`: a non-contiguous one (a view) receives
    the draws in its memory order, as PyTorch's kernels visit it."""
    if target.flags.c_contiguous:
        return draw(target.shape)
    return in_memory_order(draw((target.size,)), target)


def as_stream(source: Any) -> Stream:
    """A NumPy Generator (or bit generator) given as `generator=` seen as a Stream drawing its
    words from it (a 64-bit bit generator's low 32 bits)."""
    bits = source.bit_generator if isinstance(source, np.random.Generator) else source
    stream = Stream(source=bits)
    stream.numpy = source if isinstance(source, np.random.Generator) else stream.numpy
    return stream


_generator = Stream(int(np.random.SeedSequence().entropy % 2**63))  # random until seeded


def _seed_value(seed: Any) -> int:
    """PyTorch's seeds: int(seed) in [-2**63, 2**64); a negative one wraps to 2**64 + seed."""
    value = int(seed)
    if not -(2**63) <= value < 2**64:
        raise TensorError(f"manual_seed: the seed {value} is outside [-2**63, 2**64) "
                         "(PyTorch: Overflow when unpacking long long)")
    return value % 2**64


def manual_seed(seed: int) -> Generator:
    """Reseed the library's generator; returns it as a Generator (PyTorch's default
    generator: `.initial_seed()`, `.get_state()`, and usable as `generator=`)."""
    _generator.manual_seed(_seed_value(seed))
    return default_generator


def fresh_state(seed: int) -> Stream:
    """A state of the library's generator seeded with `seed`, for swap_state."""
    return Stream(_seed_value(seed))


def swap_state(state: Stream) -> Stream:
    """Make `state` (from fresh_state or swap_state) the library's generator and return the one
    it replaces: a DataLoader worker draws from its own generator while it runs."""
    global _generator
    previous, _generator = _generator, state
    return previous


def seed() -> int:
    """Reseed the library's generator from fresh entropy; returns the new seed."""
    new_seed = int(np.random.SeedSequence().entropy % 2**63)
    manual_seed(new_seed)
    return new_seed


def initial_seed() -> int:
    """The seed the library's generator was last seeded with (random until manual_seed)."""
    return _generator.seed


def generator() -> Stream:
    """The generator random factories and initialisers draw from."""
    if _vmap.levels:
        _drawing(_generator)
    return _generator


class _Vmap(threading.local):
    levels: tuple = ()  # per vmap running in this thread: (randomness, {id: (gen, state)})


_vmap = _Vmap()


def in_vmap() -> bool:
    """True while func.vmap runs its slices (in this thread)."""
    return bool(_vmap.levels)


_RANDOM_IN_VMAP = ("vmap: called random operation while in randomness error mode. Please "
                   "either use the 'same' or 'different' randomness flags on vmap or perform "
                   "the randomness operation out of vmap")


def _drawing(source: Stream) -> None:
    """A random op is about to draw from `source` inside vmap: PyTorch's error under
    randomness='error'; under 'same', the state it starts from is noted (once per vmap)."""
    for randomness, states in _vmap.levels:
        if randomness == "error":
            raise RuntimeError(_RANDOM_IN_VMAP)
        if randomness == "same" and id(source) not in states:
            states[id(source)] = (source, source.bit_generator.state)


@contextmanager
def vmap_randomness(randomness: str) -> Iterator[Callable[[], None]]:
    """The context func.vmap runs its slices in; it yields `restart`, called before each
    slice after the first: under 'same' it puts every generator drawn from back where the
    first slice found it, so each slice draws the same values ('different': each its own)."""
    if randomness not in ("error", "same", "different"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    level: tuple = (randomness, {})
    previous = _vmap.levels
    _vmap.levels = (*previous, level)

    def restart() -> None:
        for source, state in level[1].values():
            source.bit_generator.state = state

    try:
        yield restart
    finally:
        _vmap.levels = previous


def _state_bytes(stream: Stream) -> Any:
    """A generator's state as PyTorch's 5056-byte CPUGeneratorImplState in a uint8 tensor (a
    state saved by PyTorch resumes the same stream here, and the other way round)."""
    from tinygrad_np.tensor import Tensor  # noqa: PLC0415  (rng sits below tensor)

    twister = stream._bits.state["state"]
    position = int(twister["pos"])
    key = np.asarray(twister["key"], dtype=np.uint64)
    fresh = position == 624 and np.array_equal(key, _mt_key(stream.seed))
    following = 0 if fresh else position  # (PyTorch's `next` word; `left` counts down to 1)
    cache = stream.normal_cache
    packed = _STATE_LAYOUT.pack(stream.seed, 625 - position, 1, following, *key.tolist(), 0.0,
                                0.0 if cache is None else cache, 0.0, cache is not None,
                                0.0, False)
    return Tensor(np.frombuffer(packed, dtype=np.uint8).copy())


def _restore(stream: Stream, state: Any) -> None:
    """Load PyTorch's CPU generator state (from get_rng_state here or in PyTorch)."""
    array = np.asarray(state._data if hasattr(state, "_data") else state)
    if array.dtype != np.uint8 or array.ndim != 1:
        raise TypeError("set_rng_state: expected the uint8 tensor get_rng_state() returned "
                        "(PyTorch: RNG state must be a torch.ByteTensor)")
    if array.size not in (TORCH_STATE_BYTES, _LEGACY_STATE_BYTES):
        raise RuntimeError(f"set_rng_state: expected either a THGeneratorState of size "
                           f"{_LEGACY_STATE_BYTES} or a CPUGeneratorImplState of size "
                           f"{TORCH_STATE_BYTES} but found the input RNG state size to be "
                           f"{array.size}")
    data = array.tobytes() + bytes(TORCH_STATE_BYTES - array.size)
    fields = _STATE_LAYOUT.unpack(data)
    seed, left, following, key = fields[0], fields[1], fields[3], fields[4:628]
    if not 1 <= left <= 624 or following > 624:
        raise RuntimeError("set_rng_state: not a valid Mersenne Twister state (left must be in "
                           f"[1, 624], next at most 624; got left={left}, next={following})")
    position = 624 if left == 1 else following
    stream._bits.state = {"bit_generator": "MT19937",
                          "state": {"key": np.array(key, dtype=np.uint64).astype(np.uint32),
                                    "pos": position}}
    stream.seed = seed
    stream.normal_cache = fields[629] if fields[631] else None


def get_rng_state() -> Any:
    """The library generator's state (PyTorch's 5056-byte layout), for set_rng_state."""
    return _state_bytes(_generator)


def set_rng_state(new_state: Any) -> None:
    """Restore the library generator's state from get_rng_state() (here or PyTorch's)."""
    _restore(_generator, new_state)


class Generator:
    """PyTorch's `torch.Generator`: a seedable source of randomness of its own, PyTorch's CPU
    generator (`tg.Generator().manual_seed(42)` draws PyTorch's numbers; before any seed it
    is seeded with PyTorch's default, 67280421310721). `.numpy` is its `Stream`."""

    def __init__(self, device: Any = "cpu") -> None:
        as_device(device, "Generator")  # (another device: PyTorch's RuntimeError)
        self.numpy = Stream(_DEFAULT_SEED)
        self._device = device

    @property
    def device(self) -> Any:
        """The device the generator draws for: always the CPU (a `tg.device`)."""
        return as_device(getattr(self, "_device", "cpu"), "Generator")

    def clone_state(self) -> Generator:
        """A new Generator in this one's state (the same seed and the same next draws)."""
        clone = Generator()
        clone.numpy.state = self.numpy.state
        return clone

    def manual_seed(self, seed: int) -> Generator:
        """Reseed; returns self (so `tg.Generator().manual_seed(0)` reads as in PyTorch). The
        seed is an int: a float, bool or tensor is PyTorch's RuntimeError (the module-level
        manual_seed converts with int(), as PyTorch's does)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        self.numpy.manual_seed(_seed_value(seed))
        return self

    def initial_seed(self) -> int:
        """The last seed given to manual_seed (PyTorch's default seed, 67280421310721, before
        any)."""
        return self.numpy.seed

    def get_state(self) -> Any:
        """This generator's state as PyTorch's 5056-byte uint8 tensor (for set_state)."""
        return _state_bytes(self.numpy)

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state from get_state() (here or PyTorch's); returns self."""
        _restore(self.numpy, new_state)
        return self

    def get_offset(self) -> int:
        """PyTorch's CPU generators have no offset (a Philox counter of CUDA's): raises."""
        raise RuntimeError("CPU Generator does not use offset")

    def set_offset(self, offset: int) -> Generator:
        """PyTorch's CPU generators have no offset: raises."""
        raise RuntimeError("CPU Generator does not use offset")

    def graphsafe_get_state(self) -> Generator:
        """CUDA-graph-safe state, which a CPU generator does not support: raises."""
        raise NotImplementedError("graphsafe_get_state is not supported in this Generator")

    def graphsafe_set_state(self, state: Generator) -> Generator:
        """CUDA-graph-safe state, which a CPU generator does not support: raises."""
        raise NotImplementedError("graphsafe_set_state is not supported in this Generator")

    def seed(self) -> int:
        """Reseed from fresh entropy; returns the seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % 2**63))
        return self.numpy.seed


def numpy_generator(source: Generator | np.random.Generator | None) -> Stream:
    """The Stream behind `source` (a tg.Generator, or a NumPy Generator whose words it draws);
    None means the library's global one."""
    if source is None:
        chosen = _generator
    elif isinstance(source, Generator):
        chosen = source.numpy
    elif isinstance(source, np.random.Generator):
        chosen = as_stream(source)
    else:
        raise TypeError(f"generator: expected a tg.Generator or np.random.Generator, "
                        f"got {type(source).__name__}")
    if _vmap.levels:
        _drawing(chosen)
    return chosen


def number_text(value: Any) -> str:
    """A parameter as PyTorch's messages print it (`-1`, `0.5`, `1e-10`)."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def uniform(generator: Stream, low: float, high: float, shape: Any, dtype: Any) -> np.ndarray:
    """Samples of U[low, high) in `dtype`, as PyTorch's uniform_ draws them; one that rounds
    up to `high` becomes `low`, as PyTorch's (the interval is half-open)."""
    if not high >= low:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={number_text(low)} > to={number_text(high)}")
    dtype = np.dtype(dtype)
    for name, bound in (("from", low), ("to", high)):
        if dtype.kind == "f" and not abs(bound) <= np.finfo(dtype).max:  # (PyTorch's check)
            raise RuntimeError(f"{name} is out of bounds for {dtype}")
    values = generator.rand(shape, dtype, low, high)
    if dtype.kind == "f" and high > low:
        values[values == dtype.type(high)] = dtype.type(low)
    return values


class _DefaultGenerator(Generator):
    """The library's own generator seen as a Generator (PyTorch's `torch.default_generator`):
    it draws from, and reseeds, the one every random factory uses."""

    def __init__(self) -> None:  # (no state of its own)
        pass

    @property
    def numpy(self) -> Stream:  # type: ignore[override]
        return _generator

    def manual_seed(self, seed: int) -> Generator:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        return manual_seed(seed)


default_generator = _DefaultGenerator()

