"""Round 16 (j5) against what a language-model client probe found: float16 gradient clipping,
mixed dtypes in attention/rms_norm/losses, scalar / tensor rounding, GradScaler misuse,
overlapping in-place copies, missing torch.cpu/mps/xpu names, bfloat16 conversions and the
Parameter repr. Each test compares with PyTorch when it is installed and with fixed values
otherwise."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _dtype_name(tensor) -> str:
    return str(tensor.dtype).rsplit(".", 1)[-1]


# 1. clip_grad_norm_ / get_total_norm accumulate float16 gradients in float32

def _half_params(lib, with_float32: bool):
    p = lib.nn.Parameter(lib.zeros(3, dtype=lib.float16))
    p.grad = lib.tensor([300.0, 400.0, 0.0], dtype=lib.float16)
    params = [p]
    if with_float32:
        q = lib.nn.Parameter(lib.zeros(1))
        q.grad = lib.tensor([5.0])
        params.append(q)
    return params


def test_clip_grad_norm_float16_is_not_inf():
    params = _half_params(tg, with_float32=False)
    total = tg.nn.utils.clip_grad_norm_(params, 1.0)
    assert total.dtype == tg.float16 and total.item() == 500.0
    # float16 values nearest 0.6 and 0.8 (the scale 1/500 rounded to float16)
    np.testing.assert_array_equal(params[0].grad.numpy(),
                                  np.array([0.6001, 0.8003, 0.0], dtype=np.float16))


@pytest.mark.parametrize("with_float32", [False, True])
@needs_torch
def test_clip_grad_norm_float16_matches_torch(with_float32):
    ours, theirs = _half_params(tg, with_float32), _half_params(torch, with_float32)
    total = tg.nn.utils.clip_grad_norm_(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert _dtype_name(total) == _dtype_name(expected)
    assert total.item() == expected.item()
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("values", [[300.0, 400.0, 0.0], [60000.0, 60000.0, 0.0],
                                    [1e3] * 1000])
@needs_torch
def test_get_total_norm_float16_matches_torch(norm_type, values):
    ours = tg.nn.utils.get_total_norm([tg.tensor(values, dtype=tg.float16)], norm_type)
    theirs = torch.nn.utils.get_total_norm([torch.tensor(values, dtype=torch.float16)],
                                           norm_type)
    assert _dtype_name(ours) == _dtype_name(theirs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# 2 and 8. scaled_dot_product_attention: a float32 mask with a float16 query; q, k, v dtypes

def _attention(lib, mask_dtype: str):
    rng = np.random.default_rng(0)
    q = lib.tensor(rng.standard_normal((1, 2, 3, 4)).astype(np.float16))
    mask = rng.standard_normal((3, 3)).astype(mask_dtype)
    mask[0, 1] = -np.inf
    return lib.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=lib.tensor(mask))


def test_attention_float32_mask_with_float16_query_is_float16():
    assert _attention(tg, "float32").dtype == tg.float16


@needs_torch
def test_attention_float32_mask_with_float16_query_matches_torch():
    ours, theirs = _attention(tg, "float32"), _attention(torch, "float32")
    np.testing.assert_allclose(ours.numpy().astype(np.float64),
                               theirs.numpy().astype(np.float64), atol=2e-3)


def test_attention_float64_mask_with_float16_query_raises():
    with pytest.raises(RuntimeError, match="attn_mask dtype"):
        _attention(tg, "float64")


@pytest.mark.parametrize("dtypes", [("float16", "float16", "float32"),
                                    ("float16", "float32", "float16"),
                                    ("float32", "float32", "float64")])
def test_attention_mixed_qkv_dtypes_raise(dtypes):
    q, k, v = (tg.ones(1, 2, 3, dtype=getattr(tg, d)) for d in dtypes)
    with pytest.raises(RuntimeError, match="query, key, and value to have the same dtype"):
        tg.nn.functional.scaled_dot_product_attention(q, k, v)


# 3. rms_norm keeps the input's dtype whatever the weight's

@pytest.mark.parametrize("dtypes", [("float16", "float32"), ("float32", "float16"),
                                    ("float64", "float32"), ("float32", "float64")])
def test_rms_norm_result_in_input_dtype(dtypes):
    x = tg.tensor([[1.0, -2.0, 3.0, 0.5]], dtype=getattr(tg, dtypes[0]))
    w = tg.tensor([1.0, 2.0, 0.5, 1.0], dtype=getattr(tg, dtypes[1]))
    assert tg.nn.functional.rms_norm(x, (4,), w).dtype == x.dtype
    module = tg.nn.RMSNorm(4, dtype=getattr(tg, dtypes[1]))
    assert module(x).dtype == x.dtype


@needs_torch
def test_rms_norm_float64_input_float32_weight_values_and_grads_match_torch():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal(4).astype(np.float32)
    results = []
    for lib in (tg, torch):
        xt = lib.tensor(x, requires_grad=True)
        wt = lib.tensor(w, requires_grad=True)
        with warnings.catch_warnings():  # PyTorch's "Cannot dispatch to fused" warning
            warnings.simplefilter("ignore")
            out = lib.nn.functional.rms_norm(xt, (4,), wt)
        (out * lib.tensor(x)).sum().backward()
        results.append((out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()))
    for ours, theirs in zip(*results):
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


# 8. class weights of class-id losses must be in the input's dtype; BCE keeps the input's

@pytest.mark.parametrize("call", [
    lambda x, y, w: tg.nn.functional.cross_entropy(x, y, weight=w),
    lambda x, y, w: tg.nn.functional.nll_loss(x, y, weight=w),
    lambda x, y, w: tg.nn.functional.nll_loss(x.reshape(4, 3, 1), y.reshape(4, 1), weight=w),
    lambda x, y, w: tg.nn.functional.multi_margin_loss(x, y, weight=w),
    lambda x, y, w: tg.nn.CrossEntropyLoss(weight=w)(x, y),
])
@pytest.mark.parametrize("dtypes", [("float16", "float32"), ("float32", "float64"),
                                    ("float64", "float32")])
def test_class_weight_of_other_dtype_raises(call, dtypes):
    x = tg.zeros(4, 3, dtype=getattr(tg, dtypes[0]))
    w = tg.ones(3, dtype=getattr(tg, dtypes[1]))
    with pytest.raises(RuntimeError, match="expected scalar type"):
        call(x, tg.tensor([0, 1, 2, 1]), w)


def test_class_weight_of_same_dtype_still_works():
    x = tg.zeros(2, 2, dtype=tg.float16)
    loss = tg.nn.functional.cross_entropy(x, tg.tensor([0, 1]),
                                          weight=tg.tensor([1.0, 3.0], dtype=tg.float16))
    assert loss.dtype == tg.float16 and abs(loss.item() - np.log(2)) < 1e-3


def _weighted_loss(lib, case: str, x, y, weight):
    F = lib.nn.functional
    if case == "bce":
        return F.binary_cross_entropy(x, y, weight=weight)
    if case == "bcel_weight":
        return F.binary_cross_entropy_with_logits(x, y, weight=weight)
    if case == "bcel_pos_weight":
        return F.binary_cross_entropy_with_logits(x, y, pos_weight=weight[0])
    return F.cross_entropy(x, y, weight=weight[0])  # probabilities: the dtypes promote


@pytest.mark.parametrize("case", ["bce", "bcel_weight", "bcel_pos_weight", "ce_probabilities"])
@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float16", "float32")])
@needs_torch
def test_weighted_loss_dtype_and_value_match_torch(case, dtypes):
    p, t, w = np.random.default_rng(2).uniform(0.1, 0.9, (3, 4, 3))
    results = []
    for lib in (tg, torch):
        x, y = (lib.tensor(a, dtype=getattr(lib, dtypes[0])) for a in (p, t))
        loss = _weighted_loss(lib, case, x, y, lib.tensor(w, dtype=getattr(lib, dtypes[1])))
        results.append((_dtype_name(loss), loss.item()))
    assert results[0][0] == results[1][0]
    assert results[0][1] == pytest.approx(results[1][1], rel=2e-3)


# 4. number / tensor is tensor.reciprocal() * number, as PyTorch's operator

def test_number_over_tensor_rounds_as_reciprocal_times_number():
    # float32(1/41) * 41 rounds below 1: PyTorch's operator gives 0.99999994, floor 0
    assert (41.0 / tg.tensor([41.0])).floor().item() == 0.0
    x = np.arange(1, 200, dtype=np.float32)
    expected = (np.float32(1) / x) * np.float32(7)
    np.testing.assert_array_equal((7.0 / tg.tensor(x)).numpy(), expected)
    # torch.div(number, tensor) is a true division
    np.testing.assert_array_equal(tg.div(7.0, tg.tensor(x)).numpy(), np.float32(7) / x)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "uint8", "bool"])
@pytest.mark.parametrize("number", [7.0, 7, 0.1])
@needs_torch
def test_number_over_tensor_matches_torch_bitwise(dtype, number):
    def run(lib, form):
        x = lib.tensor([True, False]) if dtype == "bool" else lib.arange(1, 200).to(
            getattr(lib, dtype))
        return number / x if form == "operator" else lib.div(number, x)

    for form in ("operator", "div"):
        ours, theirs = run(tg, form), run(torch, form)
        assert _dtype_name(ours) == _dtype_name(theirs)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
def test_number_over_tensor_gradient_matches_torch():
    grads = []
    for lib in (tg, torch):
        x = lib.tensor([0.5, 3.0, -7.0, 41.0], dtype=lib.float64, requires_grad=True)
        (3.0 / x).backward(lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64))
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-15)


def test_number_over_zero_is_silent():
    with np.errstate(all="raise"):
        result = 0.0 / tg.tensor([0.0, 2.0])
    assert np.isnan(result[0].item()) and result[1].item() == 0.0


# 5 and 6. GradScaler: float16 gradients refuse to unscale; step/unscale_/update need scale()

def _scaler_and_optimizer(lib, dtype="float32"):
    p = lib.nn.Parameter(lib.ones(2, dtype=getattr(lib, dtype)))
    p.grad = lib.ones(2, dtype=getattr(lib, dtype))
    return lib.amp.GradScaler("cpu"), lib.optim.SGD([p], lr=0.1), p


@pytest.mark.parametrize("method", ["unscale_", "step"])
def test_grad_scaler_refuses_float16_gradients(method):
    scaler, optimizer, p = _scaler_and_optimizer(tg, "float16")
    scaler.scale(tg.ones(1))
    with pytest.raises(ValueError, match="^Attempting to unscale FP16 gradients.$"):
        getattr(scaler, method)(optimizer)
    np.testing.assert_array_equal(p.grad.numpy(), [1.0, 1.0])  # nothing unscaled


@pytest.mark.parametrize("method", ["step", "unscale_", "update"])
def test_grad_scaler_without_scale_asserts(method):
    scaler, optimizer, _ = _scaler_and_optimizer(tg)
    message = f"^Attempted {method} but _scale is None.  This may indicate your script"
    with pytest.raises(AssertionError, match=message):
        scaler.update() if method == "update" else getattr(scaler, method)(optimizer)


@needs_torch
def test_grad_scaler_without_scale_matches_torch_type_and_message():
    messages = []
    for lib in (tg, torch):
        scaler, optimizer, _ = _scaler_and_optimizer(lib)
        with pytest.raises(AssertionError) as error:
            scaler.step(optimizer)
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_grad_scaler_scale_once_then_later_steps_need_no_scale():
    scaler, optimizer, p = _scaler_and_optimizer(tg)
    scaler.scale(tg.ones(1))
    p.grad = tg.full((2,), 65536.0)
    scaler.step(optimizer)
    scaler.update()
    p.grad = tg.full((2,), 65536.0)
    scaler.step(optimizer)  # PyTorch keeps its _scale: no error in the next iteration
    scaler.update()
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 0.8], rtol=1e-6)


def test_grad_scaler_step_refuses_a_closure():
    scaler, optimizer, _ = _scaler_and_optimizer(tg)
    scaler.scale(tg.ones(1))
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(optimizer, closure=lambda: 0.0)


def test_disabled_grad_scaler_needs_no_scale():
    p = tg.nn.Parameter(tg.ones(2))
    p.grad = tg.ones(2)
    scaler = tg.amp.GradScaler("cpu", enabled=False)
    scaler.step(tg.optim.SGD([p], lr=0.5))
    scaler.update()
    np.testing.assert_array_equal(p.detach().numpy(), [0.5, 0.5])


# 7. a source that partly overlaps the written memory is refused, as PyTorch

OVERLAP = {
    "x[1:] = x[:-1]": lambda x: x.__setitem__(slice(1, None), x[:-1]),
    "x[:-1] = x[1:]": lambda x: x.__setitem__(slice(None, -1), x[1:]),
    "x[1:].copy_(x[:-1])": lambda x: x[1:].copy_(x[:-1]),
    "x[1:] += x[:-1]": lambda x: x[1:].add_(x[:-1]),
    "x[1:] = x.detach()[:-1]": lambda x: x.__setitem__(slice(1, None), x.detach()[:-1]),
    "transposed copy": lambda x: x.view(3, 4).copy_(x.view(4, 3).T),
    "x[[1, 2]] = x[:2]": lambda x: x.__setitem__([1, 2], x[:2]),
    "x[[2]] = x[0]": lambda x: x.__setitem__([2], x[0]),
    "x[0:2].add_(x[1])": lambda x: x[0:2].add_(x[1]),
}
ALLOWED = {
    "x[:] = x": lambda x: x.__setitem__(slice(None), x),
    "x.copy_(x)": lambda x: x.copy_(x),
    "x.mul_(x)": lambda x: x.mul_(x),
    "disjoint halves": lambda x: x.__setitem__(slice(None, 6), x[6:]),
    "strided, not dense": lambda x: x.__setitem__(slice(None, None, 2), x[1::2]),
    "broadcast source": lambda x: x.__setitem__(slice(0, 2), x[1]),
    "x[1:2] = x[1] (the same elements)": lambda x: x.view(6, 2).__setitem__(
        slice(1, 2), x.view(6, 2)[1]),
    "x[0][1] += 1": lambda x: x.view(3, 4)[0].__setitem__(1, x.view(3, 4)[0][1].__iadd__(1)),
    "clone first": lambda x: x.__setitem__(slice(1, None), x[:-1].clone()),
    "bool mask, one-element value": lambda x: x.__setitem__(x > 5, x[0:1]),
}


@pytest.mark.parametrize("name", sorted(OVERLAP))
def test_partial_overlap_is_refused(name):
    x = tg.arange(12.0)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        OVERLAP[name](x)
    assert x.tolist() == list(map(float, range(12)))  # nothing written


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_full_or_no_overlap_is_allowed(name):
    ALLOWED[name](tg.arange(12.0))


@pytest.mark.parametrize("name", sorted(OVERLAP) + sorted(ALLOWED))
@needs_torch
def test_overlap_rules_match_torch(name):
    results = []
    for lib in (tg, torch):
        x = lib.arange(12.0)
        try:
            {**OVERLAP, **ALLOWED}[name](x)
            results.append(x.tolist())
        except RuntimeError as error:
            results.append("single memory location" in str(error))
    assert results[0] == results[1]


def test_overlap_refused_on_the_recorded_path_too():
    w = tg.ones(6, requires_grad=True)
    x = w * 1.0
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x[1:] = x[:-1]


# 9. torch.cpu / mps / xpu, cuda.nvtx / Event, amp.custom_fwd / custom_bwd, _inductor.config

def test_cpu_mps_xpu_namespaces():
    assert tg.cpu.is_available() is True and tg.cpu.device_count() == 1
    assert tg.cpu.synchronize() is None and tg.cpu.current_device() == "cpu"
    assert tg.mps.is_available() is False and tg.mps.device_count() == 0
    assert tg.xpu.is_available() is False and tg.xpu.device_count() == 0
    with pytest.raises(RuntimeError, match="without MPS backend"):
        tg.mps.empty_cache()
    with pytest.raises(AssertionError, match="not compiled with XPU"):
        tg.xpu.synchronize()
    from tinygrad_np.cpu.amp import autocast  # noqa: PLC0415 (importable as a module path)
    with pytest.warns(FutureWarning, match="torch.amp.autocast\\('cpu'"):
        context = autocast()
    with context:
        assert tg.is_autocast_enabled("cpu")
    assert not tg.is_autocast_enabled("cpu")


@needs_torch
def test_device_namespaces_match_torch():
    for name in ("cpu", "mps", "xpu"):
        assert getattr(tg, name).is_available() == getattr(torch, name).is_available()
        assert getattr(tg, name).device_count() == getattr(torch, name).device_count()


def test_cuda_nvtx_and_event_raise_as_without_cuda():
    with pytest.raises(RuntimeError, match="NVTX functions not installed"):
        tg.cuda.nvtx.range_push("step")
    with pytest.raises(RuntimeError, match="NVTX functions not installed"):
        with tg.cuda.nvtx.range("step"):
            pass
    with pytest.raises(RuntimeError, match="dummy base class Event"):
        tg.cuda.Event(enable_timing=True)


def test_inductor_config_is_settable():
    import tinygrad_np._inductor.config as config  # noqa: PLC0415

    assert config.max_autotune is False and config.triton.unique_kernel_names is True
    config.coordinate_descent_tuning = True
    assert tg._inductor.config.coordinate_descent_tuning is True
    config.coordinate_descent_tuning = False


class _Double(tg.autograd.Function):
    @staticmethod
    @tg.amp.custom_fwd(device_type="cpu", cast_inputs=tg.float16)
    def forward(ctx, x):
        return x * 2

    @staticmethod
    @tg.amp.custom_bwd(device_type="cpu")
    def backward(ctx, grad):
        return grad * 2


def test_custom_fwd_casts_only_inside_autocast():
    x = tg.ones(2, requires_grad=True)
    out = _Double.apply(x)
    assert out.dtype == tg.float32
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    seen = []
    forward = tg.amp.custom_fwd(lambda t: seen.append((t.dtype, tg.is_autocast_enabled("cpu"))),
                                device_type="cpu", cast_inputs=tg.float16)
    forward(x)
    with tg.autocast("cpu", dtype=tg.float16):
        forward(x)
    assert seen == [(tg.float32, False), (tg.float16, False)]  # cast, autocast off inside


def test_custom_fwd_needs_a_device_type_and_cuda_spelling_warns():
    with pytest.raises(TypeError, match="device_type"):
        tg.amp.custom_fwd(lambda x: x)
    with pytest.warns(FutureWarning, match="torch.amp.custom_fwd"):
        forward = tg.cuda.amp.custom_fwd(lambda x: x + 1)
    assert forward(1) == 2


# 10. bfloat16 conversions explain themselves

@pytest.mark.parametrize("make", [lambda: tg.ones(2), lambda: tg.nn.Linear(2, 2)])
def test_bfloat16_conversion_explains(make):
    with pytest.raises(AttributeError, match="NumPy has no bfloat16 type"):
        make().bfloat16()


# 11. a parameter's repr shows no name (the module tree's names are for drawing)

def test_parameter_repr_has_no_module_name():
    layer = tg.nn.Linear(2, 1)
    layer.bias.requires_grad_(False)
    dict(layer.named_parameters())
    assert "name=" not in repr(layer.bias) and "name=" not in repr(layer.weight)
    x = tg.ones(1)
    x.name = "mine"  # a name the user gave is still shown
    assert "name='mine'" in repr(x)
