"""Round 20 (nn grid): nn.functional and nn modules over a grid of inputs against PyTorch 2.13:
too few dimensions (PyTorch's IndexError where its own dim indexing fails first), the order
of a loss's checks (batch size before the target's dtype), wrong-length sizes to interpolate,
MultiheadAttention's projection asserts; and the forward/gradient grid the fixes were found
with (float64 gradients, unbatched, empty batches, float16, non-contiguous inputs)."""

import warnings

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _outcome(module, build, *args):
    """build(module, *args) -> the exception it raised, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build(module, *args)
    except Exception as error:  # noqa: BLE001 (any error is compared)
        return error
    return None


def _same_error(build, *args, name=None):
    """Both libraries refuse; ours is an instance of PyTorch's class and names the function."""
    theirs, ours = _outcome(torch, build, *args), _outcome(tg, build, *args)
    assert theirs is not None, "PyTorch accepted it: the case is wrong"
    assert ours is not None, f"ours accepted what PyTorch refuses: {theirs!r}"
    assert isinstance(ours, type(theirs)), (theirs, ours)
    if name is not None:
        assert name in str(ours), ours
    return ours


def F(m):
    return m.nn.functional


# ---------------------------------------- too few dims: PyTorch's IndexError (and names)
FEW_DIMS = [
    ("cross_entropy", lambda m, x: F(m).cross_entropy(x, m.tensor([1, 0])), [0]),
    ("cross_entropy", lambda m, x: F(m).cross_entropy(x, m.ones(2, 3)), [0]),
    ("cross_entropy", lambda m, x: F(m).cross_entropy(x, m.tensor([1, 0]), label_smoothing=0.1),
     [0]),
    ("avg_pool2d", lambda m, x: F(m).avg_pool2d(x, 2), [0, 1, 2]),
    ("avg_pool2d", lambda m, x: m.nn.AvgPool2d(2, 1, 1)(x), [1, 2]),
    ("avg_pool2d", lambda m, x: F(m).lp_pool2d(x, 2, 2), [0, 1, 2]),
    ("unfold", lambda m, x: F(m).unfold(x, 1), [0, 1, 2]),
    ("unfold", lambda m, x: m.nn.Unfold(2)(x), [1, 2]),
    ("batch_norm", lambda m, x: F(m).batch_norm(x, None, None, training=True), [0, 1]),
    ("bilinear", lambda m, x: F(m).bilinear(m.ones(2, 2), m.ones(2, 2), x), [0, 1, 2]),
    ("bilinear", lambda m, x: F(m).bilinear(m.ones(2, 3), m.ones(2, 4), m.ones(5, 3, 4),
                                            x.sum()), [1]),
    ("fractional_max_pool2d", lambda m, x: F(m).fractional_max_pool2d(x, 1, output_size=1),
     [0, 1, 2]),
    ("fractional_max_pool3d", lambda m, x: F(m).fractional_max_pool3d(x, 1, output_size=1),
     [0, 1, 2]),
    ("grid_sample", lambda m, x: F(m).grid_sample(x, m.zeros(1, 2, 2, 2)), [0]),
    ("grid_sample", lambda m, x: F(m).grid_sample(m.ones(1, 1, 2, 2), x), [0]),
    ("multilabel_soft_margin_loss", lambda m, x: F(m).multilabel_soft_margin_loss(x, x), [0]),
    ("ctc_loss", lambda m, x: F(m).ctc_loss(x, m.tensor([[1]]), [1], [1]), [0]),
    ("Transformer", lambda m, x: m.nn.Transformer(4, 2, 1, 1, 8)(x, m.ones(3, 4)), [0, 1]),
    ("Transformer", lambda m, x: m.nn.Transformer(4, 2, 1, 1, 8)(m.ones(3, 4), x), [0]),
]
FEW_CASES = [(name, build, rank) for name, build, ranks in FEW_DIMS for rank in ranks]


@needs_torch
@pytest.mark.parametrize("name, build, rank", FEW_CASES,
                         ids=[f"{n}-{i}-rank{r}" for i, (n, _, r) in enumerate(FEW_CASES)])
def test_too_few_dims_is_pytorchs_error(name, build, rank):
    shape = (2,) * rank if name != "Transformer" else (4,) * rank
    theirs = _outcome(torch, lambda m: build(m, m.ones(shape)))
    ours = _outcome(tg, lambda m: build(m, m.ones(shape)))
    assert isinstance(theirs, IndexError), theirs  # (the case is one PyTorch indexes)
    assert isinstance(ours, IndexError), ours
    assert isinstance(ours, (RuntimeError, ValueError)), ours  # (as before: TensorError)
    message = str(ours)
    assert name in message, ours
    assert any(text in message for text in (str(tuple(shape)), "()", "0-d")), ours


# ---------------------------------------- other ranks: PyTorch's class, our op's name
@needs_torch
@pytest.mark.parametrize("function", ["adaptive_avg_pool1d", "adaptive_max_pool1d"])
@pytest.mark.parametrize("shape", [(), (2, 2, 2, 2)])
def test_adaptive_pool1d_wrong_rank_names_itself(function, shape):
    ours = _same_error(lambda m: getattr(F(m), function)(m.ones(shape), 2), name=function)
    assert isinstance(ours, RuntimeError) and str(shape) in str(ours)


@needs_torch
@pytest.mark.parametrize("weight_shape, input_shape", [((), (2, 2)), ((), (3,)), ((3,), ())])
def test_linear_of_a_0d_operand_is_pytorchs_runtime_error(weight_shape, input_shape):
    ours = _same_error(lambda m: F(m).linear(m.ones(input_shape), m.ones(weight_shape)),
                       name="at least 1D")
    assert isinstance(ours, RuntimeError)


# ---------------------------------------- losses: the batch size is checked first
@needs_torch
@pytest.mark.parametrize("function", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8"])
@pytest.mark.parametrize("input_shape, target_shape", [((5, 3), (4,)), ((4, 3), (5,)),
                                                       ((3, 3, 2), (2, 2)),
                                                       ((2, 3, 2), (3, 2))])
def test_class_id_losses_check_the_batch_before_the_dtype(function, dtype, input_shape,
                                                          target_shape):
    target = np.zeros(target_shape, dtype=dtype)

    def build(m):
        return getattr(F(m), function)(m.ones(input_shape), m.tensor(target))
    ours = _same_error(build, name=function)
    assert isinstance(ours, ValueError)
    assert f"batch_size ({input_shape[0]})" in str(ours)
    assert f"target batch_size ({target_shape[0]})" in str(ours)


@needs_torch
def test_nll_loss_of_a_0d_input_is_pytorchs_value_error():
    ours = _same_error(lambda m: F(m).nll_loss(m.ones(()), m.tensor([1, 0])), name="nll_loss")
    assert isinstance(ours, ValueError) and "0-d" in str(ours)


@needs_torch
def test_nll_loss_of_a_0d_float_target_is_the_batch_error():
    ours = _same_error(lambda m: F(m).nll_loss(m.ones(4, 5), m.tensor(1.0)), name="nll_loss")
    assert isinstance(ours, ValueError) and "target batch_size (0)" in str(ours)


@needs_torch
@pytest.mark.parametrize("dtype", ["int32", "int16"])
def test_int32_targets_of_the_right_shape_still_refused_as_pytorch(dtype):
    target = np.array([1, 0, 2, 1], dtype=dtype)
    ours = _same_error(lambda m: F(m).cross_entropy(m.ones(4, 3), m.tensor(target)),
                       name="cross_entropy")
    assert isinstance(ours, RuntimeError) and dtype in str(ours)


# ---------------------------------------- interpolate: size and scale lengths first
@needs_torch
@pytest.mark.parametrize("shape", [(), (2,), (2, 2), (1, 2, 4, 5), (1, 2, 3, 4, 5)])
@pytest.mark.parametrize("kwargs", [{"size": (3, 2)}, {"scale_factor": (1.5, 2.0)},
                                    {"size": (3, 2), "mode": "bilinear"},
                                    {"size": (2, 2, 2)}, {"size": (2,)}])
def test_interpolate_size_of_the_wrong_length_is_a_value_error(shape, kwargs):
    def build(m):
        return F(m).interpolate(m.ones(shape), **kwargs)
    theirs = _outcome(torch, build)
    if theirs is None:
        pytest.skip("PyTorch accepts this one")
    ours = _same_error(build, name="interpolate")
    if isinstance(theirs, ValueError) and "same number of spatial dimensions" in str(theirs):
        assert "same number of spatial dimensions" in str(ours) and str(shape) in str(ours)


@needs_torch
@pytest.mark.parametrize("module", ["Upsample", "UpsamplingBilinear2d"])
def test_upsample_of_a_wrong_rank_is_a_value_error(module):
    def build(m):
        layer = getattr(m.nn, module)(size=(5, 3))
        return layer(m.ones(1, 1, 2, 2, 4, 5))
    ours = _same_error(build, name="spatial dimensions")
    assert isinstance(ours, ValueError)


# ---------------------------------------- MultiheadAttention: the projections' asserts
@needs_torch
@pytest.mark.parametrize("which", [1, 2])
@pytest.mark.parametrize("batched", [True, False])
def test_mha_key_or_value_of_the_wrong_width_is_pytorchs_assert(which, batched):
    shapes = [(5, 2, 4), (6, 2, 3), (6, 2, 2)] if batched else [(5, 4), (6, 3), (6, 2)]
    shapes[which] = shapes[which][:-1] + (shapes[which][-1] + 1,)

    def build(m):
        m.manual_seed(0)
        layer = m.nn.MultiheadAttention(4, 2, kdim=3, vdim=2)
        return layer(*(m.ones(s) for s in shapes))
    ours = _same_error(build, name=("key" if which == 1 else "value") + " weights shape")
    assert isinstance(ours, AssertionError)


# ---------------------------------------- ctc_loss: fractional lengths
@needs_torch
@pytest.mark.parametrize("position", [2, 3])
def test_ctc_float_lengths_are_pytorchs_runtime_error(position):
    def build(m):
        args = [m.randn(6, 2, 4).log_softmax(2), m.tensor([[1, 2], [3, 1]]), m.tensor([6, 5]),
                m.tensor([2, 2])]
        args[position] = args[position].double()
        return F(m).ctc_loss(*args)
    ours = _same_error(build, name="must be integ")
    assert isinstance(ours, RuntimeError) and isinstance(ours, TypeError)


# ---------------------------------------- the forward and gradient grid (the probe)
def _r(rng, *shape):
    return rng.normal(size=shape)


def _b(n, *rest):
    return rest if n is None else (n, *rest)


GRID = [  # (name, make(m) -> module, inputs(rng, batch) -> arrays, takes unbatched input)
    ("Conv1d reflect", lambda m: m.nn.Conv1d(4, 6, 3, padding=1, padding_mode="reflect"),
     lambda g, n: [_r(g, *_b(n, 4, 7))], True),
    ("Conv2d circular", lambda m: m.nn.Conv2d(4, 6, 3, padding=(1, 2), padding_mode="circular",
                                              stride=(2, 1)),
     lambda g, n: [_r(g, *_b(n, 4, 6, 7))], True),
    ("Conv2d same", lambda m: m.nn.Conv2d(4, 6, (2, 4), padding="same", dilation=(2, 1)),
     lambda g, n: [_r(g, *_b(n, 4, 6, 7))], True),
    ("Conv3d replicate", lambda m: m.nn.Conv3d(2, 4, 2, padding=1, padding_mode="replicate"),
     lambda g, n: [_r(g, *_b(n, 2, 3, 4, 4))], True),
    ("ConvTranspose2d", lambda m: m.nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2, dilation=2),
     lambda g, n: [_r(g, *_b(n, 4, 4, 5))], True),
    ("MaxPool2d", lambda m: m.nn.MaxPool2d(3, 2, 1, dilation=1, ceil_mode=True,
                                           return_indices=True),
     lambda g, n: [_r(g, *_b(n, 3, 8, 9))], True),
    ("AvgPool2d", lambda m: m.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     lambda g, n: [_r(g, *_b(n, 3, 8, 6))], True),
    ("AvgPool2d divisor", lambda m: m.nn.AvgPool2d(3, 2, 1, divisor_override=2),
     lambda g, n: [_r(g, *_b(n, 3, 8, 6))], True),
    ("AdaptiveMaxPool1d", lambda m: m.nn.AdaptiveMaxPool1d(3, return_indices=True),
     lambda g, n: [_r(g, *_b(n, 3, 8))], True),
    ("BatchNorm1d", lambda m: m.nn.BatchNorm1d(3), lambda g, n: [_r(g, *_b(n, 3, 5))], False),
    ("GroupNorm", lambda m: m.nn.GroupNorm(2, 4), lambda g, n: [_r(g, *_b(n, 4, 3, 2))], False),
    ("LayerNorm", lambda m: m.nn.LayerNorm([4, 5]), lambda g, n: [_r(g, *_b(n, 3, 4, 5))], True),
    ("Bilinear", lambda m: m.nn.Bilinear(3, 4, 2),
     lambda g, n: [_r(g, *_b(n, 3)), _r(g, *_b(n, 4))], True),
    ("LSTM proj bi", lambda m: m.nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True,
                                         proj_size=2),
     lambda g, n: [_r(g, *_b(n, 5, 3))], True),
    ("GRU", lambda m: m.nn.GRU(3, 4, 2), lambda g, n: [_r(g, *((5, n, 3) if n is not None
                                                               else (5, 3)))], True),
    ("MHA kdim", lambda m: m.nn.MultiheadAttention(4, 2, kdim=3, vdim=2, add_bias_kv=True,
                                                   add_zero_attn=True, batch_first=True),
     lambda g, n: [_r(g, *_b(n, 5, 4)), _r(g, *_b(n, 6, 3)), _r(g, *_b(n, 6, 2))], True),
    ("TransformerEncoderLayer", lambda m: m.nn.TransformerEncoderLayer(
        4, 2, 8, dropout=0.0, norm_first=True, activation="gelu", batch_first=True),
     lambda g, n: [_r(g, *_b(n, 5, 4))], True),
    ("Upsample bicubic", lambda m: m.nn.Upsample(scale_factor=1.5, mode="bicubic",
                                                 align_corners=True),
     lambda g, n: [_r(g, *_b(n, 2, 4, 5))], False),
    ("Fold", lambda m: m.nn.Fold((4, 5), 2), lambda g, n: [_r(g, *_b(n, 12, 12))], True),
    ("ReflectionPad2d", lambda m: m.nn.ReflectionPad2d((2, 1, 0, 2)),
     lambda g, n: [_r(g, *_b(n, 3, 4, 5))], True),
]
VARIANTS = ["float64", "float32", "float16", "empty", "unbatched", "noncontiguous"]


def _run(m, make, arrays, dtype, grad, state, transform):
    m.manual_seed(0)
    module = make(m)
    module = module.double() if dtype == "float64" else module.half() if (
        dtype == "float16") else module
    if state is not None:
        module.load_state_dict({k: m.tensor(v) for k, v in state.items()})
    inputs = [m.tensor(a.astype(dtype)).requires_grad_(grad) for a in arrays]
    outputs = module(*[transform(x) for x in inputs])
    flat = []
    for out in (outputs if isinstance(outputs, tuple) else (outputs,)):
        flat.extend(out if isinstance(out, tuple) else (out,))
    return module, inputs, [o for o in flat if o is not None]


@needs_torch
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name, make, inputs, unbatched", GRID, ids=[g[0] for g in GRID])
def test_module_grid_against_pytorch(name, make, inputs, unbatched, variant):
    if variant == "unbatched" and not unbatched:
        pytest.skip("PyTorch takes no unbatched input here")
    batch = {"empty": 0, "unbatched": None}.get(variant, 2)
    arrays = inputs(np.random.default_rng(20), batch)
    dtype = variant if variant.startswith("float") else "float64"
    grad = dtype != "float16"
    transform = (lambda x: x.transpose(-1, -2).contiguous().transpose(-1, -2)) if (
        variant == "noncontiguous") else (lambda x: x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _run(torch, make, arrays, dtype, grad, None, transform)
        state = {k: v.detach().numpy() for k, v in theirs[0].state_dict().items()}
        ours = _run(tg, make, arrays, dtype, grad, state, transform)
    tol = {"float64": 1e-8, "float32": 2e-4, "float16": 2e-2}[dtype]
    assert len(theirs[2]) == len(ours[2])
    weights = []
    for expected, got in zip(theirs[2], ours[2]):
        assert tuple(got.shape) == tuple(expected.shape)
        assert str(got.dtype) == str(expected.dtype).replace("torch.", ""), (got.dtype,
                                                                            expected.dtype)
        np.testing.assert_allclose(np.asarray(got.detach().numpy(), dtype=np.float64),
                                   expected.detach().numpy().astype(np.float64),
                                   rtol=tol, atol=tol)
        if expected.dtype.is_floating_point and expected.requires_grad:
            weights.append(np.random.default_rng(len(weights)).normal(size=expected.shape))
    if not grad or not weights:
        return
    pairs = [(e, g, w) for e, g in zip(theirs[2], ours[2]) if e.dtype.is_floating_point
             and e.requires_grad for w in [weights.pop(0)]]
    sum((e * torch.tensor(w, dtype=e.dtype)).sum() for e, _, w in pairs).backward()
    sum((g * tg.tensor(w.astype(dtype))).sum() for _, g, w in pairs).backward()
    leaves = list(zip(theirs[1], ours[1]))
    leaves += [(p, dict(ours[0].named_parameters())[k])
               for k, p in theirs[0].named_parameters()]
    for expected, got in leaves:
        if expected.grad is None:
            assert got.grad is None
            continue
        np.testing.assert_allclose(got.grad.numpy(), expected.grad.numpy(), rtol=tol * 10,
                                   atol=tol * 10)
