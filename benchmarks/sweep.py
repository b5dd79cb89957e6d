# ruff: noqa: E501  (the cases are a table: one case per line reads best)
"""Timing sweep: forward + backward of nn.functional ops, Tensor methods and layers at
ordinary sizes, and training-loop pieces (optimizer steps, clip_grad_norm_, a DataLoader
epoch, default_collate; their state is made once per library and kept between calls).

    python benchmarks/sweep.py                 # every case, a Markdown table
    python benchmarks/sweep.py conv pool       # only the cases whose name contains a word
    python benchmarks/sweep.py --slow 3        # only rows where tinygrad_np is > 3x PyTorch

Each case is written once against the shared API (`lib` is tinygrad_np or torch) and run
in both libraries in turns (one call of each per round, after warm-up). The figure is the
median CPU time of the process per call (`time.process_time`), which the other processes on
a shared machine disturb less than the wall clock. Both libraries run on one thread
(OPENBLAS_NUM_THREADS=1 etc. set before NumPy loads; `torch.set_num_threads(1)`). PyTorch is
optional: without it (or with BENCH_NO_TORCH=1) only tinygrad_np's column is printed.
"""

from __future__ import annotations

import os

for _key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_key, "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tinygrad_np  # noqa: E402

try:
    if os.environ.get("BENCH_NO_TORCH"):
        raise ImportError
    import torch

    torch.set_num_threads(1)
except ImportError:
    torch = None

RNG = np.random.default_rng(0)


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def leaf(lib, array: np.ndarray, grad: bool = True):
    """A leaf of `lib` holding a copy of `array`."""
    return lib.tensor(array.copy(), requires_grad=grad and array.dtype.kind == "f")


def fb(out) -> None:
    """Backward of a weighted sum of `out` (a tensor or a tuple whose first item is one)."""
    if isinstance(out, (tuple, list)):
        out = out[0]
    if not out.requires_grad:  # an op without a gradient (argsort, unique): forward only
        return
    (out * out.detach()).sum().backward() if out.dim() else out.backward()


# A case: name -> (arrays, fn(lib, *leaves) -> output). Integer arrays are passed without grad.
Case = tuple[tuple[np.ndarray, ...], Callable]
CASES: dict[str, Case] = {}


def case(name: str, arrays: tuple, fn: Callable) -> None:
    CASES[name] = (arrays, fn)


def F(lib):
    return lib.nn.functional


img = randn(64, 3, 32, 32)
feat = randn(64, 16, 16, 16)
seq = randn(64, 64, 128)  # batch, length, features
x2 = randn(64, 256)
idx256 = RNG.integers(0, 256, (64, 256)).astype(np.int64)

# convolutions
case("conv1d k3", (randn(64, 32, 128), randn(64, 32, 3)), lambda L, x, w: F(L).conv1d(x, w, padding=1))
case("conv1d k5 s2 d2", (randn(64, 32, 128), randn(64, 32, 5)),
     lambda L, x, w: F(L).conv1d(x, w, stride=2, dilation=2))
case("conv1d groups4", (randn(64, 32, 128), randn(32, 8, 3)), lambda L, x, w: F(L).conv1d(x, w, groups=4))
case("conv2d 3x3", (img, randn(16, 3, 3, 3)), lambda L, x, w: F(L).conv2d(x, w, padding=1))
case("conv2d 3x3 s2", (feat, randn(32, 16, 3, 3)), lambda L, x, w: F(L).conv2d(x, w, stride=2, padding=1))
case("conv2d 3x3 d2", (feat, randn(16, 16, 3, 3)), lambda L, x, w: F(L).conv2d(x, w, dilation=2, padding=2))
case("conv2d depthwise", (feat, randn(16, 1, 3, 3)), lambda L, x, w: F(L).conv2d(x, w, padding=1, groups=16))
case("conv2d groups4", (feat, randn(32, 4, 3, 3)), lambda L, x, w: F(L).conv2d(x, w, groups=4))
case("conv3d 3x3x3", (randn(8, 4, 16, 16, 16), randn(8, 4, 3, 3, 3)),
     lambda L, x, w: F(L).conv3d(x, w, padding=1))
case("conv_transpose1d s2", (randn(64, 32, 64), randn(32, 16, 4)),
     lambda L, x, w: F(L).conv_transpose1d(x, w, stride=2, padding=1))
case("conv_transpose2d s2", (feat, randn(16, 8, 4, 4)),
     lambda L, x, w: F(L).conv_transpose2d(x, w, stride=2, padding=1))
case("conv_transpose3d s2", (randn(8, 4, 8, 8, 8), randn(4, 4, 4, 4, 4)),
     lambda L, x, w: F(L).conv_transpose3d(x, w, stride=2, padding=1))
# pooling
case("max_pool2d 2", (feat,), lambda L, x: F(L).max_pool2d(x, 2))
case("max_pool2d 3 s2 ceil", (feat,), lambda L, x: F(L).max_pool2d(x, 3, 2, ceil_mode=True))
case("max_pool2d idx", (feat,), lambda L, x: F(L).max_pool2d(x, 2, return_indices=True))
case("max_pool1d 3", (randn(64, 32, 128),), lambda L, x: F(L).max_pool1d(x, 3))
case("max_pool3d 2", (randn(8, 8, 16, 16, 16),), lambda L, x: F(L).max_pool3d(x, 2))
case("avg_pool2d 2", (feat,), lambda L, x: F(L).avg_pool2d(x, 2))
case("avg_pool2d 3 s1 p1", (feat,), lambda L, x: F(L).avg_pool2d(x, 3, 1, 1))
case("avg_pool2d 3 ceil nopad", (feat,),
     lambda L, x: F(L).avg_pool2d(x, 3, 2, ceil_mode=True, count_include_pad=False))
case("avg_pool1d 3", (randn(64, 32, 128),), lambda L, x: F(L).avg_pool1d(x, 3))
case("avg_pool3d 2", (randn(8, 8, 16, 16, 16),), lambda L, x: F(L).avg_pool3d(x, 2))
case("adaptive_avg_pool2d 1", (feat,), lambda L, x: F(L).adaptive_avg_pool2d(x, 1))
case("adaptive_avg_pool2d 5", (feat,), lambda L, x: F(L).adaptive_avg_pool2d(x, 5))
case("adaptive_max_pool2d 5", (feat,), lambda L, x: F(L).adaptive_max_pool2d(x, 5))
case("adaptive_avg_pool1d 7", (randn(64, 32, 128),), lambda L, x: F(L).adaptive_avg_pool1d(x, 7))
case("lp_pool2d 2", (feat,), lambda L, x: F(L).lp_pool2d(x, 2, 2))
# interpolation, sampling
case("interp nearest x2", (feat,), lambda L, x: F(L).interpolate(x, scale_factor=2, mode="nearest"))
case("interp bilinear x2", (feat,), lambda L, x: F(L).interpolate(x, scale_factor=2, mode="bilinear"))
case("interp bilinear ac", (feat,),
     lambda L, x: F(L).interpolate(x, size=(24, 24), mode="bilinear", align_corners=True))
case("interp bicubic x2", (feat,), lambda L, x: F(L).interpolate(x, scale_factor=2, mode="bicubic"))
case("interp linear x2", (randn(64, 32, 128),), lambda L, x: F(L).interpolate(x, scale_factor=2, mode="linear"))
case("interp area 8", (feat,), lambda L, x: F(L).interpolate(x, size=(8, 8), mode="area"))
case("interp trilinear", (randn(8, 4, 16, 16, 16),),
     lambda L, x: F(L).interpolate(x, scale_factor=2, mode="trilinear"))
_theta = np.tile(np.array([[0.9, 0.1, 0.05], [-0.1, 0.9, 0.0]], np.float32), (64, 1, 1))
case("affine_grid+grid_sample", (feat, _theta),
     lambda L, x, t: F(L).grid_sample(x, F(L).affine_grid(t, (64, 16, 16, 16), align_corners=False),
                                      align_corners=False))
case("grid_sample nearest", (feat, randn(64, 16, 16, 2) * 0.7),
     lambda L, x, g: F(L).grid_sample(x, g, mode="nearest", align_corners=False))
case("grid_sample border", (feat, randn(64, 16, 16, 2)),
     lambda L, x, g: F(L).grid_sample(x, g, padding_mode="border", align_corners=True))
case("pixel_shuffle 2", (randn(64, 16, 16, 16),), lambda L, x: F(L).pixel_shuffle(x, 2))
# embeddings, recurrent, attention
case("embedding", (RNG.integers(0, 1000, (64, 64)), randn(1000, 128)), lambda L, i, w: F(L).embedding(i, w))
case("embedding_bag mean", (RNG.integers(0, 1000, (64, 16)), randn(1000, 128)),
     lambda L, i, w: F(L).embedding_bag(i, w, mode="mean"))
case("embedding_bag sum off", (RNG.integers(0, 1000, (1024,)), randn(1000, 128)),
     lambda L, i, w: F(L).embedding_bag(i, w, L.arange(0, 1024, 16), mode="sum"))
case("one_hot", (RNG.integers(0, 100, (64, 64)),), lambda L, i: F(L).one_hot(i, 100).sum())
# normalisation
case("layer_norm", (seq, randn(128), randn(128)), lambda L, x, w, b: F(L).layer_norm(x, (128,), w, b))
case("group_norm 4", (feat, randn(16), randn(16)), lambda L, x, w, b: F(L).group_norm(x, 4, w, b))
case("batch_norm train", (feat, randn(16), randn(16)),
     lambda L, x, w, b: F(L).batch_norm(x, None, None, w, b, training=True))
case("instance_norm", (feat,), lambda L, x: F(L).instance_norm(x))
case("local_response_norm", (feat,), lambda L, x: F(L).local_response_norm(x, 5))
case("rms_norm", (seq, randn(128)), lambda L, x, w: F(L).rms_norm(x, (128,), w))
case("normalize", (x2,), lambda L, x: F(L).normalize(x, dim=1))
# losses
_t2 = randn(256, 1000)
case("smooth_l1", (randn(256, 1000), _t2), lambda L, x, t: F(L).smooth_l1_loss(x, t))
case("huber", (randn(256, 1000), _t2), lambda L, x, t: F(L).huber_loss(x, t, delta=0.5))
case("mse", (randn(256, 1000), _t2), lambda L, x, t: F(L).mse_loss(x, t))
case("l1", (randn(256, 1000), _t2), lambda L, x, t: F(L).l1_loss(x, t))
case("kl_div", (np.log(np.abs(randn(256, 1000)) + 0.1), np.abs(_t2)),
     lambda L, x, t: F(L).kl_div(x, t, reduction="batchmean"))
case("kl_div log_target", (randn(256, 1000), _t2),
     lambda L, x, t: F(L).kl_div(x, t, reduction="batchmean", log_target=True))
case("bce_with_logits pos_weight", (randn(256, 1000), (_t2 > 0).astype(np.float32), np.abs(randn(1000))),
     lambda L, x, t, p: F(L).binary_cross_entropy_with_logits(x, t.detach(), pos_weight=p.detach()))
case("bce", (1 / (1 + np.exp(-randn(256, 1000))), (_t2 > 0).astype(np.float32)),
     lambda L, x, t: F(L).binary_cross_entropy(x, t))
case("cross_entropy smoothing", (randn(256, 100), RNG.integers(0, 100, (256,))),
     lambda L, x, t: F(L).cross_entropy(x, t, label_smoothing=0.1))
case("cross_entropy 4d", (randn(16, 10, 32, 32), RNG.integers(0, 10, (16, 32, 32))),
     lambda L, x, t: F(L).cross_entropy(x, t))
case("nll_loss weight", (randn(256, 100), RNG.integers(0, 100, (256,)), np.abs(randn(100))),
     lambda L, x, t, w: F(L).nll_loss(x, t, weight=w.detach()))
_ctc_t = RNG.integers(1, 20, (16, 20))
case("ctc_loss", (randn(50, 16, 20), _ctc_t),
     lambda L, x, t: F(L).ctc_loss(x.log_softmax(2), t, [50] * 16, [20] * 16))
case("multi_margin", (randn(256, 100), RNG.integers(0, 100, (256,))),
     lambda L, x, t: F(L).multi_margin_loss(x, t))
case("multilabel_margin", (randn(256, 20), np.where(RNG.random((256, 20)) < 0.2, RNG.integers(0, 20, (256, 20)), -1)),
     lambda L, x, t: F(L).multilabel_margin_loss(x, t))
case("multilabel_soft_margin", (randn(256, 100), (randn(256, 100) > 0).astype(np.float32)),
     lambda L, x, t: F(L).multilabel_soft_margin_loss(x, t))
case("margin_ranking", (randn(4096), randn(4096), np.sign(randn(4096))),
     lambda L, a, b, y: F(L).margin_ranking_loss(a, b, y.detach()))
case("hinge_embedding", (randn(256, 100), np.sign(randn(256, 100))),
     lambda L, x, y: F(L).hinge_embedding_loss(x, y.detach()))
case("soft_margin", (randn(256, 100), np.sign(randn(256, 100))),
     lambda L, x, y: F(L).soft_margin_loss(x, y.detach()))
case("cosine_embedding", (randn(256, 128), randn(256, 128), np.sign(randn(256))),
     lambda L, a, b, y: F(L).cosine_embedding_loss(a, b, y.detach()))
case("triplet_margin", (randn(256, 128), randn(256, 128), randn(256, 128)),
     lambda L, a, p, n: F(L).triplet_margin_loss(a, p, n))
case("poisson_nll", (randn(256, 1000), np.abs(_t2)), lambda L, x, t: F(L).poisson_nll_loss(x, t))
case("gaussian_nll", (randn(256, 1000), _t2, np.abs(randn(256, 1000)) + 0.1),
     lambda L, x, t, v: F(L).gaussian_nll_loss(x, t, v))
case("cosine_similarity", (randn(256, 128), randn(256, 128)), lambda L, a, b: F(L).cosine_similarity(a, b))
case("pairwise_distance", (randn(256, 128), randn(256, 128)), lambda L, a, b: F(L).pairwise_distance(a, b))
# activations and softmax
case("softmax dim-1", (x2,), lambda L, x: x.softmax(-1))
case("softmax dim0", (x2,), lambda L, x: x.softmax(0))
case("log_softmax dim1 4d", (feat,), lambda L, x: x.log_softmax(1))
case("gumbel-free softmin", (x2,), lambda L, x: F(L).softmin(x, 1))
case("gelu tanh", (seq,), lambda L, x: F(L).gelu(x, approximate="tanh"))
case("silu", (seq,), lambda L, x: F(L).silu(x))
case("glu", (seq,), lambda L, x: F(L).glu(x, -1))
case("hardswish", (seq,), lambda L, x: F(L).hardswish(x))
case("mish", (seq,), lambda L, x: F(L).mish(x))
case("softplus", (seq,), lambda L, x: F(L).softplus(x))
case("dropout", (seq,), lambda L, x: F(L).dropout(x, 0.1))
# scans, sorting, indexing
case("cumsum dim1", (x2,), lambda L, x: x.cumsum(1))
case("cumsum dim0", (x2,), lambda L, x: x.cumsum(0))
case("cumprod dim1", (np.abs(x2) + 0.5,), lambda L, x: x.cumprod(1))
case("logcumsumexp", (x2,), lambda L, x: x.logcumsumexp(1))
case("cummax", (x2,), lambda L, x: x.cummax(1)[0])
case("sort", (x2,), lambda L, x: x.sort(1)[0])
case("topk 10", (x2,), lambda L, x: x.topk(10, 1)[0])
case("argsort", (x2,), lambda L, x: x.argsort(1).float().sum())
case("kthvalue", (x2,), lambda L, x: x.kthvalue(5, 1)[0])
case("median dim", (x2,), lambda L, x: x.median(1)[0])
case("gather", (x2, idx256), lambda L, x, i: x.gather(1, i))
case("scatter", (x2, idx256, randn(64, 256)), lambda L, x, i, s: x.scatter(1, i, s))
case("scatter_add", (x2, idx256, randn(64, 256)), lambda L, x, i, s: x.scatter_add(1, i, s))
case("scatter_reduce amax", (x2, idx256, randn(64, 256)),
     lambda L, x, i, s: x.scatter_reduce(1, i, s, "amax"))
case("index_add", (randn(1000, 128), RNG.integers(0, 1000, (4096,)), randn(4096, 128)),
     lambda L, x, i, s: x.index_add(0, i, s))
case("index_select", (randn(1000, 128), RNG.integers(0, 1000, (4096,))),
     lambda L, x, i: x.index_select(0, i))
case("getitem adv", (randn(1000, 128), RNG.integers(0, 1000, (4096,))), lambda L, x, i: x[i])
case("getitem adv 2d", (randn(256, 256), RNG.integers(0, 256, (4096,)), RNG.integers(0, 256, (4096,))),
     lambda L, x, i, j: x[i, j])
case("getitem mask", (x2,), lambda L, x: x[x > 0])
case("getitem slice step", (feat,), lambda L, x: x[:, ::2, 1::2, :])
case("setitem adv", (randn(1000, 128), RNG.permutation(1000)[:512], randn(512, 128)),
     lambda L, x, i, v: _setitem(x, i, v))
case("setitem mask", (x2, randn(64, 256)), lambda L, x, v: _setmask(x, v))
case("masked_fill", (x2,), lambda L, x: x.masked_fill(x > 0.5, 0.0))
case("where", (x2, randn(64, 256)), lambda L, x, y: L.where(x > 0, x, y))
case("take_along_dim", (x2, idx256), lambda L, x, i: L.take_along_dim(x, i, 1))
case("unique", (RNG.integers(0, 500, (64, 256)).astype(np.float32),),
     lambda L, x: L.unique(x.detach(), return_inverse=True, return_counts=True)[0].sum())
case("cdist", (randn(256, 64), randn(512, 64)), lambda L, a, b: L.cdist(a, b))
case("cdist p1", (randn(128, 32), randn(128, 32)), lambda L, a, b: L.cdist(a, b, p=1))
case("einsum bij,bjk", (randn(64, 64, 32), randn(64, 32, 64)), lambda L, a, b: L.einsum("bij,bjk->bik", a, b))
case("einsum trace-ish", (randn(64, 128, 128),), lambda L, a: L.einsum("bii->b", a))
case("einsum outer", (randn(64, 128), randn(64, 128)), lambda L, a, b: L.einsum("bi,bj->bij", a, b))
case("pad constant", (feat,), lambda L, x: F(L).pad(x, (2, 2, 2, 2)))
case("pad reflect", (feat,), lambda L, x: F(L).pad(x, (2, 2, 2, 2), mode="reflect"))
case("pad replicate", (feat,), lambda L, x: F(L).pad(x, (2, 2, 2, 2), mode="replicate"))
case("pad circular", (feat,), lambda L, x: F(L).pad(x, (2, 2, 2, 2), mode="circular"))
case("unfold F 3x3", (feat,), lambda L, x: F(L).unfold(x, 3, padding=1))
case("fold 3x3", (randn(64, 144, 256),), lambda L, x: F(L).fold(x, (16, 16), 3, padding=1))
case("Tensor.unfold", (randn(64, 32, 128),), lambda L, x: x.unfold(2, 8, 4))
case("roll", (feat,), lambda L, x: x.roll(3, 2))
case("flip", (feat,), lambda L, x: x.flip(2, 3))
case("repeat_interleave", (x2,), lambda L, x: x.repeat_interleave(3, 1))
case("tril", (randn(64, 128, 128),), lambda L, x: x.tril())
case("diagonal", (randn(64, 128, 128),), lambda L, x: x.diagonal(0, 1, 2))
case("norm dim", (seq,), lambda L, x: x.norm(dim=-1))
case("var dim", (seq,), lambda L, x: x.var(-1))
case("std_mean", (seq,), lambda L, x: L.std_mean(x, -1)[0])
case("logsumexp", (seq,), lambda L, x: x.logsumexp(-1))
case("amax dim", (seq,), lambda L, x: x.amax(-1))
case("max dim", (seq,), lambda L, x: x.max(-1)[0])
case("prod dim", (np.abs(x2) + 0.5,), lambda L, x: x.prod(1))
case("clamp", (seq,), lambda L, x: x.clamp(-0.5, 0.5))
case("atan2", (x2, randn(64, 256)), lambda L, a, b: L.atan2(a, b))
case("lerp", (x2, randn(64, 256), randn(64, 256)), lambda L, a, b, w: L.lerp(a, b, w))
case("cat/split", (x2,), lambda L, x: L.cat(x.split(32, 1)[::-1], 1))
case("stack/unbind", (x2,), lambda L, x: L.stack(x.unbind(0), 1))
case("bmm+transpose", (randn(64, 64, 32),), lambda L, x: x @ x.transpose(1, 2))
case("baddbmm", (randn(64, 64, 64), randn(64, 64, 32), randn(64, 32, 64)),
     lambda L, c, a, b: L.baddbmm(c, a, b))
case("sdpa causal", (randn(16, 4, 64, 32), randn(16, 4, 64, 32), randn(16, 4, 64, 32)),
     lambda L, q, k, v: F(L).scaled_dot_product_attention(q, k, v, is_causal=True))

# session 26: more of what everyday scripts run
_seq3 = randn(64, 100, 128)
_bool_mask = RNG.random((64, 256)) < 0.3
case("masked_select", (x2,), lambda L, x: x.masked_select(x > 0))
case("masked_scatter", (x2, randn(64, 256)), lambda L, x, s: x.masked_scatter(x > 0, s))
case("nonzero", (x2,), lambda L, x: x.nonzero().float().sum())
case("index_put acc", (randn(1000, 128), RNG.integers(0, 1000, (4096,)), randn(4096, 128)),
     lambda L, x, i, v: x.index_put((i,), v, accumulate=True))
case("setitem adv 2d", (randn(256, 256), RNG.integers(0, 256, (4096,)), RNG.integers(0, 256, (4096,)), randn(4096)),
     lambda L, x, i, j, v: _setitem(x, (i, j), v))
case("getitem adv rows+cols", (randn(64, 100, 128), RNG.integers(0, 100, (64, 20))),
     lambda L, x, i: x[L.arange(64)[:, None], i])
case("embedding repeated", (RNG.integers(0, 50, (128, 100)), randn(1000, 256)), lambda L, i, w: F(L).embedding(i, w))
case("embedding_bag sum", (RNG.integers(0, 1000, (128, 20)), randn(1000, 256)),
     lambda L, i, w: F(L).embedding_bag(i, w, mode="sum"))
case("embedding_bag max", (RNG.integers(0, 1000, (128, 20)), randn(1000, 256)),
     lambda L, i, w: F(L).embedding_bag(i, w, mode="max"))
case("one_hot 256x1000", (RNG.integers(0, 1000, (256,)),), lambda L, i: F(L).one_hot(i, 1000).sum())
case("cumsum 3d dim1", (_seq3,), lambda L, x: x.cumsum(1))
case("cumprod dim0", (np.abs(x2) + 0.5,), lambda L, x: x.cumprod(0))
case("logcumsumexp 3d dim1", (_seq3,), lambda L, x: x.logcumsumexp(1))
case("sort 3d dim1", (_seq3,), lambda L, x: x.sort(1)[0])
case("argsort dim0", (x2,), lambda L, x: x.argsort(0).float().sum())
case("topk 5 of 512", (randn(256, 512),), lambda L, x: x.topk(5, 1)[0])
case("kthvalue 3d", (_seq3,), lambda L, x: x.kthvalue(10, 1)[0])
case("median all", (x2,), lambda L, x: x.median())
case("median 3d dim1", (_seq3,), lambda L, x: x.median(1)[0])
case("unique sorted", (RNG.integers(0, 1000, (100000,)),), lambda L, x: L.unique(x).float().sum())
case("unique dim0", (RNG.integers(0, 4, (2048, 4)),), lambda L, x: L.unique(x, dim=0).float().sum())
case("einsum bhqd,bhkd", (randn(32, 4, 64, 32), randn(32, 4, 64, 32)),
     lambda L, a, b: L.einsum("bhqd,bhkd->bhqk", a, b))
case("einsum bnd,de", (randn(64, 100, 128), randn(128, 64)), lambda L, a, b: L.einsum("bnd,de->bne", a, b))
case("einsum ij,ij->i", (randn(256, 512), randn(256, 512)), lambda L, a, b: L.einsum("ij,ij->i", a, b))
case("einsum bij->bji", (randn(64, 128, 128),), lambda L, a: L.einsum("bij->bji", a))
case("bmm", (randn(64, 64, 32), randn(64, 32, 64)), lambda L, a, b: L.bmm(a, b))
case("tensordot 2 axes", (randn(64, 16, 32), randn(16, 32, 128)), lambda L, a, b: L.tensordot(a, b, dims=2))
case("tensordot lists", (randn(32, 16, 64), randn(64, 16, 8)), lambda L, a, b: L.tensordot(a, b, dims=([1, 2], [1, 0])))
case("cdist 3d", (randn(16, 100, 32), randn(16, 120, 32)), lambda L, a, b: L.cdist(a, b))
case("pairwise_distance 3d", (randn(64, 100, 64), randn(64, 100, 64)), lambda L, a, b: F(L).pairwise_distance(a, b))
case("cosine_similarity dim2", (randn(64, 100, 64), randn(64, 100, 64)),
     lambda L, a, b: F(L).cosine_similarity(a, b, dim=2))
case("cosine_similarity bcast", (randn(256, 1, 64), randn(1, 128, 64)),
     lambda L, a, b: F(L).cosine_similarity(a, b, dim=2))
case("layer_norm 2d", (randn(256, 512), randn(512), randn(512)), lambda L, x, w, b: F(L).layer_norm(x, (512,), w, b))
case("layer_norm 2 dims", (randn(64, 8, 16, 16),), lambda L, x: F(L).layer_norm(x, (16, 16)))
case("group_norm 8 64x64", (randn(32, 32, 32, 32), randn(32), randn(32)), lambda L, x, w, b: F(L).group_norm(x, 8, w, b))
case("instance_norm affine", (feat, randn(16), randn(16)),
     lambda L, x, w, b: F(L).instance_norm(x, weight=w, bias=b))
case("batch_norm eval", (feat, randn(16), np.abs(randn(16)) + 0.5, randn(16), randn(16)),
     lambda L, x, m, v, w, b: F(L).batch_norm(x, m.detach(), v.detach(), w, b, training=False))
case("batch_norm1d train", (randn(256, 512), randn(512), randn(512)),
     lambda L, x, w, b: F(L).batch_norm(x, None, None, w, b, training=True))
case("softmax dim1 3d", (_seq3,), lambda L, x: x.softmax(1))
case("log_softmax dim0", (randn(512, 256),), lambda L, x: x.log_softmax(0))
case("sdpa bool mask", (randn(16, 4, 64, 32), randn(16, 4, 64, 32), randn(16, 4, 64, 32), RNG.random((16, 1, 64, 64)) < 0.8),
     lambda L, q, k, v, m: F(L).scaled_dot_product_attention(q, k, v, attn_mask=m))
case("sdpa float mask", (randn(16, 4, 64, 32), randn(16, 4, 64, 32), randn(16, 4, 64, 32), randn(64, 64)),
     lambda L, q, k, v, m: F(L).scaled_dot_product_attention(q, k, v, attn_mask=m.detach()))
case("conv_transpose2d 3x32x32", (randn(32, 16, 32, 32), randn(16, 3, 3, 3)),
     lambda L, x, w: F(L).conv_transpose2d(x, w, padding=1))
case("conv3d s2", (randn(8, 8, 16, 16, 16), randn(16, 8, 3, 3, 3)), lambda L, x, w: F(L).conv3d(x, w, stride=2, padding=1))
case("max_pool2d idx 64x64", (randn(32, 3, 64, 64),), lambda L, x: F(L).max_pool2d(x, 2, return_indices=True))
case("max_pool2d 3 s2 p1", (randn(32, 16, 32, 32),), lambda L, x: F(L).max_pool2d(x, 3, 2, 1))
case("avg_pool2d 64x64", (randn(32, 3, 64, 64),), lambda L, x: F(L).avg_pool2d(x, 2))
case("interp nearest 64", (randn(32, 3, 32, 32),), lambda L, x: F(L).interpolate(x, size=(64, 64), mode="nearest"))
case("interp bilinear 64", (randn(32, 3, 32, 32),), lambda L, x: F(L).interpolate(x, size=(64, 64), mode="bilinear"))
case("interp bicubic down", (randn(32, 3, 64, 64),), lambda L, x: F(L).interpolate(x, size=(32, 32), mode="bicubic"))
case("interp bilinear ac 64", (randn(32, 3, 32, 32),),
     lambda L, x: F(L).interpolate(x, size=(64, 64), mode="bilinear", align_corners=True))
case("pad reflect 1d", (randn(64, 32, 128),), lambda L, x: F(L).pad(x, (3, 3), mode="reflect"))
case("pad replicate 3x64", (randn(32, 3, 64, 64),), lambda L, x: F(L).pad(x, (4, 4, 4, 4), mode="replicate"))
case("pad circular 1d", (randn(64, 32, 128),), lambda L, x: F(L).pad(x, (5, 5), mode="circular"))
case("grid_sample bilinear 3x64", (randn(32, 3, 64, 64), np.clip(randn(32, 64, 64, 2) * 0.6, -1.1, 1.1)),
     lambda L, x, g: F(L).grid_sample(x, g, align_corners=False))
case("affine_grid", (_theta,), lambda L, t: F(L).affine_grid(t, (64, 3, 32, 32), align_corners=False))
case("pixel_unshuffle 2", (randn(32, 16, 32, 32),), lambda L, x: F(L).pixel_unshuffle(x, 2))
case("pixel_shuffle 3", (randn(32, 27, 21, 21),), lambda L, x: F(L).pixel_shuffle(x, 3))
case("roll 2 dims", (feat,), lambda L, x: x.roll((3, -2), (2, 3)))
case("roll flat", (x2,), lambda L, x: x.roll(5))
case("flip 1", (seq,), lambda L, x: x.flip(1))
case("repeat", (randn(64, 16, 16),), lambda L, x: x.repeat(2, 3, 2))
case("tile", (randn(64, 128),), lambda L, x: x.tile((4, 1)))
case("repeat_interleave tensor", (x2, RNG.integers(0, 4, (64,))),
     lambda L, x, r: x.repeat_interleave(r, 0))
case("repeat_interleave flat", (x2,), lambda L, x: x.repeat_interleave(2))
case("stack 200", (randn(200, 128),), lambda L, x: L.stack([x[i] * 1 for i in range(200)]))
case("cat 200", (randn(200, 128),), lambda L, x: L.cat([x[i:i + 1] * 1 for i in range(200)], 0))
case("chunk 64", (randn(64, 256),), lambda L, x: L.cat([c * 2 for c in x.chunk(64, 1)], 0))
case("split sizes", (randn(256, 512),), lambda L, x: L.cat([c.sum(1, keepdim=True) for c in x.split([100, 200, 212], 1)], 1))
case("unbind 128", (randn(128, 256),), lambda L, x: L.stack([r.sum() for r in x.unbind(0)]))


def _setitem(x, index, values):
    y = x * 1
    y[index] = values
    return y


def _setmask(x, values):
    y = x * 1
    mask = x > 0
    y[mask] = values[mask]
    return y


def _module_cases() -> None:
    """Layers whose parameters are made by the library: LSTM, GRU, MultiheadAttention."""

    def lstm(L, x):
        L.manual_seed(0)
        return L.nn.LSTM(128, 128, batch_first=True)(x)

    def gru(L, x):
        L.manual_seed(0)
        return L.nn.GRU(128, 128, batch_first=True)(x)

    def mha(L, x):
        L.manual_seed(0)
        return L.nn.MultiheadAttention(128, 4, batch_first=True)(x, x, x)

    def lstm2bi(L, x):
        L.manual_seed(0)
        return L.nn.LSTM(64, 128, num_layers=2, bidirectional=True, batch_first=True)(x)

    def gru2bi(L, x):
        L.manual_seed(0)
        return L.nn.GRU(64, 128, num_layers=2, bidirectional=True)(x)

    def mha_mask(L, x, pad):
        L.manual_seed(0)
        return L.nn.MultiheadAttention(128, 4, batch_first=True)(x, x, x, key_padding_mask=pad)

    def encoder(L, x):
        L.manual_seed(0)
        layer = L.nn.TransformerEncoderLayer(128, 4, 256, dropout=0.0, batch_first=True)
        return layer(x, src_mask=L.nn.Transformer.generate_square_subsequent_mask(x.shape[1]))

    case("LSTM (incl. init)", (randn(64, 64, 128),), lstm)
    case("GRU (incl. init)", (randn(64, 64, 128),), gru)
    case("MultiheadAttention (incl. init)", (randn(64, 64, 128),), mha)
    case("LSTM 2 layers bidir (incl. init)", (randn(32, 100, 64),), lstm2bi)
    case("GRU 2 layers bidir (incl. init)", (randn(100, 32, 64),), gru2bi)
    case("MHA key_padding_mask (incl. init)", (randn(64, 64, 128), RNG.random((64, 64)) < 0.2), mha_mask)
    case("TransformerEncoderLayer (incl. init)", (randn(32, 64, 128),), encoder)


_module_cases()

# training-loop pieces that are not one op: state kept per library between calls
_STATE: dict = {}
_PARAM_SHAPES = [(256, 128), (256,), (128, 128), (128,), (64, 3, 3, 3), (64,)] * 17  # 102 tensors


def _params(L):
    """The same 102 parameters (with gradients) for each library, made once."""
    key = ("params", L.__name__)
    if key not in _STATE:
        params = [L.nn.Parameter(L.tensor(randn(*shape))) for shape in _PARAM_SHAPES]
        for p in params:
            p.grad = L.tensor(randn(*p.shape) * 1e-2)
        _STATE[key] = params
    return _STATE[key]


def _optimizer_case(name: str, make: Callable) -> None:
    def run(L):
        key = (name, L.__name__)
        if key not in _STATE:
            _STATE[key] = make(L, _params(L))
        _STATE[key].step()
        return L.zeros(())

    case(name, (), run)


_optimizer_case("Adam step 102 params", lambda L, ps: L.optim.Adam(ps, lr=1e-3))
_optimizer_case("AdamW step 102 params", lambda L, ps: L.optim.AdamW(ps, lr=1e-3, weight_decay=0.01))
_optimizer_case("SGD momentum step 102 params", lambda L, ps: L.optim.SGD(ps, lr=1e-3, momentum=0.9, nesterov=True))
case("clip_grad_norm_ 102 params", (), lambda L: L.nn.utils.clip_grad_norm_(_params(L), 1.0).detach())
_dataset_arrays = (randn(10000, 3, 8, 8), RNG.integers(0, 10, (10000,)))


def _loader(L):
    L.manual_seed(0)
    x, y = L.tensor(_dataset_arrays[0]), L.tensor(_dataset_arrays[1])
    loader = L.utils.data.DataLoader(L.utils.data.TensorDataset(x, y), batch_size=64, shuffle=True)
    total = L.zeros(())
    for xb, yb in loader:
        total = total + xb[0, 0, 0, 0] + yb[0]
    return total


case("DataLoader TensorDataset 10k/64", (), _loader)
_collate_items = [(randn(3, 32, 32), int(RNG.integers(0, 10))) for _ in range(256)]


def _collate(L):
    key = ("collate", L.__name__)
    if key not in _STATE:
        _STATE[key] = [(L.tensor(a), c) for a, c in _collate_items]
    items = _STATE[key]
    batch = L.utils.data.default_collate(items)
    return batch[0].sum()


case("default_collate 256 (img, label)", (), _collate)


def step(lib, arrays: tuple, fn: Callable) -> Callable[[], None]:
    """A closure running one forward + backward of the case in `lib` (fresh leaves each time)."""

    def run() -> None:
        leaves = [leaf(lib, a) for a in arrays]
        fb(fn(lib, *leaves))

    return run


def time_case(name: str, repeats: int = 7, warmup: int = 2) -> dict[str, float]:
    """Median CPU milliseconds per forward + backward, per library, run in turns."""
    arrays, fn = CASES[name]
    libs = {"tinygrad_np": tinygrad_np}
    if torch is not None:
        libs["torch"] = torch
    steps = {label: step(lib, arrays, fn) for label, lib in libs.items()}
    times: dict[str, list[float]] = {label: [] for label in steps}
    for round_index in range(warmup + repeats):
        for label, run in steps.items():
            start = time.process_time()
            run()
            if round_index >= warmup:
                times[label].append((time.process_time() - start) * 1e3)
    return {label: statistics.median(values) for label, values in times.items()}


def main(argv: list[str]) -> None:
    slow = None
    if "--slow" in argv:
        at = argv.index("--slow")
        slow = float(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    words = [w.lower() for w in argv]
    print("| op (forward + backward) | tinygrad_np ms | PyTorch ms | ratio |")
    print("|---|---|---|---|")
    for name in CASES:
        if words and not any(w in name.lower() for w in words):
            continue
        try:
            result = time_case(name)
        except Exception as error:  # a case one library does not support: say so, go on
            print(f"| {name} | error: {type(error).__name__}: {str(error)[:80]} | | |")
            continue
        ours, theirs = result["tinygrad_np"], result.get("torch")
        ratio = ours / theirs if theirs else float("nan")
        if slow is not None and not ratio > slow:
            continue
        theirs_text = f"{theirs:.2f}" if theirs is not None else "-"
        ratio_text = f"{ratio:.1f}x" if theirs else "-"
        print(f"| {name} | {ours:.2f} | {theirs_text} | {ratio_text} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
