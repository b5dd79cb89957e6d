"""Round 17 (n): second-order gradients that reach a parameter as zeros (not None) through
ops whose PyTorch backward reads their input (average and adaptive average pooling, 'area'
interpolation, reflect/replicate padding, nll_loss), empty outputs of transposed
convolutions and 'area' resizing, integer inputs to float convolutions and linear layers,
PyTorch's error types for out-of-range indices, reductions given dim=(), module reprs,
and Python numbers out of a dtype's range."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

try:
    import torch
except ImportError:
    torch = None


# ---- 1. double backward: parameters reached through a shape-only backward get zeros -------
PENALTY_OPS = {
    "avg_pool1d": lambda F, h: F.avg_pool1d(h.flatten(2), 2),
    "avg_pool2d": lambda F, h: F.avg_pool2d(h, 2),
    "avg_pool3d": lambda F, h: F.avg_pool3d(h.unsqueeze(2), (1, 2, 2)),
    "adaptive_avg_pool1d": lambda F, h: F.adaptive_avg_pool1d(h.flatten(2), 3),
    "adaptive_avg_pool2d": lambda F, h: F.adaptive_avg_pool2d(h, 3),
    "adaptive_avg_pool3d": lambda F, h: F.adaptive_avg_pool3d(h.unsqueeze(2), (1, 3, 3)),
    "area": lambda F, h: F.interpolate(h, size=(3, 3), mode="area"),
    "reflect": lambda F, h: F.pad(h, (1, 1, 1, 1), mode="reflect"),
    "replicate": lambda F, h: F.pad(h, (1, 1, 1, 1), mode="replicate"),
    "nll_loss": lambda F, h: F.nll_loss(h.flatten(1), h.new_zeros(2).long()),
}


def _penalty_bias_grad(lib, op):
    x = lib.tensor(np.linspace(-1, 1, 32).reshape(2, 1, 4, 4), requires_grad=True)
    b = lib.zeros(1, requires_grad=True)
    y = op(lib.nn.functional, x + b)
    g = lib.autograd.grad(y.sum(), x, create_graph=True)[0]
    assert g.requires_grad
    g.pow(2).sum().backward()
    return b.grad


@pytest.mark.parametrize("name", list(PENALTY_OPS))
def test_second_order_gradient_through_shape_only_backward_is_zero(name):
    grad = _penalty_bias_grad(tg, PENALTY_OPS[name])
    assert grad is not None and grad.tolist() == [0.0]
    if torch is not None:
        assert _penalty_bias_grad(torch, PENALTY_OPS[name]).tolist() == [0.0]


def test_gradient_penalty_conv_transpose3d_bias_is_zero():
    tg.manual_seed(0)
    net = tg.nn.Sequential(tg.nn.GELU(), tg.nn.ConvTranspose3d(1, 1, 2), tg.nn.AvgPool3d(2))
    x = tg.randn(2, 1, 3, 3, 3, requires_grad=True)
    g = tg.autograd.grad(net(x).sum(), x, create_graph=True)[0]
    (g.flatten(1).norm(2, dim=1) - 1).pow(2).mean().backward()
    assert net[1].bias.grad is not None and net[1].bias.grad.tolist() == [0.0]
    assert net[1].weight.grad is not None and float(net[1].weight.grad.abs().sum()) > 0


# ---- 2. empty outputs ----------------------------------------------------------------------
def test_conv_transpose_output_size_zero_is_empty_with_zero_gradients():
    x = tg.ones(2, 1, 2, 6, requires_grad=True)
    w = tg.ones(1, 1, 1, 2, requires_grad=True)
    y = F.conv_transpose2d(x, w, stride=2, padding=(2, 1), output_padding=1, dilation=(2, 1))
    assert tuple(y.shape) == (2, 1, 0, 11) and y.dtype == tg.float32
    y.sum().backward()
    assert x.grad.abs().sum().item() == 0 and w.grad.abs().sum().item() == 0
    b = tg.ones(1, requires_grad=True)
    assert tuple(F.conv_transpose1d(tg.ones(2, 1, 2), tg.ones(1, 1, 1), b, padding=1).shape) \
        == (2, 1, 0)
    assert tuple(F.conv_transpose3d(tg.ones(2, 1, 2, 2, 2), tg.ones(1, 1, 1, 1, 1),
                                    padding=(1, 0, 0)).shape) == (2, 1, 0, 2, 2)
    with pytest.raises(RuntimeError, match="conv_transpose2d"):  # negative: refused
        F.conv_transpose2d(tg.ones(2, 1, 2, 2), tg.ones(1, 1, 1, 1), padding=2)
    if torch is not None:
        ty = torch.nn.functional.conv_transpose2d(torch.ones(2, 1, 2, 6), torch.ones(1, 1, 1, 2),
                                                  stride=2, padding=(2, 1), output_padding=1,
                                                  dilation=(2, 1))
        assert tuple(ty.shape) == (2, 1, 0, 11)


@pytest.mark.parametrize(("shape", "scale", "expected"), [
    ((2, 1, 4, 1), (0.5, 0.3), (2, 1, 2, 0)), ((2, 1, 1), 0.3, (2, 1, 0)),
    ((2, 1, 1, 2, 2), 0.3, (2, 1, 0, 0, 0))])
def test_area_interpolation_to_size_zero_is_empty(shape, scale, expected):
    y = F.interpolate(tg.ones(*shape), scale_factor=scale, mode="area")
    assert tuple(y.shape) == expected
    with pytest.raises(RuntimeError, match="interpolate"):  # other modes refuse, as PyTorch
        F.interpolate(tg.ones(*shape), scale_factor=scale, mode="nearest")
    if torch is not None:
        t = torch.nn.functional.interpolate(torch.ones(*shape), scale_factor=scale, mode="area")
        assert tuple(t.shape) == expected


# ---- 3. integer or bool operands of float convolutions and products ------------------------
MIXED = {
    "conv2d": lambda t, a, b: t.nn.functional.conv2d(t.ones(1, 1, 3, 3, dtype=a),
                                                     t.ones(1, 1, 2, 2, dtype=b)),
    "conv1d": lambda t, a, b: t.nn.functional.conv1d(t.ones(1, 1, 3, dtype=a),
                                                     t.ones(1, 1, 2, dtype=b)),
    "conv3d": lambda t, a, b: t.nn.functional.conv3d(t.ones(1, 1, 3, 3, 3, dtype=a),
                                                     t.ones(1, 1, 2, 2, 2, dtype=b)),
    "conv_transpose2d": lambda t, a, b: t.nn.functional.conv_transpose2d(
        t.ones(1, 1, 3, 3, dtype=a), t.ones(1, 1, 2, 2, dtype=b)),
    "conv_transpose3d": lambda t, a, b: t.nn.functional.conv_transpose3d(
        t.ones(1, 1, 2, 2, 2, dtype=a), t.ones(1, 1, 2, 2, 2, dtype=b)),
    "linear": lambda t, a, b: t.nn.functional.linear(t.ones(2, 3, dtype=a), t.ones(4, 3, dtype=b)),
    "matmul": lambda t, a, b: t.ones(2, 3, dtype=a) @ t.ones(3, 2, dtype=b),
}


@pytest.mark.parametrize("op", list(MIXED))
@pytest.mark.parametrize(("a", "b"), [("int64", "float32"), ("float32", "int64"),
                                      ("uint8", "float64"), ("int32", "int64")])
def test_integer_operand_with_another_dtype_is_refused(op, a, b):
    with pytest.raises(RuntimeError, match="dtype"):
        MIXED[op](tg, getattr(tg, a), getattr(tg, b))
    if torch is not None:
        with pytest.raises(RuntimeError):
            MIXED[op](torch, getattr(torch, a), getattr(torch, b))


def test_same_integer_dtype_and_float_widths_still_compute():
    assert F.conv2d(tg.ones(1, 1, 3, 3).long(), tg.ones(1, 1, 2, 2).long()).tolist() == \
        [[[[4, 4], [4, 4]]]]
    assert F.linear(tg.ones(2, 3).long(), tg.ones(4, 3).long()).dtype == tg.int64
    # float32 with float64 is promoted (a documented difference from PyTorch)
    assert F.linear(tg.ones(2, 3).double(), tg.ones(4, 3)).dtype == tg.float64


def test_integer_bias_and_bool_convolution_are_refused():
    with pytest.raises(RuntimeError, match="bias"):
        F.linear(tg.ones(2, 3), tg.ones(4, 3), tg.ones(4).long())
    with pytest.raises(RuntimeError, match="bias int64"):
        F.conv2d(tg.ones(1, 1, 3, 3), tg.ones(1, 1, 2, 2), tg.ones(1).long())
    with pytest.raises(NotImplementedError, match="Bool"):
        F.conv2d(tg.ones(1, 1, 3, 3).bool(), tg.ones(1, 1, 2, 2).bool())
    with pytest.raises(RuntimeError, match="linear"):
        tg.nn.Linear(3, 4)(tg.ones(2, 3).long())


# ---- 4. out-of-range indices: PyTorch's error types ----------------------------------------
def test_embedding_and_embedding_bag_out_of_range_error_types():
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(tg.tensor([7]), tg.ones(5, 3))
    with pytest.raises(RuntimeError, match=r"Index 0 of input takes value 7 .*\[0, 5\)"):
        F.embedding_bag(tg.tensor([7]), tg.ones(5, 3), tg.tensor([0]))
    with pytest.raises(RuntimeError, match=r"Index 1 of input takes value -1"):
        F.embedding_bag(tg.tensor([[1, -1]]), tg.ones(5, 3))
    if torch is not None:
        with pytest.raises(IndexError):
            torch.nn.functional.embedding(torch.tensor([7]), torch.ones(5, 3))
        with pytest.raises(RuntimeError, match="Index 0 of input takes value 7"):
            torch.nn.functional.embedding_bag(torch.tensor([7]), torch.ones(5, 3),
                                              torch.tensor([0]))


# ---- 5. reductions given dim=() ------------------------------------------------------------
@pytest.mark.parametrize("call", [lambda x: x.prod(()), lambda x: x.prod(dim=[]),
                                  lambda x: x.max(()), lambda x: x.min(dim=()),
                                  lambda x: tg.prod(x, ())])
def test_prod_max_min_refuse_an_empty_dim_tuple(call):
    with pytest.raises(TypeError, match="dim"):
        call(tg.ones(2, 3))


def test_logsumexp_empty_dims_as_pytorch():
    x = tg.tensor([[0.0, 1.0], [2.0, 3.0]])
    with pytest.raises(RuntimeError, match="logsumexp"):
        tg.logsumexp(x, dim=())
    kept = tg.logsumexp(x, dim=(), keepdim=True)
    assert tuple(kept.shape) == (1, 1)
    assert kept.item() == pytest.approx(3.4401896985611957, abs=1e-6)  # log(1+e+e^2+e^3)
    assert tg.logsumexp(tg.tensor(0.5), dim=()).item() == 0.5
    # sum, mean, amax, ... reduce everything; any/all keep every dim, as PyTorch
    assert tuple(x.sum(dim=()).shape) == () and tuple(x.amax(dim=(), keepdim=True).shape) == (1, 1)
    assert tuple((x > 1).any(dim=()).shape) == (2, 2)


# ---- 6. reprs keep the sizes as given; unknown print profiles ignored ----------------------
def test_module_reprs_show_sizes_as_given():
    nn = tg.nn
    assert repr(nn.Unflatten(-1, tg.Size([2, 3]))) == \
        "Unflatten(dim=-1, unflattened_size=torch.Size([2, 3]))"
    assert repr(nn.Unflatten(-1, [2, 3])) == "Unflatten(dim=-1, unflattened_size=[2, 3])"
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"
    assert tuple(nn.Unflatten(-1, tg.Size([2, 3]))(tg.ones(4, 6)).shape) == (4, 2, 3)
    assert repr(nn.AdaptiveAvgPool2d(tg.Size([4, 5]))) == \
        "AdaptiveAvgPool2d(output_size=torch.Size([4, 5]))"
    assert repr(nn.MaxPool2d(tg.Size([2, 2]))).startswith(
        "MaxPool2d(kernel_size=torch.Size([2, 2]), stride=torch.Size([2, 2])")
    assert repr(nn.Fold([4, 5], 2)).startswith("Fold(output_size=[4, 5], kernel_size=2")
    if torch is not None:
        assert repr(torch.nn.Unflatten(-1, [2, 3])) == "Unflatten(dim=-1, unflattened_size=[2, 3])"
        assert "torch.Size([2, 3])" in repr(torch.nn.Unflatten(-1, torch.Size([2, 3])))


def test_unknown_print_profile_is_ignored():
    from tinygrad_np.settings import PRINT_OPTIONS
    before = dict(PRINT_OPTIONS)
    try:
        tg.set_printoptions(precision=2, profile="nope")
        assert repr(tg.tensor([1.12345])) == "tensor([1.12])"
    finally:
        PRINT_OPTIONS.clear()
        PRINT_OPTIONS.update(before)


# ---- 7. linalg with infinite entries ---------------------------------------------------------
INF = float("inf")


@pytest.mark.parametrize("matrix", [[[1.0, 2.0], [3.0, INF]], [[INF, 0.0], [0.0, 1.0]],
                                    [[-INF, 0.0], [0.0, 1.0]]])
def test_cond_nuc_of_a_matrix_with_inf_is_nan_and_other_norms_inf(matrix):
    a = tg.tensor(matrix)
    assert np.isnan(tg.linalg.cond(a, "nuc").item())
    assert tg.linalg.cond(a, "fro").item() == INF and tg.linalg.cond(a, 1).item() == INF
    if torch is not None:
        assert np.isnan(torch.linalg.cond(torch.tensor(matrix), "nuc").item())
    batch = tg.linalg.cond(tg.tensor([matrix, [[1.0, 2.0], [3.0, 4.0]]]), "nuc")
    assert np.isnan(batch[0].item()) and batch[1].item() == pytest.approx(17.0, rel=1e-5)


def test_pinv_and_lstsq_of_a_matrix_with_inf_are_zeros():
    a = tg.tensor([[1.0, 2.0], [3.0, INF]])
    assert tg.linalg.pinv(a).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert tg.linalg.lstsq(a, tg.ones(2, 1)).solution.tolist() == [[0.0], [0.0]]
    if torch is not None:
        assert torch.linalg.pinv(torch.tensor([[1.0, 2.0], [3.0, INF]])).tolist() == \
            [[0.0, 0.0], [0.0, 0.0]]
    # finite matrices unchanged: pinv of a rank-1 matrix
    assert np.allclose(tg.linalg.pinv(tg.tensor([[1.0, 2.0], [2.0, 4.0]])).tolist(),
                       [[0.04, 0.08], [0.08, 0.16]], atol=1e-6)


def test_svd_of_a_batch_with_one_infinite_matrix_keeps_the_others():
    batch = tg.tensor([[[1.0, 2.0], [3.0, INF]], [[1.0, 2.0], [3.0, 4.0]]])
    s = tg.linalg.svdvals(batch)
    assert np.isnan(s[0].tolist()).all()
    # singular values of [[1, 2], [3, 4]]: sqrt(15 +- sqrt(221))
    assert np.allclose(s[1].tolist(), [5.464985704219043, 0.365966190626258], rtol=1e-5)
    assert np.allclose(tg.linalg.pinv(batch)[1].tolist(), [[-2.0, 1.0], [1.5, -0.5]], atol=1e-5)
    assert tg.linalg.matrix_rank(batch).tolist() == [0, 2]


# ---- 8. Python numbers out of the dtype's range; integer bounds ----------------------------
def test_where_refuses_a_float_its_result_dtype_cannot_hold():
    b = tg.tensor([True, False])
    for call in (lambda: tg.where(b, 1e300, 0.5), lambda: tg.where(b, 1e39, tg.ones(2)),
                 lambda: tg.ones(2).where(b, 1e39), lambda: tg.where(b, 1e39, tg.ones(2).long())):
        with pytest.raises(RuntimeError, match="where.*1e\\+(300|39).*float32"):
            call()
    assert tg.where(b, 1e39, tg.ones(2).double()).tolist() == [1e39, 1.0]
    assert tg.where(b, float("inf"), 0.5).tolist() == [INF, 0.5]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # float16: inf, silently, as PyTorch
        assert tg.where(b, 70000.0, tg.ones(2).half()).tolist() == [INF, 1.0]
        assert tg.ones(2).half().where(b, -70000).tolist() == [1.0, -INF]
    if torch is not None:
        with pytest.raises(RuntimeError, match="overflow"):
            torch.where(torch.tensor([True, False]), 1e300, 0.5)


def test_new_full_refuses_a_value_the_dtype_cannot_hold():
    with pytest.raises(RuntimeError, match="new_full.*300.*int8"):
        tg.zeros(2, dtype=tg.int8).new_full((2,), 300)
    assert tg.zeros(2, dtype=tg.uint8).new_full((2,), -1).tolist() == [255, 255]
    assert tg.zeros(2).new_full((2,), 3, dtype=tg.int64).tolist() == [3, 3]


@pytest.mark.parametrize("call", [lambda: tg.randint(0, 5.0, (3,)), lambda: tg.randint(5.5, (3,)),
                                  lambda: tg.randint(0.5, 5, (3,)), lambda: tg.randint(True, (3,)),
                                  lambda: tg.randint_like(tg.ones(2), 5.0),
                                  lambda: tg.ones(3).random_(0, 5.0)])
def test_random_integer_bounds_must_be_ints(call):
    with pytest.raises(TypeError, match="must be int"):
        call()


def test_integer_bounds_of_other_kinds_still_work():
    assert tg.randint(np.int64(5), (4,)).max().item() < 5
    assert tg.randint(tg.tensor(3), 10, (4,)).min().item() >= 3
    assert set(tg.ones(50).random_(2).tolist()) <= {0.0, 1.0}


def test_addcmul_value_index_put_dtypes_and_nan_to_num_float16_quietly():
    small = tg.zeros(2, dtype=tg.int8)
    with pytest.raises(RuntimeError, match="addcmul.*300.*int8"):
        small.addcmul(tg.ones(2, dtype=tg.int8), tg.ones(2, dtype=tg.int8), value=300)
    with pytest.raises(RuntimeError, match="index_put.*same dtype"):
        small.index_put((tg.tensor([0]),), tg.tensor(300))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = tg.tensor([INF, -INF], dtype=tg.float16).nan_to_num(posinf=1e5, neginf=-1e5)
    assert y.tolist() == [INF, -INF]  # 1e5 rounds to inf in float16, silently, as PyTorch


# ---- integer inputs to normalisations and attention (PyTorch has no integer kernel) --------
@pytest.mark.parametrize("call", [
    lambda x: F.layer_norm(x, (3,)), lambda x: F.group_norm(x, 1), lambda x: F.instance_norm(x),
    lambda x: F.scaled_dot_product_attention(x, x, x)])
def test_normalising_integers_is_refused(call):
    with pytest.raises(NotImplementedError, match="not implemented for int64"):
        call(tg.arange(12).reshape(2, 2, 3))


def test_integer_norm_parameters_are_refused():
    with pytest.raises(RuntimeError, match="layer_norm: weight must be a floating-point"):
        F.layer_norm(tg.ones(2, 3), (3,), tg.ones(3).long())
    with pytest.raises(RuntimeError, match="group_norm: bias must be a floating-point"):
        F.group_norm(tg.ones(2, 4, 3), 2, tg.ones(4), tg.ones(4).long())


def test_more_numbers_out_of_range_are_refused():
    small = tg.ones(2, dtype=tg.int8)
    with pytest.raises(RuntimeError, match="300.*int8"):
        small.new_tensor([300])
    assert small.new_tensor([-3]).tolist() == [-3]
    assert tg.ones(2).long().new_tensor([1.7]).tolist() == [1]
    with pytest.raises(RuntimeError, match="add.*300.*int8"):
        small.add(small, alpha=300)
    assert small.add(small, alpha=3).tolist() == [4, 4]
    with pytest.raises(RuntimeError, match="hardtanh.*-300.*int8"):
        F.hardtanh(small, -300, 300)
    with pytest.raises(RuntimeError, match="linspace.*300.*uint8"):
        tg.linspace(0, 300, 3, dtype=tg.uint8)
    with pytest.raises(RuntimeError, match="linspace.*float16"):
        tg.linspace(0, 1e5, 3, dtype=tg.float16)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(tg.linspace(0, INF, 3).tolist()).all()  # as PyTorch, quietly
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.ones(2, dtype=torch.int8).new_tensor([300])
        with pytest.raises(RuntimeError):
            torch.linspace(0, 300, 3, dtype=torch.uint8)


def test_masked_fill_zero_dim_float_value_must_fit():
    mask = tg.tensor([True, False])
    with pytest.raises(RuntimeError, match="masked_fill.*1e\\+300.*float32"):
        tg.zeros(2).masked_fill(mask, tg.tensor(1e300, dtype=tg.float64))
    with pytest.raises(RuntimeError, match="masked_fill.*70000.*float16"):
        tg.zeros(2).half().masked_fill(mask, tg.tensor(70000.0))
    assert tg.zeros(2).masked_fill(mask, tg.tensor(INF, dtype=tg.float64)).tolist() == [INF, 0.0]


def test_unfold_of_an_empty_batch_and_average_pools_of_no_channels():
    x = tg.ones(0, 1, 4, 4, requires_grad=True)
    y = F.unfold(x, 2)
    assert tuple(y.shape) == (0, 4, 9)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 1, 4, 4)
    assert tuple(F.adaptive_avg_pool2d(tg.ones(1, 0, 4, 4), 2).shape) == (1, 0, 2, 2)
    assert tuple(F.adaptive_avg_pool1d(tg.ones(1, 0, 4), 2).shape) == (1, 0, 2)
    assert tuple(F.interpolate(tg.ones(1, 0, 4, 4), size=(2, 2), mode="area").shape) == \
        (1, 0, 2, 2)
    with pytest.raises(RuntimeError, match="adaptive_max_pool2d"):  # refused, as PyTorch
        F.adaptive_max_pool2d(tg.ones(1, 0, 4, 4), 2)
    if torch is not None:
        assert tuple(torch.nn.functional.unfold(torch.ones(0, 1, 4, 4), 2).shape) == (0, 4, 9)
        assert tuple(torch.nn.functional.adaptive_avg_pool2d(torch.ones(1, 0, 4, 4), 2).shape) \
            == (1, 0, 2, 2)


def test_convolution_weight_without_channels_is_refused_clearly():
    for call in (lambda: F.conv2d(tg.ones(1, 1, 4, 4), tg.ones(0, 1, 3, 3)),
                 lambda: F.conv1d(tg.ones(1, 1, 4), tg.ones(0, 1, 3)),
                 lambda: F.conv_transpose2d(tg.ones(1, 0, 4, 4), tg.ones(0, 2, 3, 3))):
        with pytest.raises(RuntimeError, match="expected weight to be at least 1 at dimension 0"):
            call()


def test_threshold_value_and_threshold_must_fit_the_dtype():
    with pytest.raises(RuntimeError, match="threshold.*100000.*float16"):
        F.threshold(tg.ones(2).half(), 0.5, 1e5)
    with pytest.raises(RuntimeError, match="threshold.*1e\\+39.*float32"):
        F.threshold(tg.ones(2), 1e39, 0.0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a float16 input's threshold is taken in float32
        assert F.threshold(tg.ones(2).half(), 1e5, 0.0).tolist() == [0.0, 0.0]
    assert F.threshold(tg.tensor([0.0, 1.0]), 0.1, 20.0).tolist() == [20.0, 1.0]
