# ruff: noqa: E501  (the cases are a table: one case per line reads best)
"""Session 27's slow-path table: the cases the brief names (LSTM over whole sequences, small
convolutions, scatter_reduce amax, gather/roll/unbind/ctc_loss overhead, DataLoader workers,
renorm) and ~40 everyday pieces of CNN/RNN/transformer training steps.

    python benchmarks/slow_paths3.py            # every case, a Markdown table with tg/torch ratios
    python benchmarks/slow_paths3.py lstm conv  # only the cases whose name contains a word

Same method as `benchmarks/sweep.py` (whose timing loop it reuses): one thread for NumPy's
BLAS and PyTorch, the libraries in turns, median CPU ms of forward + backward (fresh leaves).
The DataLoader rows measure the wall clock (worker processes' CPU is not the parent's).
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sweep  # noqa: E402  (sets the thread variables before NumPy loads)
from sweep import RNG, F, case, randn  # noqa: E402

sweep.CASES.clear()
feat = randn(64, 16, 16, 16)


def _lstm(hidden: int, layers: int = 1, bidirectional: bool = False):
    def run(L, x):
        L.manual_seed(0)
        layer = L.nn.LSTM(x.shape[-1], hidden, num_layers=layers, bidirectional=bidirectional, batch_first=True)
        return layer(x)
    return run


# recurrent layers over whole sequences (parameters made inside: PyTorch pays the same)
case("LSTM h64 seq20 b32", (randn(32, 20, 32),), _lstm(64))
case("LSTM h128 seq50 b32", (randn(32, 50, 64),), _lstm(128))
case("LSTM h256 seq100 b16", (randn(16, 100, 128),), _lstm(256))
case("LSTM 2 layers h128 seq50", (randn(32, 50, 64),), _lstm(128, 2))
case("LSTM bidir h64 seq100", (randn(32, 100, 64),), _lstm(64, 1, True))
case("LSTM 2 layers bidir h128 seq100", (randn(32, 100, 64),), _lstm(128, 2, True))
case("GRU h128 seq50", (randn(32, 50, 64),), lambda L, x: (L.manual_seed(0), L.nn.GRU(64, 128, batch_first=True)(x))[1])
# convolutions
w33 = randn(16, 16, 3, 3)
case("conv2d 3x3 16->16 b64", (feat, w33), lambda L, x, w: F(L).conv2d(x, w, padding=1))
case("conv2d 3x3 16->16 b1", (randn(1, 16, 16, 16), w33), lambda L, x, w: F(L).conv2d(x, w, padding=1))
case("conv2d 3x3 same b64", (feat, w33), lambda L, x, w: F(L).conv2d(x, w, padding="same"))
case("conv2d 3x3 s2 b64", (feat, w33), lambda L, x, w: F(L).conv2d(x, w, stride=2, padding=1))
case("conv2d 1x1 b64", (feat, randn(32, 16, 1, 1)), lambda L, x, w: F(L).conv2d(x, w))
case("conv2d depthwise 3x3 b64", (feat, randn(16, 1, 3, 3)), lambda L, x, w: F(L).conv2d(x, w, padding=1, groups=16))
case("conv2d 3x3 + bias 3->32 32x32 b64", (randn(64, 3, 32, 32), randn(32, 3, 3, 3), randn(32)), lambda L, x, w, b: F(L).conv2d(x, w, b, padding=1))
case("conv1d k3 32->32 b64", (randn(64, 32, 128), randn(32, 32, 3)), lambda L, x, w: F(L).conv1d(x, w, padding=1))
case("conv1d k3 b1", (randn(1, 32, 128), randn(32, 32, 3)), lambda L, x, w: F(L).conv1d(x, w, padding=1))
case("conv_transpose2d 4x4 s2 b64", (feat, randn(16, 8, 4, 4)), lambda L, x, w: F(L).conv_transpose2d(x, w, stride=2, padding=1))
case("nn.Conv2d module 16->16", (feat,), lambda L, x: (L.manual_seed(0), L.nn.Conv2d(16, 16, 3, padding=1)(x))[1])
# indexing-flavoured ops where per-op overhead shows
x2, idx256 = randn(64, 256), RNG.integers(0, 256, (64, 256))
case("scatter_reduce amax", (x2, idx256, randn(64, 256)), lambda L, x, i, s: x.scatter_reduce(1, i, s, "amax"))
case("scatter_reduce amax small", (randn(8, 16), RNG.integers(0, 16, (8, 16)), randn(8, 16)), lambda L, x, i, s: x.scatter_reduce(1, i, s, "amax"))
case("scatter_reduce amin include_self=False", (x2, idx256, randn(64, 256)), lambda L, x, i, s: x.scatter_reduce(1, i, s, "amin", include_self=False))
case("gather small", (randn(8, 16), RNG.integers(0, 16, (8, 4))), lambda L, x, i: x.gather(1, i))
case("gather", (x2, idx256), lambda L, x, i: x.gather(1, i))
case("roll small", (randn(8, 16),), lambda L, x: x.roll(3, 1))
case("roll", (feat,), lambda L, x: x.roll(3, 2))
case("unbind 16 small", (randn(16, 8),), lambda L, x: L.stack(x.unbind(0), 1))
case("unbind 128", (randn(128, 256),), lambda L, x: L.stack([r.sum() for r in x.unbind(0)]))
_ctc_t = RNG.integers(1, 20, (16, 20))
case("ctc_loss", (randn(50, 16, 20), _ctc_t), lambda L, x, t: F(L).ctc_loss(x.log_softmax(2), t, [50] * 16, [20] * 16))
case("ctc_loss small", (randn(12, 2, 5), RNG.integers(1, 5, (2, 4))), lambda L, x, t: F(L).ctc_loss(x.log_softmax(2), t, [12, 12], [4, 3]))
case("renorm", (randn(64, 256),), lambda L, x: x.renorm(2, 0, 1.0))
case("renorm small", (randn(8, 16),), lambda L, x: x.renorm(2, 1, 0.5))
# everyday pieces of training steps
emb_ids = RNG.integers(0, 1000, (32, 50))
case("embedding 1000x128", (randn(1000, 128), emb_ids), lambda L, w, i: F(L).embedding(i, w))
case("embedding padding_idx", (randn(1000, 128), emb_ids), lambda L, w, i: F(L).embedding(i, w, padding_idx=0))
case("layer_norm (32,50,256)", (randn(32, 50, 256), randn(256), randn(256)), lambda L, x, w, b: F(L).layer_norm(x, (256,), w, b))
case("layer_norm small (4,16)", (randn(4, 16), randn(16), randn(16)), lambda L, x, w, b: F(L).layer_norm(x, (16,), w, b))
case("softmax dim -1", (randn(64, 8, 64, 64),), lambda L, x: F(L).softmax(x, -1))
case("softmax dim 1", (randn(64, 10, 32, 32),), lambda L, x: F(L).softmax(x, 1))
case("log_softmax dim -1", (randn(256, 1000),), lambda L, x: F(L).log_softmax(x, -1))
case("log_softmax dim 0", (randn(256, 1000),), lambda L, x: F(L).log_softmax(x, 0))
case("sdpa (32,4,64,32)", (randn(32, 4, 64, 32), randn(32, 4, 64, 32), randn(32, 4, 64, 32)), lambda L, q, k, v: F(L).scaled_dot_product_attention(q, k, v))
case("sdpa causal", (randn(32, 4, 64, 32), randn(32, 4, 64, 32), randn(32, 4, 64, 32)), lambda L, q, k, v: F(L).scaled_dot_product_attention(q, k, v, is_causal=True))
case("sdpa small (2,2,8,4)", (randn(2, 2, 8, 4), randn(2, 2, 8, 4), randn(2, 2, 8, 4)), lambda L, q, k, v: F(L).scaled_dot_product_attention(q, k, v))
case("batch_norm train", (feat, randn(16), randn(16)), lambda L, x, w, b: F(L).batch_norm(x, L.zeros(16), L.ones(16), w, b, training=True))
case("batch_norm eval", (feat, randn(16), randn(16)), lambda L, x, w, b: F(L).batch_norm(x, L.zeros(16), L.ones(16), w, b, training=False))
case("BatchNorm2d module train", (feat,), lambda L, x: L.nn.BatchNorm2d(16)(x))
case("batch_norm1d small (8,16)", (randn(8, 16), randn(16), randn(16)), lambda L, x, w, b: F(L).batch_norm(x, L.zeros(16), L.ones(16), w, b, training=True))
case("max_pool2d 2", (feat,), lambda L, x: F(L).max_pool2d(x, 2))
case("max_pool2d 3 s2 p1", (feat,), lambda L, x: F(L).max_pool2d(x, 3, 2, 1))
case("avg_pool2d 2", (feat,), lambda L, x: F(L).avg_pool2d(x, 2))
case("adaptive_avg_pool2d 1", (feat,), lambda L, x: F(L).adaptive_avg_pool2d(x, 1))
case("adaptive_avg_pool2d 7", (feat,), lambda L, x: F(L).adaptive_avg_pool2d(x, 7))
case("interpolate nearest x2", (feat,), lambda L, x: F(L).interpolate(x, scale_factor=2))
case("interpolate bilinear x2", (feat,), lambda L, x: F(L).interpolate(x, scale_factor=2, mode="bilinear", align_corners=False))
case("dropout train", (randn(64, 1024),), lambda L, x: F(L).dropout(x, 0.1, training=True))
case("dropout2d", (feat,), lambda L, x: F(L).dropout2d(x, 0.1, training=True))
tgt = RNG.integers(0, 100, (256,))
tgt[::7] = -100
case("cross_entropy", (randn(256, 100), RNG.integers(0, 100, (256,))), lambda L, x, t: F(L).cross_entropy(x, t))
case("cross_entropy ignore_index", (randn(256, 100), tgt), lambda L, x, t: F(L).cross_entropy(x, t, ignore_index=-100))
case("cross_entropy label_smoothing", (randn(256, 100), RNG.integers(0, 100, (256,))), lambda L, x, t: F(L).cross_entropy(x, t, label_smoothing=0.1))
case("cross_entropy (N,C,L)", (randn(32, 20, 50), RNG.integers(0, 20, (32, 50))), lambda L, x, t: F(L).cross_entropy(x, t))
case("nll_loss", (randn(256, 100), RNG.integers(0, 100, (256,))), lambda L, x, t: F(L).nll_loss(x.log_softmax(1), t))
case("mse_loss", (randn(256, 100), randn(256, 100)), lambda L, x, y: F(L).mse_loss(x, y))
case("bce_with_logits", (randn(256, 100), (RNG.random((256, 100)) < 0.5).astype("float32")), lambda L, x, y: F(L).binary_cross_entropy_with_logits(x, y))
case("gelu", (randn(64, 1024),), lambda L, x: F(L).gelu(x))
case("silu", (randn(64, 1024),), lambda L, x: F(L).silu(x))
case("relu", (randn(64, 1024),), lambda L, x: F(L).relu(x))
case("leaky_relu", (randn(64, 1024),), lambda L, x: F(L).leaky_relu(x, 0.1))
case("tanh small", (randn(8, 16),), lambda L, x: x.tanh())
case("linear (64,512)->256", (randn(64, 512), randn(256, 512), randn(256)), lambda L, x, w, b: F(L).linear(x, w, b))
case("linear small", (randn(8, 16), randn(4, 16), randn(4)), lambda L, x, w, b: F(L).linear(x, w, b))
case("flatten + view", (feat,), lambda L, x: x.flatten(1).view(64, 16, -1))
case("permute + contiguous", (feat,), lambda L, x: x.permute(0, 2, 3, 1).contiguous())
case("cat 4 pieces", (feat, feat, feat, feat), lambda L, a, b, c, d: L.cat([a, b, c, d], 1))
case("pad reflect", (feat,), lambda L, x: F(L).pad(x, (1, 1, 1, 1), mode="reflect"))
case("masked_fill", (randn(64, 8, 64, 64), RNG.random((64, 64)) < 0.5), lambda L, x, m: x.masked_fill(m, -1e9))
case("normalize dim 1", (randn(256, 128),), lambda L, x: F(L).normalize(x, dim=1))
case("cosine_similarity", (randn(256, 128), randn(256, 128)), lambda L, x, y: F(L).cosine_similarity(x, y))
case("argmax + eq + mean (accuracy)", (randn(256, 100), RNG.integers(0, 100, (256,))), lambda L, x, t: (x.argmax(1) == t).float().mean())


# training-loop pieces with state kept per library
_STATE: dict = {}
_SHAPES = [(128, 64), (128,), (64, 3, 3, 3), (64,), (32, 32)] * 10  # 50 tensors


def _params(L):
    key = ("params", L.__name__)
    if key not in _STATE:
        params = [L.nn.Parameter(L.tensor(randn(*shape))) for shape in _SHAPES]
        for p in params:
            p.grad = L.tensor(randn(*p.shape) * 1e-2)
        _STATE[key] = params
    return _STATE[key]


def _stateful(name: str, make, act) -> None:
    def run(L):
        key = (name, L.__name__)
        if key not in _STATE:
            _STATE[key] = make(L, _params(L))
        act(L, _STATE[key])
        return L.zeros(())
    case(name, (), run)


_stateful("Adam step 50 params", lambda L, ps: L.optim.Adam(ps, lr=1e-3), lambda L, o: o.step())
_stateful("AdamW step 50 params", lambda L, ps: L.optim.AdamW(ps, lr=1e-3), lambda L, o: o.step())
_stateful("SGD momentum step 50 params", lambda L, ps: L.optim.SGD(ps, lr=1e-3, momentum=0.9), lambda L, o: o.step())
case("clip_grad_norm_ 50 params", (), lambda L: L.nn.utils.clip_grad_norm_(_params(L), 1.0).detach())


def _zero_grad(L, opt):
    opt.zero_grad()
    for p, shape in zip(_params(L), _SHAPES):
        p.grad = L.zeros(shape)


_stateful("zero_grad 50 params (+ regrad)", lambda L, ps: L.optim.SGD(ps, lr=1e-3), _zero_grad)


def _model(L):
    key = ("model", L.__name__)
    if key not in _STATE:
        L.manual_seed(0)
        _STATE[key] = L.nn.Sequential(L.nn.Conv2d(3, 16, 3, padding=1), L.nn.BatchNorm2d(16), L.nn.ReLU(),
                                      L.nn.Flatten(), L.nn.Linear(16 * 8 * 8, 10))
    return _STATE[key]


case("state_dict copy (deepcopy)", (), lambda L: (__import__("copy").deepcopy(_model(L).state_dict()), L.zeros(()))[1])
case("load_state_dict", (), lambda L: (_model(L).load_state_dict(_model(L).state_dict()), L.zeros(()))[1])
case("small CNN train step b32", (randn(32, 3, 8, 8), RNG.integers(0, 10, (32,))),
     lambda L, x, t: F(L).cross_entropy(_model(L)(x.detach()), t))


def _loader_case(workers: int, size: int):
    data = (randn(size, 3, 8, 8), RNG.integers(0, 10, (size,)))

    def run(L):
        x, y = L.tensor(data[0]), L.tensor(data[1])
        loader = L.utils.data.DataLoader(L.utils.data.TensorDataset(x, y), batch_size=64, shuffle=True, num_workers=workers)
        count = 0
        for xb, _ in loader:
            count += xb.shape[0]
        return L.zeros(())
    return run


def time_wall(name: str, repeats: int = 3) -> dict[str, float]:
    """Median wall ms per call (DataLoader workers run in other processes)."""
    arrays, fn = sweep.CASES[name]
    libs = {"tinygrad_np": sweep.tinygrad_np}
    if sweep.torch is not None:
        libs["torch"] = sweep.torch
    times: dict[str, list[float]] = {label: [] for label in libs}
    for _ in range(repeats + 1):
        for label, lib in libs.items():
            start = time.perf_counter()
            sweep.step(lib, arrays, fn)()
            times[label].append((time.perf_counter() - start) * 1e3)
    return {label: sorted(values[1:])[len(values[1:]) // 2] for label, values in times.items()}


WALL = {"DataLoader 2k/64 workers=0", "DataLoader 2k/64 workers=2", "DataLoader 10k/64 workers=2"}
case("DataLoader 2k/64 workers=0", (), _loader_case(0, 2000))
case("DataLoader 2k/64 workers=2", (), _loader_case(2, 2000))
case("DataLoader 10k/64 workers=2", (), _loader_case(2, 10000))


def main(argv: list[str]) -> None:
    words = [w.lower() for w in argv]
    print("| case (forward + backward) | tinygrad_np ms | PyTorch ms | ratio |")
    print("|---|---|---|---|")
    for name in list(sweep.CASES):
        if words and not any(w in name.lower() for w in words):
            continue
        try:
            result = time_wall(name) if name in WALL else sweep.time_case(name)
        except Exception as error:  # a case one library does not support: say so, go on
            print(f"| {name} | error: {type(error).__name__}: {str(error)[:80]} | | |", flush=True)
            continue
        ours, theirs = result["tinygrad_np"], result.get("torch")
        ratio = f"{ours / theirs:.1f}x" if theirs else "-"
        theirs_text = f"{theirs:.2f}" if theirs is not None else "-"
        print(f"| {name} | {ours:.2f} | {theirs_text} | {ratio} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
