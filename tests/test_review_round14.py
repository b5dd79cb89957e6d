"""Fixes from a review of session 20's changes, against PyTorch where installed and fixed
values otherwise: `where` with an integer tensor and an int it cannot hold, add/sub's alpha
with the other operand cast to the result dtype first, comparisons with Python numbers, and
a DataLoader's shuffled order that does not depend on num_workers."""

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.utils.data import DataLoader, TensorDataset

try:
    import torch
except ImportError:
    torch = None


@pytest.mark.parametrize("value", [300, 256, -129])
def test_where_integer_tensor_refuses_an_int_it_cannot_hold(value):
    a = tg.tensor([3, 7], dtype=tg.uint8 if value > 0 else tg.int8)
    with pytest.raises(RuntimeError, match="where"):
        tg.where(a > 6, a, value)
    with pytest.raises(RuntimeError, match="where"):
        tg.where(a > 6, value, a)


def test_where_integer_tensor_wraps_a_negative_int_in_uint8_as_pytorch():
    a = tg.tensor([3, 7], dtype=tg.uint8)
    assert tg.where(a > 6, a, -1).tolist() == [255, 7]
    assert tg.where(a > 6, -1, a).tolist() == [3, 255]
    assert tg.where(a > 6, a, -1).dtype == tg.uint8


def test_add_alpha_casts_the_other_operand_to_the_result_dtype_first():
    # int8 100 beside int32 must not wrap before the scaling: 1 + 3 * 100 = 301
    out = tg.add(tg.tensor([1, 2], dtype=tg.int32), tg.tensor([100, 100], dtype=tg.int8), alpha=3)
    assert out.dtype == tg.int32 and out.tolist() == [301, 302]
    # a 0-d float32 tensor beside float16 is float16 first: 1.61 -> 1.6103515625
    half = tg.add(tg.tensor([1.5], dtype=tg.float16), tg.tensor(1.61), alpha=3)
    assert half.dtype == tg.float16 and half.item() == 6.33203125


def test_add_alpha_gradient_dtypes_follow_the_operands():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    y = tg.add(x, w, alpha=2)
    y.sum().backward()
    assert y.dtype == tg.float64
    assert x.grad.tolist() == [1.0, 1.0] and w.grad.tolist() == [2.0, 2.0]
    assert w.grad.dtype == tg.float32


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_comparisons_with_python_numbers_in_the_tensor_dtype(dtype):
    values = np.array([0.1, 0.5, -2.0, 65504.0], dtype=dtype)
    t = tg.tensor(values)
    for number in (0.1, 0.5, -2, 1e5):
        with np.errstate(over="ignore"):
            there = np.asarray(number).astype(dtype)
        assert (t == number).tolist() == (values == there).tolist()
        assert (t < number).tolist() == (values < there).tolist()
    if torch is not None:
        u = torch.tensor(values)
        for number in (0.1, 0.5, -2):
            assert (t == number).tolist() == (u == number).tolist()
            assert (t >= number).tolist() == (u >= number).tolist()


def _orders(num_workers, persistent=False):
    generator = tg.Generator().manual_seed(0)
    loader = DataLoader(TensorDataset(tg.arange(10)), batch_size=3, shuffle=True,
                        generator=generator, num_workers=num_workers,
                        persistent_workers=persistent)
    return [[batch[0].tolist() for batch in loader] for _ in range(3)]


def test_shuffled_order_does_not_depend_on_num_workers():
    plain = _orders(0)
    assert _orders(2) == plain
    assert _orders(3) == plain
    assert sorted(sum(plain[0], [])) == list(range(10))
    assert plain[0] != plain[1]  # a new order each epoch


def test_persistent_workers_draw_no_new_seed_after_the_first_epoch():
    # PyTorch draws the base seed once per iterator; persistent workers keep theirs, so
    # their later epochs differ from a loader that starts new workers each epoch
    persistent, plain = _orders(2, persistent=True), _orders(2)
    assert persistent[0] == plain[0]
    assert persistent[1] != plain[1]


def test_vmap_out_dims_as_a_dict_matching_the_outputs():
    out = tg.vmap(lambda x: {"a": x, "b": (x, x.sum())}, out_dims={"a": 1, "b": (0, 0)})(
        tg.ones(3, 2))
    assert tuple(out["a"].shape) == (2, 3) and tuple(out["b"][0].shape) == (3, 2)
    assert tuple(out["b"][1].shape) == (3,)
    with pytest.raises(ValueError, match="out_dims"):
        tg.vmap(lambda x: {"a": x}, out_dims={"b": 1})(tg.ones(3, 2))
    with pytest.raises(ValueError, match="out_dims"):
        tg.vmap(lambda x: x, out_dims={"b": 1})(tg.ones(3, 2))


@pytest.mark.parametrize(("name", "dtype", "expected"), [
    ("sum", "int64", -1), ("sum", "bool", True), ("sum", "float64", -0.5),
    ("prod", "int64", -2), ("cumsum", "int64", [1, -1]), ("cumprod", "int64", [1, -2]),
])
def test_sums_with_out_compute_in_out_dtype(name, dtype, expected):
    # PyTorch casts the input to out's dtype first: [1.5, -2.0] as int64 is [1, -2]
    out = tg.empty(0, dtype=getattr(tg, dtype if dtype != "bool" else "bool_"))
    result = getattr(tg, name)(tg.tensor([1.5, -2.0]), 0, out=out)
    assert result is out and out.dtype == np.dtype(dtype)
    assert out.tolist() == expected


def test_out_of_another_dtype_refused_where_pytorch_refuses_it():
    a = tg.tensor([1.0, -2.0])
    with pytest.raises(RuntimeError, match="signbit"):
        tg.signbit(a, out=tg.empty(0, dtype=tg.float64))
    with pytest.raises(RuntimeError, match="isposinf"):
        tg.isposinf(a, out=tg.empty(0, dtype=tg.int64))
    for name in ("max", "sort"):
        with pytest.raises(RuntimeError, match=name):
            getattr(tg, name)(a, 0, out=(tg.empty(0, dtype=tg.float64),
                                         tg.empty(0, dtype=tg.int64)))
        values, indices = tg.empty(0), tg.empty(0, dtype=tg.int64)
        getattr(tg, name)(a, 0, out=(values, indices))
        assert values.tolist() == (1.0 if name == "max" else [-2.0, 1.0])
    assert tg.signbit(a, out=tg.empty(0, dtype=tg.bool_)).tolist() == [False, True]


def test_compiled_module_finds_submodules_by_either_path():
    model = tg.nn.Sequential(tg.nn.Linear(2, 2))
    compiled = tg.compile(model)
    assert compiled.get_submodule("0") is model[0]
    assert compiled.get_submodule("_orig_mod.0") is model[0]
    assert compiled.get_parameter("0.weight") is model[0].weight
    assert compiled.get_parameter("_orig_mod.0.bias") is model[0].bias
    with pytest.raises(AttributeError):
        compiled.get_submodule("1")


def test_python_sequences_with_tensors_follow_python_and_pytorch():
    count = tg.tensor([2, 4, 3]).max()
    assert [5, 6] + [0] * (count - 2) == [5, 6, 0, 0]  # the padding idiom
    assert [0] * tg.tensor(2) == [0, 0] and tg.tensor(2) * [1] == [1, 1]
    assert (1,) * tg.tensor(2) == (1, 1) and "-" * tg.tensor(3) == "---"
    for bad in (lambda: [1, 2] + tg.tensor([3]), lambda: (1, 2) + tg.tensor([3]),
                lambda: [0] * tg.tensor(2.0), lambda: tg.tensor([3]) - [1],
                lambda: tg.tensor([3.0]) / [1]):
        with pytest.raises(TypeError):
            bad()


def test_sdpa_with_a_mask_and_is_causal_applies_both():
    rng = np.random.default_rng(0)
    q, k, v = (tg.tensor(rng.standard_normal(shape)) for shape in
               ((1, 1, 3, 4), (1, 1, 5, 4), (1, 1, 5, 4)))
    keys = tg.tensor([[True, False, True, True, True]])
    both = tg.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=keys,
                                                         is_causal=True)
    combined = keys._data & np.tril(np.ones((3, 5), dtype=bool))
    alone = tg.nn.functional.scaled_dot_product_attention(q, k, v,
                                                          attn_mask=tg.tensor(combined))
    np.testing.assert_allclose(both.numpy(), alone.numpy(), rtol=1e-12)
    if torch is not None:
        theirs = torch.nn.functional.scaled_dot_product_attention(
            torch.tensor(q.numpy()), torch.tensor(k.numpy()), torch.tensor(v.numpy()),
            attn_mask=torch.tensor(keys.numpy()), is_causal=True)
        np.testing.assert_allclose(both.numpy(), theirs.numpy(), rtol=1e-10)


def test_max_min_other_keyword_and_split_tensor_keyword():
    x, y = tg.tensor([1.0, 5.0, 2.0]), tg.tensor([3.0, 3.0, 3.0])
    assert tg.max(x, other=y).tolist() == [3.0, 5.0, 3.0]
    assert tg.min(x, other=y).tolist() == [1.0, 3.0, 2.0]
    assert x.max(other=y).tolist() == [3.0, 5.0, 3.0] and x.min(other=y).tolist() == [1, 3, 2]
    parts = tg.split(tensor=x, split_size_or_sections=1, dim=0)
    assert [part.tolist() for part in parts] == [[1.0], [5.0], [2.0]]
