"""Round 5 of porting PyTorch scripts and of a differential probe against PyTorch: legacy
constructors, import paths, in-place relu, accumulating with cat, empty and uint8 indices,
running sums in a wider float, 0-d operands in arithmetic, softmax of integers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F

try:
    import torch
except ImportError:  # the oracle is optional: the expected values below are written out
    torch = None


# ----------------------------------------------------------------- legacy Tensor(sizes)
def test_legacy_sizes_constructor_makes_a_float_parameter_to_initialise():
    weight = nn.Parameter(tg.Tensor(3, 2))
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
    assert weight.shape == (3, 2) and weight.dtype == np.float32 and weight.requires_grad
    assert np.abs(weight.numpy()).max() <= 1 / math.sqrt(2) + 1e-6  # the init's bound
    assert tg.Tensor(2, 3, 4).shape == (2, 3, 4)
    assert tg.Tensor().shape == (0,) and tg.Tensor().dtype == np.float32


def test_data_constructor_keeps_requires_grad_positional_and_refuses_extra_arguments():
    assert tg.Tensor([1.0], True).requires_grad
    with pytest.raises(TypeError, match="sizes are all ints"):
        tg.Tensor([1.0], True, 3)
    with pytest.raises(TypeError, match="sizes are all ints"):
        tg.Tensor(2.0, 3)  # not a scalar that requires grad (PyTorch raises too)
    assert tg.Tensor(np.int64(2), 3).shape == (2, 3)
    assert tg.Tensor([1.0], False, np.float64).dtype == np.float64  # the older positional dtype


# ----------------------------------------------------------------- import paths
def test_cuda_and_backends_import_as_modules():
    import tinygrad_np.backends.cudnn as cudnn
    from tinygrad_np.cuda.amp import GradScaler, autocast

    assert cudnn is tg.backends.cudnn and GradScaler is tg.cuda.amp.GradScaler
    assert callable(autocast)
    before = tg.backends.cudnn.benchmark, tg.backends.cuda.matmul.allow_tf32
    try:
        tg.backends.cudnn.benchmark = True
        tg.backends.cuda.matmul.allow_tf32 = True
    finally:
        tg.backends.cudnn.benchmark, tg.backends.cuda.matmul.allow_tf32 = before
    assert tg.version.cuda is None and not tg.cuda.is_available()
    assert tg.accelerator.current_accelerator(check_available=True) is None


def test_float32_matmul_precision_is_accepted_and_checked():
    tg.set_float32_matmul_precision("high")
    assert tg.get_float32_matmul_precision() == "high"
    tg.set_float32_matmul_precision("highest")
    with pytest.raises(ValueError, match="'highest', 'high', 'medium'"):
        tg.set_float32_matmul_precision("fast")


# ----------------------------------------------------------------- in-place relu
def test_relu_inplace_writes_into_x_and_keeps_the_gradient():
    x = tg.tensor([-1.0, 2.0, -3.0])
    assert F.relu(x, inplace=True) is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(F.relu_(tg.tensor([-3.0, 1.0])).numpy(), [0.0, 1.0])
    w = tg.tensor([-1.0, 2.0], requires_grad=True)
    y = w * 3
    F.relu(y, inplace=True)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 3.0])


# ----------------------------------------------------------------- cat with an accumulator
def test_cat_skips_the_legacy_empty_accumulator():
    x = tg.ones(2, 3, requires_grad=True)
    acc = tg.tensor([])
    for _ in range(2):
        acc = tg.cat([acc, x * 2])
    assert acc.shape == (4, 3) and acc.dtype == np.float32
    acc.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 4.0))
    ints = tg.cat([tg.tensor([]), tg.ones(2, 2, dtype=tg.int64)], 1)
    assert ints.shape == (2, 2) and ints.dtype == np.float32  # the empty one's dtype counts
    np.testing.assert_array_equal(tg.cat([tg.tensor([]), tg.tensor([1.0, 2.0])]).numpy(), [1, 2])


# ----------------------------------------------------------------- indices
def test_an_empty_list_index_selects_nothing():
    x = tg.ones(3, 4)
    assert x[[]].shape == (0, 4)
    assert x[tg.tensor([], dtype=tg.int64)].shape == (0, 4)


def test_a_uint8_index_tensor_is_a_mask():
    t = tg.tensor([10.0, 20.0, 30.0])
    mask = tg.tensor([1, 0, 1], dtype=tg.uint8)
    with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
        np.testing.assert_array_equal(t[mask].numpy(), [10.0, 30.0])
    assert t[[0, 2]].shape == (2,)


# ----------------------------------------------------------------- wider running sums
def test_cumsum_and_cumprod_accumulate_in_a_wider_float():
    # float32 steps of 0.1 summed in float64: 100000 (float32 running sum: 100958.3)
    assert tg.full((10**6,), 0.1).cumsum(0)[-1].item() == 100000.0
    assert tg.full((3000,), 0.1, dtype=tg.float16).cumsum(0)[-1].item() == 300.0
    product = tg.full((10**6,), 1.000001).cumprod(0)[-1].item()
    assert product == pytest.approx(np.prod(np.full(10**6, np.float32(1.000001), np.float64)),
                                    rel=1e-6)
    assert tg.arange(5).cumsum(0).dtype == np.int64
    x = tg.tensor(np.linspace(0.5, 2, 6), requires_grad=True)
    x.cumprod(0).sum().backward()
    expected = [sum(np.prod(np.delete(x.numpy()[:j + 1], i)) for j in range(i, 6))
                for i in range(6)]
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5)


# ----------------------------------------------------------------- 0-d operands
@pytest.mark.parametrize("make, expected_dtype, expected", [
    (lambda: tg.ones(2, dtype=tg.int16) + tg.tensor(1), np.int16, [2, 2]),
    (lambda: tg.ones(2, dtype=tg.float16) * tg.tensor(2.0), np.float16, [2, 2]),
    (lambda: tg.tensor([2], dtype=tg.uint8) * tg.tensor(-5), np.uint8, [246]),
    (lambda: tg.tensor([250], dtype=tg.uint8) + tg.tensor(10), np.uint8, [4]),
    (lambda: tg.ones(2, dtype=tg.int32) - tg.tensor(3), np.int32, [-2, -2]),
    (lambda: tg.ones(2) / tg.tensor(2.0, dtype=tg.float64), np.float32, [0.5, 0.5]),
    (lambda: tg.ones(2, dtype=tg.int64) + tg.tensor(1.5), np.float32, [2.5, 2.5]),
])
def test_a_0d_tensor_of_the_same_kind_takes_the_other_operands_dtype(make, expected_dtype,
                                                                      expected):
    result = make()
    assert result.dtype == expected_dtype
    np.testing.assert_array_equal(result.numpy(), expected)


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_0d_operands_match_pytorch():
    for dtype in ("int16", "int32", "uint8", "float16", "float32"):
        for scalar in (3, -2, 2.5):
            for op in ("__add__", "__sub__", "__mul__", "__truediv__"):
                ours = getattr(tg.ones(3, dtype=getattr(tg, dtype)) * 4, op)(tg.tensor(scalar))
                theirs = getattr(torch.ones(3, dtype=getattr(torch, dtype)) * 4, op)(
                    torch.tensor(scalar))
                assert str(theirs.dtype) == str(ours.dtype), (dtype, scalar, op)
                np.testing.assert_allclose(ours.numpy().astype(float),
                                           theirs.numpy().astype(float), rtol=1e-3)


def test_a_0d_scale_keeps_its_gradient_through_the_cast():
    w = tg.tensor(2.0, requires_grad=True)
    (tg.ones(3, dtype=tg.float16) * w).sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.item() == 3.0


# ----------------------------------------------------------------- softmax of integers
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_an_integer_tensor_is_refused_unless_a_dtype_is_given(name):
    with pytest.raises(TypeError, match=f"{name}: not implemented for int64"):
        getattr(F, name)(tg.tensor([1, 2, 3]), 0)
    values = getattr(F, name)(tg.tensor([1, 2, 3]), 0, dtype=tg.float32).numpy()
    expected = np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()
    np.testing.assert_allclose(values, expected if name == "softmax" else np.log(expected),
                               rtol=1e-6)


# ----------------------------------------------------------------- factories and messages
@pytest.mark.parametrize("bounds, expected", [
    ((0, 5, 1.5), [0, 1, 2, 3, 4]), ((0.5, 5.5, 1.5), [0, 1, 2, 3, 4]),
    ((0, 3.7, 1), [0, 1, 2]), ((5, -1.5, -1.5), [5, 4, 3, 2, 1, 0])])
def test_arange_with_an_integer_dtype_truncates_bounds_and_step(bounds, expected):
    assert tg.arange(*bounds, dtype=tg.int64).tolist() == expected  # PyTorch 2.13's values


def test_impossible_shapes_and_ragged_lists_are_named_as_pytorch():
    with pytest.raises(ValueError, match=r"shape \[4, -1\] is invalid for input of size 6"):
        tg.zeros(2, 3).view(4, -1)
    with pytest.raises(ValueError, match=r"shape \[5\] is invalid for input of size 6"):
        tg.zeros(2, 3).reshape(5)
    with pytest.raises(ValueError, match="expected sequence of length 2 at dim 1 \\(got 1\\)"):
        tg.tensor([[1, 2], [3]])
    with pytest.raises(ValueError, match="at dim 2"):
        tg.tensor([[[1, 2], [3, 4]], [[1, 2], [3]]])


def test_movedim_of_a_0d_tensor():
    assert tg.tensor(3.0).movedim(0, 0).shape == ()
    assert tg.tensor(3.0).movedim(-1, 0).item() == 3.0


# ----------------------------------------------------------------- Tensor methods
def test_function_methods_and_their_in_place_forms():
    x = tg.tensor([1.5, -2.0, 0.0])
    y = tg.tensor([-1.0, 1.0, -1.0])
    np.testing.assert_array_equal(x.negative().numpy(), [-1.5, 2.0, -0.0])
    np.testing.assert_array_equal(x.absolute().numpy(), [1.5, 2.0, 0.0])
    np.testing.assert_array_equal(x.signbit().numpy(), [False, True, False])
    np.testing.assert_array_equal(x.copysign(y).numpy(), [-1.5, 2.0, -0.0])
    assert x.aminmax().min.item() == -2.0 and x.aminmax().max.item() == 1.5
    assert tg.tensor([1, 1, 2, 2, 3]).unique_consecutive().tolist() == [1, 2, 3]
    a = tg.tensor([6, 4])
    assert a.gcd_(tg.tensor([4, 6])) is a and a.tolist() == [2, 2]
    b = tg.tensor([5, 3])
    b.bitwise_and_(tg.tensor([1, 1]))
    assert b.tolist() == [1, 1]
    z = tg.tensor([1.0, 2.0], requires_grad=True)
    w = z * 1
    w.copysign_(tg.tensor([-1.0, 1.0]))
    w.sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [-1.0, 1.0])


# ----------------------------------------------------------------- state_dict
def test_state_dict_aliases_the_parameters_as_pytorch():
    model = nn.Linear(2, 2)
    own = model.state_dict()
    own["bias"].copy_(tg.ones(2))  # the weight-surgery idiom
    np.testing.assert_array_equal(model.bias.numpy(), [1.0, 1.0])
    assert not own["bias"].requires_grad


def _tied(ns):
    class Tied(ns.Module):
        def __init__(self):
            super().__init__()
            self.enc = ns.Linear(3, 3, bias=False)
            self.dec = ns.Linear(3, 3, bias=False)
            self.dec.weight = self.enc.weight

    return Tied()


def test_tied_weights_are_listed_under_each_name_and_both_are_expected():
    model = _tied(nn)
    assert list(model.state_dict()) == ["enc.weight", "dec.weight"]
    assert len(list(model.parameters())) == 1
    result = model.load_state_dict({"enc.weight": np.zeros((3, 3), np.float32)}, strict=False)
    assert model.dec.weight.sum().item() == 0.0 and result.missing_keys == ["dec.weight"]
    with pytest.raises(RuntimeError, match='Missing key.s. in state_dict: "dec.weight"'):
        model.load_state_dict({"enc.weight": np.zeros((3, 3), np.float32)})
    shared = nn.Linear(2, 2)
    assert list(nn.Sequential(shared, nn.ReLU(), shared).state_dict()) == [
        "0.weight", "0.bias", "2.weight", "2.bias"]


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_a_pytorch_state_dict_of_a_tied_model_loads():
    theirs = _tied(torch.nn)
    ours = _tied(nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(ours.dec.weight.numpy(), theirs.dec.weight.detach().numpy())


# ----------------------------------------------------------------- optimizer step counts
@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
                                  "NAdam", "RAdam", "ASGD", "Rprop"])
def test_the_step_count_answers_item_as_pytorchs_tensor(name):
    param = nn.Parameter(tg.ones(2))
    optimizer = getattr(tg.optim, name)([param], lr=0.1)
    for _ in range(3):
        param.grad = tg.ones(2)
        optimizer.step()
    step = optimizer.state[param]["step"]
    assert step.item() == 3.0 and step == 3 and step.tolist() == 3.0
    restored = getattr(tg.optim, name)([param], lr=0.1)
    restored.load_state_dict(optimizer.state_dict())
    assert restored.state[param]["step"].item() == 3.0


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_a_pytorch_checkpoint_loads_and_arrays_from_numpy_too(tmp_path):
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "w.pt")
    loaded = tg.load(tmp_path / "w.pt")  # read as weights_only (round 11)
    assert sorted(loaded) == ["bias", "weight"]
    state = torch.nn.Linear(2, 2).state_dict()
    np.savez(tmp_path / "w.npz", **{k: v.cpu().numpy() for k, v in state.items()})
    model = nn.Linear(2, 2)
    model.load_state_dict(dict(np.load(tmp_path / "w.npz")))
    np.testing.assert_array_equal(model.weight.numpy(), state["weight"].numpy())


# ----------------------------------------------------------------- names scripts import
def test_memory_formats_are_accepted():
    x = tg.ones(2, 3)
    with pytest.raises(RuntimeError, match="rank 4"):  # as PyTorch (round 15: no longer ignored)
        x.to(memory_format=tg.channels_last)
    for result in (x.contiguous(memory_format=tg.contiguous_format),
                   x.clone(memory_format=tg.preserve_format),
                   tg.zeros_like(x, memory_format=tg.preserve_format),
                   tg.empty_like(x, memory_format=tg.preserve_format),
                   tg.randn_like(x, memory_format=tg.preserve_format)):
        assert result.shape == (2, 3)
    assert repr(tg.channels_last) == "torch.channels_last"
    assert isinstance(tg.preserve_format, tg.memory_format)


def test_module_paths_of_layer_helpers_losses_and_distributions():
    from tinygrad_np.distributions.categorical import Categorical
    from tinygrad_np.distributions.normal import Normal
    from tinygrad_np.nn.modules.loss import _WeightedLoss
    from tinygrad_np.nn.modules.utils import _pair, _single, _triple

    assert _pair(3) == (3, 3) and _pair((1, 2)) == (1, 2) and _single(4) == (4,)
    assert _triple(2) == (2, 2, 2)
    assert Normal is tg.distributions.Normal and Categorical is tg.distributions.Categorical

    class Weighted(_WeightedLoss):
        def forward(self, x, y):
            return F.cross_entropy(x, y, weight=self.weight, reduction=self.reduction)

    loss = Weighted(tg.tensor([1.0, 2.0, 0.5]))
    assert list(loss.state_dict()) == ["weight"]
    logits, target = tg.randn(4, 3), tg.tensor([0, 1, 2, 1])
    expected = F.cross_entropy(logits, target, weight=tg.tensor([1.0, 2.0, 0.5]))
    assert loss(logits, target).item() == pytest.approx(expected.item())


def test_chain_dataset_iterates_each_in_turn():
    from tinygrad_np.utils.data import ChainDataset, DataLoader, IterableDataset

    class Count(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    chain = ChainDataset([Count(3), Count(2)])
    assert list(chain) == [0, 1, 2, 0, 1] and len(chain) == 5
    assert [b.tolist() for b in DataLoader(chain, batch_size=2)] == [[0, 1], [2, 0], [1]]


@pytest.mark.parametrize("make, expected", [
    (lambda: tg.tensor([7], dtype=tg.uint8) + (-1), [6]),
    (lambda: tg.tensor([7], dtype=tg.uint8) - 300, [219]),
    (lambda: tg.tensor([7], dtype=tg.uint8) * -2, [242]),
    (lambda: tg.tensor([7], dtype=tg.int8) + 200, [-49]),
    (lambda: 5 - tg.tensor([7], dtype=tg.uint8), [254]),
    (lambda: tg.tensor([7], dtype=tg.uint8) / -2, [-3.5]),
])
def test_python_ints_out_of_an_integer_dtypes_range_wrap_as_pytorch(make, expected):
    assert make().tolist() == expected  # PyTorch 2.13's values (NumPy raises OverflowError)


# ----------------------------------------------------------------- layers and functions added
@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1.0), (2.0, float("inf"))])
def test_embedding_max_norm_renormalises_looked_up_rows_as_pytorch(max_norm, norm_type):
    table = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32) * 2
    theirs = torch.nn.Embedding(5, 3, max_norm=max_norm, norm_type=norm_type)
    theirs.weight.data = torch.tensor(table.copy())
    ours = nn.Embedding(5, 3, max_norm=max_norm, norm_type=norm_type, _weight=table.copy())
    ids = [[0, 2, 2], [4, 0, 1]]
    expected, got = theirs(torch.tensor(ids)), ours(tg.tensor(ids))
    (expected * torch.arange(3.0)).sum().backward()
    (got * tg.arange(3.0)).sum().backward()
    np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-6,
                               atol=1e-7)  # row 3 was not looked up: unchanged
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("norm_type, kernel, stride, ceil", [
    (2, 2, None, False), (3, (3, 2), 2, True), (1.5, 2, 1, False)])
def test_lp_pool_matches_pytorch_values_and_gradients(norm_type, kernel, stride, ceil):
    x = np.abs(np.random.default_rng(0).normal(size=(2, 3, 7, 6))) + 0.1
    theirs_x = torch.tensor(x, requires_grad=True)
    ours_x = tg.tensor(x, requires_grad=True)
    expected = torch.nn.LPPool2d(norm_type, kernel, stride, ceil)(theirs_x)
    got = nn.LPPool2d(norm_type, kernel, stride, ceil)(ours_x)
    expected.sum().backward()
    got.sum().backward()
    np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-10)
    line = np.random.default_rng(1).normal(size=(2, 3, 9))
    np.testing.assert_allclose(F.lp_pool1d(tg.tensor(line), 2, 3).numpy(),
                               torch.nn.functional.lp_pool1d(torch.tensor(line), 2, 3).numpy())


@pytest.mark.parametrize("scale", [0.1, 1.0, 5.0])
def test_matrix_exp_values_and_gradients(scale):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 4, 4)) * scale
    weights = rng.normal(size=(2, 4, 4))
    got = tg.matrix_exp(tg.tensor(a))
    # the series summed term by term in float64 with many terms (exact for these norms)
    expected = np.zeros_like(a)
    term = np.broadcast_to(np.eye(4), a.shape).copy()
    for k in range(1, 200):
        expected += term
        term = term @ a / k
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-11, atol=1e-11)
    x = tg.tensor(a, requires_grad=True)
    (tg.linalg.matrix_exp(x) * tg.tensor(weights)).sum().backward()
    eps, numeric = 1e-6, np.zeros_like(a)
    for index in np.ndindex(a.shape):
        step = np.zeros_like(a)
        step[index] = eps
        plus = (tg.matrix_exp(tg.tensor(a + step)).numpy() * weights).sum()
        minus = (tg.matrix_exp(tg.tensor(a - step)).numpy() * weights).sum()
        numeric[index] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), numeric, rtol=1e-5, atol=1e-6)
    assert tg.tensor(a).matrix_exp().shape == (2, 4, 4)


# ----------------------------------------------------------------- learners' slips, named
@pytest.mark.parametrize("make, op, position", [
    (lambda: tg.zeros(2.5), "zeros", 0), (lambda: tg.empty(2, 1.0), "empty", 1),
    (lambda: tg.randn(3.0), "randn", 0), (lambda: tg.ones((2, 1.5)), "ones", 1)])
def test_a_float_size_is_a_type_error_naming_op_and_position(make, op, position):
    with pytest.raises(TypeError, match=f"{op}: the size must be ints, but found float .* at "
                                        f"position {position}"):
        make()
    assert tg.zeros(tg.tensor(3)).shape == (3,) and tg.zeros(np.int64(2), 3).shape == (2, 3)


def test_negating_a_bool_tensor_points_to_logical_not():
    with pytest.raises(TypeError, match="logical_not"):
        -tg.tensor([True, False])
    assert (~tg.tensor([True, False])).tolist() == [False, True]


# ----------------------------------------------------------------- empty dims
def test_an_empty_dim_tuple_means_what_it_means_in_pytorch():
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    assert x.count_nonzero(dim=()).item() == 5  # all elements
    mask = x.bool()
    assert mask.all(dim=()).tolist() == [[False, True, True], [True, True, True]]  # each one
    assert mask.any(dim=()).shape == (2, 3)
    assert x.sum(dim=()).item() == 15.0


def test_chunk_of_an_empty_dim_gives_each_chunk_empty():
    assert [t.shape for t in tg.ones(2, 0).chunk(3, dim=1)] == [(2, 0)] * 3
    assert [t.shape for t in tg.ones(7).chunk(3)] == [(3,), (3,), (1,)]
    x = tg.ones(2, 0, requires_grad=True)
    sum(piece.sum() for piece in x.chunk(2, 1)).backward()
    assert x.grad.shape == (2, 0)


@pytest.mark.parametrize("data, expected", [
    ([np.float64(1.5)], np.float64), ([np.int32(1), np.int32(2)], np.int32),
    ([np.ones(2), np.ones(2)], np.float64), ([np.float32(1.5), 2.0], np.float32),
    ([1.5, 2.0], np.float32), ([[1, 2]], np.int64), ([np.uint8(3)], np.uint8),
    ([np.mean([1.0, 2.0]), np.std([1.0, 2.0])], np.float64),
    ([2.5, np.float64(1.5)], np.float64), ([[1.5], [np.float64(2.5)]], np.float64),
    ([np.int8(3), np.uint8(4)], np.int16), ([np.int32(1), 2], np.int64),
    ([np.int64(2), 3.5], np.float32), ([True, np.int8(2)], np.int8)])
def test_numpy_values_in_a_list_carry_their_dtype_as_pytorch(data, expected):
    assert tg.tensor(data).dtype == expected  # PyTorch 2.13's dtypes for the same lists
    assert tg.tensor([tg.ones(1, dtype=tg.float64)] * 2).dtype == np.float64  # (one element
    # each: tensors in the list are read as numbers, as PyTorch)


# ----------------------------------------------------------------- 0-d scatter and gather indices
def test_a_0d_index_is_one_entry_of_a_1d_tensor_as_pytorch():
    # the Transforms tutorial's one-hot: zeros(10).scatter_(0, tensor(y), value=1)
    assert tg.zeros(5).scatter_(0, tg.tensor(3), value=1).tolist() == [0, 0, 0, 1, 0]
    assert tg.zeros(5).scatter(0, tg.tensor(3), tg.tensor(7.0)).tolist() == [0, 0, 0, 7, 0]
    w = tg.tensor(2.0, requires_grad=True)
    added = tg.zeros(5).scatter_add(0, tg.tensor(3), w)
    assert added.tolist() == [0, 0, 0, 2, 0]
    added.sum().backward()
    assert w.grad.item() == 1.0
    picked = tg.arange(5.0).gather(0, tg.tensor(3))
    assert picked.shape == () and picked.item() == 3.0
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        tg.zeros(2, 3).scatter(0, tg.tensor(1), 5.0)  # (PyTorch refuses this too)
    for call in (lambda: tg.zeros(3).scatter(0, tg.tensor([-1]), 5.0),
                 lambda: tg.zeros(2, 3).gather(-1, tg.tensor([[3]]))):
        with pytest.raises(RuntimeError, match="out of bounds for dimension . with size 3"):
            call()  # PyTorch's class and words (also an IndexError); NumPy would wrap -1


# ----------------------------------------------------------------- from the official tutorials
def test_softmax_without_dim_takes_pytorchs_implicit_choice_and_warns():
    for shape, total in (((2, 3, 4), 12.0), ((2, 3, 4, 5), 40.0), ((4,), 1.0), ((2, 3), 2.0)):
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            assert F.softmax(tg.ones(*shape)).sum().item() == pytest.approx(total)
    with pytest.warns(UserWarning, match="log_softmax"):
        F.log_softmax(tg.ones(2, 3))
    assert F.softmax(tg.ones(2, 3, 4), -1).sum().item() == pytest.approx(6.0)


def test_assigning_a_plain_tensor_to_a_parameter_is_refused():
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="as parameter 'weight'"):
        model.weight = tg.ones(2, 2)  # it would silently stop being trained
    model.weight = nn.Parameter(tg.ones(2, 2))
    model.bias = None
    assert [name for name, _ in model.named_parameters()] == ["weight"]


def test_accelerator_module_level_in_place_functions_and_factory_out():
    device = (tg.accelerator.current_accelerator().type if tg.accelerator.is_available()
              else "cpu")
    assert device == "cpu" and tg.accelerator.device_count() == 0
    x = tg.ones(2)
    assert tg.sin_(x) is x and np.allclose(x.numpy(), np.sin(1.0))
    assert tg.relu_(tg.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
    assert tg.zero_(tg.ones(2)).tolist() == [0.0, 0.0]
    c = tg.zeros(2, 2)
    assert tg.rand(2, 2, out=c) is c and c.sum().item() > 0
    d = tg.zeros(2, dtype=tg.float64)
    tg.ones(2, out=d)
    assert d.dtype == np.float64 and d.tolist() == [1.0, 1.0]
    out = tg.zeros(2)
    tg.where(tg.tensor([True, False]), tg.ones(2), tg.zeros(2), out=out)
    assert out.tolist() == [1.0, 0.0]


def test_saved_values_read_off_a_node_as_pytorch():
    a = tg.tensor([2.0, 3.0], requires_grad=True)
    y = a.exp()
    assert tg.equal(y.grad_fn._saved_result, y)
    z = a * a.sin()
    np.testing.assert_array_equal(z.grad_fn._saved_self.numpy(), a.numpy())
    np.testing.assert_allclose(z.grad_fn._saved_other.numpy(), np.sin(a.numpy()))
    with pytest.raises(AttributeError, match="no saved value for self"):
        _ = (a + 1).grad_fn._saved_self
    assert not a.is_inference()


def test_in_place_integer_arithmetic_wraps_as_pytorch():
    a = tg.tensor([3, 200], dtype=tg.uint8)
    a += tg.tensor(1)
    b = tg.tensor([3, 200], dtype=tg.uint8)
    b.add_(300)
    c = tg.tensor([3, 200], dtype=tg.uint8)
    c -= 300
    d = tg.tensor([3, 200], dtype=tg.uint8)
    d.mul_(-1)
    # PyTorch 2.13's values
    assert (a.tolist(), b.tolist(), c.tolist(), d.tolist()) == (
        [4, 201], [47, 244], [215, 156], [253, 56])
    with pytest.raises(TypeError, match="in-place add on a uint8 tensor"):
        a += 0.5  # a float into an integer tensor stays refused, as PyTorch
    ints = tg.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="in-place divide on a int64 tensor"):
        ints /= 2  # true division of ints: a float result, refused in place (review finding)
    assert ints.tolist() == [1, 2, 3]


def test_scatter_into_a_0d_tensor_still_writes_its_one_place():
    assert tg.tensor(3.0).scatter(0, tg.tensor(0), 5.0).item() == 5.0
    assert tg.tensor(3.0).scatter_add(0, tg.tensor(0), tg.tensor(5.0)).item() == 8.0
    assert tg.tensor(3.0).scatter(0, tg.tensor([0]), 5.0).item() == 5.0


def test_matrix_exp_scales_each_matrix_of_a_batch_and_gives_nan_for_inf():
    rng = np.random.default_rng(0)
    small = rng.normal(size=(3, 3)) * 0.003
    batch = np.stack([small, rng.normal(size=(3, 3)) * 10]).astype(np.float32)
    expected = np.eye(3) + small + small @ small / 2 + small @ small @ small / 6
    np.testing.assert_allclose(tg.matrix_exp(tg.tensor(batch)).numpy()[0], expected, rtol=1e-6)
    bad = np.eye(2)
    bad[0, 1] = np.inf
    result = tg.matrix_exp(tg.tensor(np.stack([bad, np.eye(2)]))).numpy()
    assert np.isnan(result[0]).all()
    np.testing.assert_allclose(result[1], np.e * np.eye(2), rtol=1e-15)


def test_bitwise_ops_follow_the_0d_promotion_rule():
    a = tg.tensor([3, 200], dtype=tg.uint8)
    results = [a & tg.tensor(1), a | tg.tensor(256), a << tg.tensor(1), a >> tg.tensor(1),
               tg.tensor(1) & a, a ^ tg.tensor(-1)]
    assert all(r.dtype == np.uint8 for r in results)  # PyTorch 2.13's dtypes and values
    assert [r.tolist() for r in results] == [[1, 0], [3, 200], [6, 144], [1, 100], [1, 0],
                                             [252, 55]]
    wrapped = [a | 256, a & -1, a ^ 300, 256 | a]  # Python ints out of uint8's range wrap
    assert [r.tolist() for r in wrapped] == [[3, 200], [3, 200], [47, 228], [3, 200]]


# ----------------------------------------------------------------- round 6 (ML scripts)
def test_a_saved_dict_of_tensors_keeps_requires_grad_and_parameters(tmp_path):
    import io

    weights = tg.zeros(3, 1, requires_grad=True)
    buffer = io.BytesIO()
    tg.save({"W": weights, "p": nn.Parameter(tg.ones(2))}, buffer)
    buffer.seek(0)
    loaded = tg.load(buffer)
    assert loaded["W"].requires_grad and type(loaded["W"]) is tg.Tensor
    assert isinstance(loaded["p"], nn.Parameter) and loaded["p"].requires_grad
    optimizer = tg.optim.SGD([loaded["W"]], lr=0.1)
    (tg.ones(2, 3) @ loaded["W"]).sum().backward()
    optimizer.step()
    np.testing.assert_allclose(loaded["W"].numpy(), np.full((3, 1), -0.2), rtol=1e-6)
    model = nn.Linear(2, 2)  # a state dict (detached tensors) is still the flat format
    tg.save(model.state_dict(), tmp_path / "w.npz")
    assert list(tg.load(tmp_path / "w.npz")) == ["weight", "bias"]


def test_einsum_sublist_form_as_pytorch():
    a = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = tg.tensor([[1.0, 0.0], [2.0, 1.0]])
    result = tg.einsum(a, [0, 1], b, [1, 2], [0, 2])
    assert result.tolist() == [[5.0, 2.0], [11.0, 4.0]]  # PyTorch 2.13's values
    result.sum().backward()
    assert a.grad.tolist() == [[1.0, 3.0], [1.0, 3.0]]
    assert tg.einsum(a, [Ellipsis, 1], [Ellipsis]).tolist() == [3.0, 7.0]
    with pytest.raises(TypeError, match="sublist holds dims as ints"):
        tg.einsum(tg.ones(2), ["a"])


def test_sparse_adam_exists_and_sparse_embedding_prints_its_flag():
    # (session 20: SparseAdam is implemented; see test_port_round14.py)
    assert isinstance(tg.optim.SparseAdam([nn.Parameter(tg.ones(2))]), tg.optim.Optimizer)
    assert repr(nn.Embedding(5, 2, sparse=True)) == "Embedding(5, 2, sparse=True)"


def test_index_add_copy_select_refuse_negative_indices_as_pytorch():
    for call in (lambda: tg.zeros(3).index_add(0, tg.tensor([-1]), tg.ones(1)),
                 lambda: tg.zeros(3).index_copy(0, tg.tensor([-1]), tg.ones(1)),
                 lambda: tg.zeros(3).index_select(0, tg.tensor([-1]))):
        with pytest.raises(IndexError, match="index -1 is out of bounds for dimension 0"):
            call()  # NumPy would wrap -1 to the last entry
    assert tg.zeros(3).index_fill(0, tg.tensor([-1]), 1.0).tolist() == [0, 0, 1]  # (allowed)
