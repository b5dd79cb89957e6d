"""Round 17 (b): construction and copying leftovers. `tensor(t)`'s copy-construct warning,
the legacy `Tensor(range(...))`, incomplete gamma at x = inf with a NaN a, a custom
`autograd.Function`'s node class name (`MyFnBackward`), and the rest found by the probes."""
from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

COPY_WARNING = "To copy construct from a tensor, it is recommended to use"


# ---- 1. tensor(t) / new_tensor(t): PyTorch's UserWarning and a detached copy -------------------
@pytest.mark.parametrize("make", [lambda lib, t: lib.tensor(t),
                                  lambda lib, t: lib.tensor(t, dtype=lib.float64),
                                  lambda lib, t: t.new_tensor(t)])
def test_copy_constructing_from_a_tensor_warns_and_detaches(make):
    for lib in (tg, torch) if torch is not None else (tg,):
        source = lib.ones(3, requires_grad=True) * 2
        with pytest.warns(UserWarning, match=COPY_WARNING):
            copied = make(lib, source)
        assert not copied.requires_grad and copied.grad_fn is None
        assert copied.tolist() == [2.0, 2.0, 2.0]
        with lib.no_grad():
            source.add_(1)
        assert copied.tolist() == [2.0, 2.0, 2.0]  # a copy


def test_as_tensor_and_lists_of_tensors_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tg.as_tensor(tg.ones(2)).tolist() == [1.0, 1.0]
        assert tg.tensor([tg.tensor(1.0), tg.tensor(2.0)]).tolist() == [1.0, 2.0]
        assert tg.tensor(np.ones(2)).tolist() == [1.0, 1.0]


# ---- 2. the legacy constructor reads a range as a list: float32 -------------------------------
def test_legacy_tensor_of_a_range_is_float32():
    made = tg.Tensor(range(3))
    assert made.dtype == tg.float32 and made.tolist() == [0.0, 1.0, 2.0]
    assert tg.tensor(range(3)).dtype == tg.int64  # tensor() infers, as PyTorch
    if torch is not None:
        assert torch.Tensor(range(3)).dtype == torch.float32


# ---- 3. incomplete gamma: x = inf gives P = 1, Q = 0 for a NaN a too ------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_incomplete_gamma_at_infinite_x_with_nan_a(dtype):
    a = tg.tensor([math.nan, math.nan, -1.0, math.inf, 2.0], dtype=getattr(tg, dtype))
    x = tg.tensor([math.inf, 1.0, math.inf, math.inf, math.inf], dtype=getattr(tg, dtype))
    expected_p = [1.0, math.nan, math.nan, math.nan, 1.0]
    expected_q = [0.0, math.nan, math.nan, math.nan, 0.0]
    np.testing.assert_array_equal(tg.special.gammainc(a, x).numpy(), expected_p)
    np.testing.assert_array_equal(tg.special.gammaincc(a, x).numpy(), expected_q)
    np.testing.assert_array_equal(a.igamma(x).numpy(), expected_p)
    if torch is not None:
        ta, tx = torch.tensor(a.numpy()), torch.tensor(x.numpy())
        np.testing.assert_array_equal(torch.special.gammainc(ta, tx).numpy(), expected_p)
        np.testing.assert_array_equal(torch.special.gammaincc(ta, tx).numpy(), expected_q)


# ---- 4. a custom Function's node is of class `<Name>Backward` --------------------------------
class Doubled(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


def test_custom_function_node_class_is_named_backward():
    x = tg.ones(2, requires_grad=True)
    y = Doubled.apply(x)
    assert type(y.grad_fn).__name__ == "DoubledBackward"
    assert y.grad_fn.name() == "DoubledBackward"
    assert type(y.grad_fn) is Doubled._backward_cls
    assert repr(y.grad_fn).startswith("<DoubledBackward object")
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: None)  # a hooked node class
    assert y.grad_fn.name() == "DoubledBackward"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    copied = pickle.loads(pickle.dumps(Doubled.apply(tg.ones(2, requires_grad=True))))
    assert type(copied.grad_fn).__name__ in ("DoubledBackward",) or copied.grad_fn is None
    with pytest.raises(RuntimeError, match="Legacy autograd function.*call Doubled.apply"):
        Doubled()(x)
    if torch is not None:
        class TorchDoubled(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad * 2

        node = TorchDoubled.apply(torch.ones(2, requires_grad=True)).grad_fn
        assert (type(node).__name__, node.name()) == ("TorchDoubledBackward",) * 2


# ---- 5. load_state_dict casts each value as it copies it, key by key (PyTorch's copy_) ----------
def _two_dtypes(lib):
    module = lib.nn.Module()
    module.a = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    module.b = lib.nn.Parameter(lib.tensor([3.0, 4.0], dtype=lib.float64))
    return module


@pytest.mark.parametrize("order", ["ab", "ba"])
def test_load_state_dict_value_aliasing_a_tensor_loaded_before_it(order):
    # a <- b (cast to float32), then b <- a, which a's copy has just changed: both 3, 4
    for lib in (tg, torch) if torch is not None else (tg,):
        module = _two_dtypes(lib)
        given = {"a": module.b, "b": module.a}
        module.load_state_dict({key: given[key] for key in order})
        assert module.a.tolist() == [3.0, 4.0] and module.b.tolist() == [3.0, 4.0]
        assert module.a.dtype == lib.float32 and module.b.dtype == lib.float64


def test_load_state_dict_still_refuses_values_the_dtype_cannot_hold():
    module = _two_dtypes(tg)
    with pytest.raises(RuntimeError, match="out of range for float32"):
        module.load_state_dict({"a": tg.tensor([1e300, 0.0], dtype=tg.float64),
                                "b": module.b})
    assert module.a.tolist() == [1.0, 2.0]  # nothing written


# ---- 6. cdist p=inf skips a NaN difference, as PyTorch's (pdist keeps NaN, as PyTorch's) -------
def test_cdist_inf_skips_nan_differences_and_pdist_does_not():
    nan = math.nan
    rows = [[nan, 5.0], [nan, nan], [1.0, nan]]
    others = [[0.0, 0.0], [0.0, 7.0]]
    expected = [[5.0, 2.0], [0.0, 0.0], [1.0, 1.0]]
    expected_grad = [[nan, 0.0], [nan, nan], [2.0, nan]]  # sign where |d| is the distance
    for lib in (tg, torch) if torch is not None else (tg,):
        for mode in ("use_mm_for_euclid_dist_if_necessary", "donot_use_mm_for_euclid_dist"):
            x = lib.tensor(rows, dtype=lib.float64, requires_grad=True)
            distance = lib.cdist(x, lib.tensor(others, dtype=lib.float64), p=math.inf,
                                 compute_mode=mode)
            distance.sum().backward()
            np.testing.assert_array_equal(distance.detach().numpy(), expected)
            np.testing.assert_array_equal(x.grad.numpy(), expected_grad)
        pairs = lib.pdist(lib.tensor([[nan, 1.0], [0.0, 3.0], [1.0, 1.0]]), p=math.inf)
        np.testing.assert_array_equal(pairs.numpy(), [nan, nan, 2.0])


# ---- 7. negative sizes: PyTorch's RuntimeError everywhere (NumPy would take -2 as -1) ----------
@pytest.mark.parametrize("make", [
    lambda lib: lib.ones(6).reshape(-2, 3), lambda lib: lib.ones(6).view(-3),
    lambda lib: lib.full((-1,), 1.0), lambda lib: lib.randint(0, 5, (-1,)),
    lambda lib: lib.ones(1).new_zeros(-1), lambda lib: lib.ones(1).new_ones((2, -1)),
    lambda lib: lib.ones(1).new_empty(-1), lambda lib: lib.ones(1).new_full((-1,), 2.0),
    lambda lib: lib.ones(1).new(-1), lambda lib: lib.FloatTensor(-1),
    lambda lib: lib.normal(0.0, 1.0, size=(-1,))])
def test_negative_sizes_are_runtime_errors(make):
    for lib in (tg, torch) if torch is not None else (tg,):
        with pytest.raises(RuntimeError):
            make(lib)


def test_reshape_with_minus_one_still_infers():
    assert tg.ones(6).reshape(2, -1).shape == (2, 3)
    assert tg.ones(6).view(np.int64(-1)).shape == (6,)
    assert tg.full(3, 2.0).tolist() == [2.0, 2.0, 2.0]


# ---- 8. arrays of odd dtypes or values into a tensor ------------------------------------------
def test_long_double_arrays_are_refused():
    for make in (tg.tensor, tg.Tensor, tg.as_tensor, tg.from_numpy):
        with pytest.raises(TypeError, match="float128"):
            make(np.ones(2, np.longdouble))
    if torch is not None:
        with pytest.raises(TypeError):
            torch.from_numpy(np.ones(2, np.longdouble))


def test_nan_array_into_an_integer_dtype_casts_without_numpy_warnings():
    values = np.array([np.nan, 1e10, 5.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        made = tg.tensor(values, dtype=tg.int64)
        narrow = tg.tensor(values.astype(np.float32), dtype=tg.int16)
    assert made.dtype == tg.int64 and made.tolist()[1:] == [10_000_000_000, 5]
    assert narrow.tolist()[2] == 5
    if torch is not None:
        assert made.tolist() == torch.tensor(values, dtype=torch.int64).tolist()


# ---- 9. copy_ names itself when the source does not broadcast to the destination ---------------
def test_copy_shape_mismatch_names_copy():
    with pytest.raises(RuntimeError, match=r"copy_: the source of shape \(3,\) does not"):
        tg.zeros(2).copy_(tg.ones(3))
    assert tg.zeros(2, 3).copy_(tg.tensor([1.0, 2.0, 3.0])).tolist() == [[1.0, 2.0, 3.0]] * 2
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.zeros(2).copy_(torch.ones(3))


# ---- 10. the legacy constructor makes the default float of any list; big ints ------------------
@pytest.mark.parametrize(("data", "expected"), [
    ([2**64], [float(2**64)]), ([np.float64(1.5)], [1.5]), ([True, False], [1.0, 0.0]),
    ([tg.tensor(1), tg.tensor(2.5, dtype=tg.float64)], [1.0, 2.5])])
def test_legacy_tensor_of_a_list_is_the_default_float(data, expected):
    made = tg.Tensor(data)
    assert made.dtype == tg.float32 and made.tolist() == pytest.approx(expected)


def test_an_int_past_int64_is_a_value_error_unless_a_float_dtype_is_asked():
    for value in (2**63, -(2**63) - 1):
        with pytest.raises(ValueError, match="int64"):
            tg.tensor(value)
    assert tg.tensor(2**64, dtype=tg.float64).item() == float(2**64)
    assert tg.tensor(2**63 - 1).item() == 2**63 - 1
    if torch is not None:
        with pytest.raises(ValueError):
            torch.tensor(2**63)
        assert torch.tensor(2**64, dtype=torch.float64).item() == float(2**64)



# ---- 11. autograd.graph: save_on_cpu is accepted; saved_tensors_hooks work since round 20 -----
def test_save_on_cpu_changes_nothing_and_saved_tensor_hooks_work():
    x = tg.tensor([1.0, 3.0], requires_grad=True)
    with tg.autograd.graph.save_on_cpu(pin_memory=True):
        (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 6.0]
    with tg.autograd.graph.disable_saved_tensors_hooks("not here"):
        assert (x * 2).tolist() == [2.0, 6.0]
    with tg.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = (x * x).sum()
    y.backward()
    assert x.grad.tolist() == [4.0, 12.0]
    if torch is not None:
        y = torch.tensor([1.0, 3.0], requires_grad=True)
        with torch.autograd.graph.save_on_cpu(pin_memory=False):
            (y * y).sum().backward()
        assert y.grad.tolist() == [2.0, 6.0]


# ---- 12. data that is not numbers names its type ------------------------------------------------
@pytest.mark.parametrize("data", [(n for n in range(3)), "ab", b"ab", {1: 2}, {1, 2}, iter([1])])
def test_non_numeric_data_names_its_type(data):
    with pytest.raises((TypeError, RuntimeError), match=f"dtype of {type(data).__name__}"):
        tg.tensor(data)


def test_bytearray_is_a_sequence_of_ints():
    made = tg.tensor(bytearray(b"ab"))
    assert made.dtype == tg.int64 and made.tolist() == [97, 98]
    if torch is not None:
        assert torch.tensor(bytearray(b"ab")).dtype == torch.int64


def test_a_numpy_integer_scalar_is_data_not_a_size():
    """Library code builds tensors from NumPy results, which may be integer scalars (a
    categorical draw); those stay values (PyTorch's legacy Tensor(np.int64(3)) is a size)."""
    assert tg.Tensor(np.int64(3)).shape == () and tg.Tensor(np.int64(3)).item() == 3
    tg.manual_seed(0)
    action = tg.distributions.Categorical(tg.tensor([0.1, 0.2, 0.7])).sample()
    assert action.dtype == tg.int64 and action.shape == ()
