"""Round 17 (l): the error contract for bad input, from a sweep of ~2,900 bad calls against
PyTorch 2.13. Loss targets that are no data (None, a string) raise PyTorch's TypeError (they
gave a NaN loss or a KeyError), `out=` on functions without it, None or a string as the
operand of logical ops, isclose, gcd and lcm, float or None dims named by the op, F.pad's
float amounts refused (they were truncated), ..."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

try:
    import torch
except ImportError:
    torch = None


def _x(m, shape=(2, 3)):
    return m.tensor(np.arange(np.prod(shape), dtype=np.float32).reshape(shape) / 7 + 0.1)


def _same_error(call, error, match):
    """`call(tg)` raises `error` with a message matching `match`; torch raises the same type."""
    with pytest.raises(error, match=match):
        call(tg)
    if torch is not None:
        with pytest.raises(error):
            call(torch)


# ---- 1. loss targets that are no data ------------------------------------------------------
TARGET_LOSSES = ["l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "soft_margin_loss",
                 "poisson_nll_loss", "hinge_embedding_loss", "multilabel_soft_margin_loss",
                 "mse_loss", "nll_loss", "cross_entropy", "multi_margin_loss",
                 "multilabel_margin_loss", "binary_cross_entropy",
                 "binary_cross_entropy_with_logits"]


@pytest.mark.parametrize("name", TARGET_LOSSES)
@pytest.mark.parametrize("target", [None, "a"])
def test_loss_target_none_or_string_is_type_error(name, target):
    x = _x(tg).sigmoid()
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'target' \(position 2\) must be "
                                         rf"Tensor, not {type(target).__name__}"):
        getattr(F, name)(x, target)


def test_gaussian_nll_and_margin_ranking_none():
    x = _x(tg)
    with pytest.raises(TypeError, match=r"gaussian_nll_loss\(\): argument 'target'"):
        F.gaussian_nll_loss(x, None, x.abs())
    with pytest.raises(TypeError, match=r"gaussian_nll_loss\(\): argument 'var'"):
        F.gaussian_nll_loss(x, x, None)
    with pytest.raises(TypeError, match=r"margin_ranking_loss\(\): argument 'target' "
                                        r"\(position 3\)"):
        F.margin_ranking_loss(x[0], x[1], None)


def test_loss_numbers_and_arrays_still_taken():
    x = _x(tg)
    assert F.mse_loss(x, tg.zeros(2, 3)).item() == pytest.approx(float((x._data ** 2).mean()))
    assert F.mse_loss(x, np.zeros((2, 3))).item() == pytest.approx(
        float((x._data ** 2).mean()))


def test_multi_margin_loss_float_target_refused():
    x = _x(tg)
    with pytest.raises(RuntimeError, match="multi_margin_loss: expected scalar type Long"):
        F.multi_margin_loss(x, tg.tensor([0.7, 2.0]))
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.nn.functional.multi_margin_loss(_x(torch), torch.tensor([0.7, 2.0]))
    # integer ids: 0.5 * ... a known value, (1 - x[y] + x[i]) summed over i != y, / C
    loss = F.multi_margin_loss(tg.tensor([[0.0, 0.5, 0.25]]), tg.tensor([0]))
    assert loss.item() == pytest.approx((1.5 + 1.25) / 3)


# ---- 2. out= on functions without one --------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda m, x: m.allclose(x, x, out=m.empty(0)),
    lambda m, x: m.equal(x, x, out=m.empty(0)),
    lambda m, x: m.isclose(x, x, out=m.empty(0)),
    lambda m, x: m.is_complex(x, out=m.empty(0)),
    lambda m, x: m.chunk(x, 1, out=m.empty(0)),
    lambda m, x: m.roll(x, 1, out=m.empty(0)),
    lambda m, x: m.unsqueeze(x, 1, out=m.empty(0)),
])
def test_out_keyword_refused_where_pytorch_has_none(call):
    _same_error(lambda m: call(m, _x(m)), TypeError, "unexpected keyword argument 'out'")


# ---- 3. None or a string as an operand -------------------------------------------------------
@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor", "isclose",
                                  "allclose", "gcd", "lcm"])
@pytest.mark.parametrize("other", [None, "a"])
def test_operand_none_or_string(name, other):
    def call(m):
        x = _x(m).long() if name in ("gcd", "lcm") else _x(m)
        return getattr(m, name)(x, other)
    _same_error(call, TypeError, rf"{name}\(\): argument 'other' must be Tensor, not "
                                 rf"{type(other).__name__}")


def test_logical_and_with_number_is_pytorchs_type_error():  # (session 26: as PyTorch)
    _same_error(lambda m: m.logical_and(m.tensor([0.0, 2.0]), 1), TypeError,
                r"logical_and\(\): argument 'other' must be Tensor, not int")
    assert tg.logical_and(tg.tensor([0.0, 2.0]), [1, 1]).tolist() == [False, True]


# ---- 4. dims of the wrong type ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "var", "std",
                                  "logsumexp", "any", "all", "squeeze", "nansum", "nanmean",
                                  "count_nonzero"])
@pytest.mark.parametrize("dim", [1.5, "a"])
def test_reduction_dim_of_wrong_type(name, dim):
    _same_error(lambda m: getattr(_x(m), name)(dim=dim), TypeError,
                rf"(nan)?{name.replace('nan', '')}\(\): argument 'dim' must be an int or a tuple "
                rf"of ints, not "
                rf"{type(dim).__name__}")


@pytest.mark.parametrize(("call", "match"), [
    (lambda m, x: x.movedim(1.5, 0), r"movedim\(\): argument 'source'"),
    (lambda m, x: x.movedim(None, 0), r"movedim\(\): argument 'source'"),
    (lambda m, x: x.movedim(0, 1.5), r"movedim\(\): argument 'destination'"),
    (lambda m, x: x.roll(1, 1.5), r"roll\(\): argument 'dims'"),
])
def test_shape_op_dims_of_wrong_type(call, match):
    _same_error(lambda m: call(m, _x(m)), TypeError, match)


# ---- 5. F.pad amounts --------------------------------------------------------------------------
def test_pad_float_amount_refused_not_truncated():
    _same_error(lambda m: m.nn.functional.pad(_x(m), (1.5, 1)), TypeError,
                r"pad\(\): argument 'pad' \(position 2\) must be tuple of ints, but found "
                r"element of type float at pos 0")
    padded = F.pad(tg.tensor([[1.0, 2.0]]), (np.int64(1), 0))  # NumPy ints are ints
    assert padded.tolist() == [[0.0, 1.0, 2.0]]


def test_pad_unknown_mode_not_implemented():
    _same_error(lambda m: m.nn.functional.pad(_x(m), (1, 1), mode="bogus"),
                NotImplementedError, "bogus")


# ---- 6. where() with an explicit None, clamp with a str bound, xlogy's operands ------------------
@pytest.mark.parametrize("call", [
    lambda m, x: m.where(x > 0, None),
    lambda m, x: m.where(x > 0, x, None),
    lambda m, x: m.where(x > 0, None, x),
    lambda m, x: x.clamp(min="a"),
    lambda m, x: m.clamp(x, 0, "a"),
    lambda m, x: m.xlogy(x, None),
    lambda m, x: m.xlogy(x, "a"),
])
def test_none_or_string_operands_type_error(call):
    _same_error(lambda m: call(m, _x(m)), TypeError, r"where\(\)|clamp\(\)|xlogy\(\)")


def test_where_forms_still_work():
    x = tg.tensor([[-1.0, 2.0], [3.0, -4.0]])
    assert tg.where(x > 0, x, 0.0).tolist() == [[0.0, 2.0], [3.0, 0.0]]
    rows, cols = tg.where(x > 0)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    out = tg.empty(2, 2)
    tg.where(x > 0, x, x * 0, out=out)
    assert out.tolist() == [[0.0, 2.0], [3.0, 0.0]]


# ---- 7. nanmedian of bools, bincount of floats, fill values of several elements -----------------
def test_nanmedian_bool_refused_as_median():
    _same_error(lambda m: m.tensor([[True, False]]).nanmedian(dim=1), NotImplementedError,
                "nanmedian: not implemented for bool")
    assert tg.nanmedian(tg.tensor([1.0, float("nan"), 3.0])).item() == 1.0


def test_bincount_of_floats_not_implemented():
    _same_error(lambda m: m.bincount(m.tensor([1.0, 2.0])), NotImplementedError,
                "bincount: not implemented for float32")
    assert tg.bincount(tg.tensor([0, 2, 2])).tolist() == [1, 0, 2]


@pytest.mark.parametrize("call", [
    lambda m: m.zeros(2, 3).fill_(m.ones(2, 3)),
    lambda m: m.zeros(2, 3).masked_fill(m.ones(2, 3) > 0, m.ones(2, 3)),
])
def test_fill_value_of_several_elements_runtime_error(call):
    _same_error(call, RuntimeError, "only supports a 0-dimensional value tensor")


def test_fill_value_still_type_error_for_a_string():
    _same_error(lambda m: m.zeros(2).fill_("a"), TypeError, "must be Number")


# ---- 8. indexing and take: PyTorch's words, not NumPy's ----------------------------------------
def test_bool_mask_of_the_wrong_shape():
    _same_error(lambda m: _x(m)[m.tensor([True])], IndexError,
                r"The shape of the mask at index 0 \(size 1\) does not match the shape of the "
                r"indexed tensor \[2, 3\]")
    _same_error(lambda m: _x(m)[:, m.tensor([True, False])], IndexError,
                "The shape of the mask at index 1")


def test_float_index_message():
    _same_error(lambda m: _x(m)[1.5], IndexError, r"None and long or byte tensors are valid "
                                                  r"indices \(got 1.5\)")


@pytest.mark.parametrize("index", [10, -7])
def test_take_out_of_range(index):
    _same_error(lambda m: _x(m).take(m.tensor([0, index])), IndexError,
                rf"take: out of range: tried to access index {index} on a tensor of 6 elements")
    assert tg.take(_x(tg), tg.tensor([-1])).tolist() == pytest.approx([5 / 7 + 0.1])


# ---- 9. Tensor.to of something that is neither dtype nor device --------------------------------
@pytest.mark.parametrize("arg", ["bogus", 5])
def test_to_unknown_runtime_error(arg):
    _same_error(lambda m: _x(m).to(arg), RuntimeError, "neither a dtype nor a device")
    assert _x(tg).to("float64").dtype == tg.float64


# ---- 10. non-tensors where a module or a function reads attributes: TypeError, not AttributeError
@pytest.mark.parametrize("call", [
    lambda m: m.nn.PixelShuffle(2)(None),
    lambda m: m.nn.PixelUnshuffle(2)("a"),
    lambda m: m.nn.ChannelShuffle(1)([[1.0]]),
    lambda m: m.nn.functional.conv2d(m.ones(1, 3, 4, 4), None),
    lambda m: m.nn.functional.conv_transpose2d(m.ones(1, 3, 4, 4), None),
    lambda m: m.nn.functional.linear(m.ones(2, 3), None),
    lambda m: m.abs_(None),
    lambda m: m.sin_("a"),
    lambda m: m.clamp_(None, 0),
    lambda m: m.ldexp_(2, m.ones(2)),
    lambda m: m.conj_physical_(None),
    lambda m: m.var_mean(None),
    lambda m: m.std_mean("a"),
    lambda m: m.is_nonzero(None),
    lambda m: m.is_signed(2),
    lambda m: m.get_device(None),
    lambda m: m.is_inference("a"),
    lambda m: m.isin(m.ones(2), None),
])
def test_non_tensor_input_type_error(call):
    with pytest.raises(TypeError) as info:
        call(tg)
    assert not isinstance(info.value, AttributeError)
    if torch is not None:
        with pytest.raises(TypeError):
            call(torch)


def test_module_level_in_place_forms_still_work():
    x = tg.tensor([-1.0, 2.0])
    assert tg.abs_(x) is x and x.tolist() == [1.0, 2.0]
    assert tg.ldexp_(x, tg.tensor([1, 2])).tolist() == [2.0, 8.0]
    assert tg.clamp_(x, 0, 3).tolist() == [2.0, 3.0]


# ---- 11. 0-d inputs of GLU and Unflatten ---------------------------------------------------------
def test_glu_of_a_scalar_and_a_bad_dim():
    _same_error(lambda m: m.nn.GLU()(m.tensor(1.5)), RuntimeError, "glu does not support scalars")
    _same_error(lambda m: m.nn.functional.glu(m.ones(2, 4), 5), IndexError,
                "Dimension out of range")
    y = F.glu(tg.tensor([[0.0, 2.0, 0.0, 0.0]]), 0 - 1)
    assert y.tolist() == [[0.0, 1.0]]  # [0, 2] * sigmoid([0, 0]) = [0, 1]


def test_unflatten_of_a_scalar():
    _same_error(lambda m: m.nn.Unflatten(1, (3, 1))(m.tensor(1.5)), IndexError,
                "Dimension specified as 1 but tensor has no dimensions")
    _same_error(lambda m: m.tensor(1.5).unflatten(0, (1, 1)), RuntimeError,
                "Dimension specified as 0 but tensor has no dimensions")
    assert tg.nn.Unflatten(-1, (-1, 1))(tg.ones(2, 3)).shape == (2, 3, 1)


# ---- 12. ops that need a real axis, on a 0-d tensor --------------------------------------------
@pytest.mark.parametrize("call", [
    lambda m, x: x.unbind(0),
    lambda m, x: x.roll(1, 0),
    lambda m, x: x.take_along_dim(m.tensor(0), 0),
    lambda m, x: x.cross(m.tensor(1.0), dim=0),
])
def test_zero_d_tensor_has_no_axis(call):
    _same_error(lambda m: call(m, m.tensor(2.0)), IndexError, "tensor has no dimensions")


def test_select_on_a_zero_d_tensor():
    _same_error(lambda m: m.tensor(2.0).select(0, 0), IndexError,
                r"select\(\) cannot be applied to a 0-dim tensor")


def test_real_axis_ops_still_work():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert [t.tolist() for t in x.unbind(1)] == [[1.0, 3.0], [2.0, 4.0]]
    assert x.select(-1, 0).tolist() == [1.0, 3.0]
    assert x.roll(1, 0).tolist() == [[3.0, 4.0], [1.0, 2.0]]


# ---- 13. None where a sequence of ints is wanted ----------------------------------------
@pytest.mark.parametrize(("call", "match"), [
    (lambda m: m.nn.functional.layer_norm(m.ones(2, 3), None), "normalized_shape"),
    (lambda m: m.ones(2, 3).split_with_sizes(None), "split_sizes"),
    (lambda m: m.hsplit(m.ones(2, 4), None), "indices_or_sections"),
    (lambda m: m.linalg.multi_dot(None), "multi_dot"),
    (lambda m: m.nuclear_norm(m.ones(2, 3), None), "dim"),
])
def test_none_for_a_sequence_of_ints(call, match):
    _same_error(call, TypeError, match)


def test_sequences_of_ints_still_taken():
    x = tg.ones(2, 4)
    assert F.layer_norm(x, tg.Size([4])).shape == (2, 4)
    assert [t.shape[1] for t in tg.hsplit(x, [1, 3])] == [1, 2, 1]
    assert tg.nuclear_norm(tg.eye(2) * 3).item() == pytest.approx(6.0)


# ---- 14. in-place casts refused in PyTorch's words; layers of negative size -----------------
@pytest.mark.parametrize("call", [
    lambda m: m.ones(2, dtype=m.int64).add_(m.ones(2)),
    lambda m: m.ones(2, dtype=m.int64).mul_(1.5),
    lambda m: m.ones(2, dtype=m.int64).sin_(),
])
def test_in_place_float_into_int_message(call):
    _same_error(call, RuntimeError, "can't be cast to the desired output type")
    with pytest.raises(RuntimeError) as info:
        call(tg)
    assert "ufunc" not in str(info.value) and "casting rule" not in str(info.value)


@pytest.mark.parametrize("call", [
    lambda nn: nn.Linear(-1, 3), lambda nn: nn.Linear(3, -1), lambda nn: nn.Conv2d(3, 4, -1),
    lambda nn: nn.BatchNorm2d(-1), lambda nn: nn.LayerNorm(-1), lambda nn: nn.Embedding(-1, 4),
])
def test_layer_of_negative_size(call):
    _same_error(lambda m: call(m.nn), RuntimeError, "Trying to create tensor with negative "
                                                    "dimension")
    with pytest.raises(RuntimeError) as info:
        call(tg.nn)
    assert "negative dimensions are not allowed" not in str(info.value)


def test_layer_signature_kept():
    import inspect
    assert list(inspect.signature(tg.nn.Linear).parameters)[:2] == ["in_features",
                                                                   "out_features"]
    assert tg.nn.Linear(3, 4).weight.shape == (4, 3)


# ---- 15. integer inputs of losses with no integer kernel; init.constant_ of a str; argsort out=
@pytest.mark.parametrize(("name", "target"), [
    ("nll_loss", "ids"), ("multi_margin_loss", "ids"), ("multilabel_margin_loss", "ints"),
    ("hinge_embedding_loss", "floats"), ("huber_loss", "floats"), ("soft_margin_loss", "floats"),
])
def test_integer_input_of_a_loss_refused(name, target):
    def call(m):
        x = m.tensor([[0, 1, 1], [1, 0, 1]])
        t = {"ids": m.tensor([0, 2]), "ints": x, "floats": x.float()}[target]
        return getattr(m.nn.functional, name)(x, t)
    _same_error(call, RuntimeError, name)


def test_float_input_of_those_losses_still_works():
    x = tg.tensor([[0.0, 1.0, 0.5]])
    assert F.nll_loss(x, tg.tensor([1])).item() == -1.0
    assert F.huber_loss(x, x * 0).item() == pytest.approx((0.0 + 0.5 + 0.125) / 3)


def test_init_constant_of_a_string():
    _same_error(lambda m: m.nn.init.constant_(m.ones(2), "a"), TypeError, "must be Number")
    assert tg.nn.init.constant_(tg.ones(2), 3).tolist() == [3.0, 3.0]


def test_argsort_has_no_out():
    _same_error(lambda m: m.argsort(_x(m), out=m.empty(0, dtype=m.int64)), TypeError,
                "unexpected keyword argument 'out'")


# ---- 16. strings where a number, a Tensor or an index is wanted ------------------------------
@pytest.mark.parametrize("call", [
    lambda m, x: x.masked_fill(x > 0, "a"),
    lambda m, x: x.type_as(None),
    lambda m, x: x.round(decimals="a"),
    lambda m, x: x.round(decimals=1.5),
    lambda m, x: x.__setitem__("a", 1.0),
    lambda m, x: m.split(x, "a"),
    lambda m, x: (x * 2).sum().backward(gradient="a"),
])
def test_string_or_float_arguments_type_error(call):
    def run(m):
        x = _x(m).requires_grad_(True) if "backward" in str(call.__code__.co_names) else _x(m)
        return call(m, x)
    with pytest.raises(TypeError):
        run(tg)
    if torch is not None:
        with pytest.raises(TypeError):
            run(torch)


def test_masked_fill_with_a_string_was_a_string_tensor():
    x = tg.tensor([1.0, -1.0])
    with pytest.raises(TypeError, match=r"masked_fill\(\): argument 'value'"):
        x.masked_fill(x > 0, "a")
    assert x.masked_fill(x > 0, 0).tolist() == [0.0, -1.0]
    assert x.masked_fill(x > 0, tg.tensor(5.0)).tolist() == [5.0, -1.0]
    assert x.round(decimals=1).tolist() == [1.0, -1.0]


def test_where_with_a_string_and_to_a_string_dtype():
    _same_error(lambda m: m.where(_x(m) > 0, "a", _x(m)), TypeError, "where")
    _same_error(lambda m: _x(m).to("a"), RuntimeError, "neither a dtype nor a device")
    assert _x(tg).to("int32").dtype == tg.int32


# ---- 17. floats where an int is wanted: refused, not truncated -----------------------------------
@pytest.mark.parametrize("call", [
    lambda m, x: x.select(1, 1.5),
    lambda m, x: x.kthvalue(1.5),
    lambda m, x: x.narrow(1, 1.5, 1),
    lambda m, x: x.narrow(1, 0, 1.5),
    lambda m, x: m.linspace(0, 1, 2.5),
    lambda m, x: m.nn.functional.one_hot(m.tensor([1]), 2.5),
    lambda m, x: m.nn.functional.pixel_shuffle(m.ones(1, 4, 2, 2), 2.0),
    lambda m, x: m.rot90(x, 1.5),
    lambda m, x: m.randperm(2.5),
    lambda m, x: m.nn.functional.interpolate(m.ones(1, 1, 4), size=2.5),
    lambda m, x: m.nn.functional.embedding(m.tensor([1]), m.ones(3, 2), padding_idx=1.5),
])
def test_float_for_an_int_argument(call):
    with pytest.raises(TypeError, match="must be"):
        call(tg, _x(tg))
    if torch is not None:
        with pytest.raises(TypeError):
            call(torch, _x(torch))


def test_int_arguments_still_taken():
    x = tg.arange(6.0).reshape(2, 3)
    assert x.select(1, tg.tensor(1)).tolist() == [1.0, 4.0]
    assert x.select(1, np.int64(2)).tolist() == [2.0, 5.0]
    assert x.narrow(1, tg.tensor(1), 2).tolist() == [[1.0, 2.0], [4.0, 5.0]]
    assert x.kthvalue(2).values.tolist() == [1.0, 4.0]
    assert tg.linspace(0, 1, 3).tolist() == [0.0, 0.5, 1.0]
    assert F.one_hot(tg.tensor([1])).tolist() == [[0, 1]]


def test_expand_float_size_refused():
    with pytest.raises(TypeError, match=r"expand\(\): argument 'size' must be tuple of ints"):
        tg.ones(1, 3).expand(2.0, 3)
    if torch is not None:
        with pytest.raises(TypeError):
            torch.ones(1, 3).expand(2.0, 3)
    assert tg.ones(1, 3).expand(tg.tensor(2), -1).shape == (2, 3)
