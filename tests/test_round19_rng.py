"""Round 19: PyTorch's random numbers after manual_seed (tinygrad_np/rng.py's Stream).

Every expected value comes from PyTorch 2.13 (the oracle) or from an independent model of
its CPU generator written here (std::mt19937 by its published recurrence, the low 24 bits
of each word times 2**-24)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def _mt19937_words(seed: int, count: int) -> np.ndarray:
    """std::mt19937(seed)'s first `count` outputs, written from the reference algorithm."""
    state = [seed & 0xFFFFFFFF]
    for i in range(1, 624):
        state.append((1812433253 * (state[-1] ^ (state[-1] >> 30)) + i) & 0xFFFFFFFF)
    out, index = [], 624
    for _ in range(count):
        if index == 624:
            for k in range(624):
                y = (state[k] & 0x80000000) | (state[(k + 1) % 624] & 0x7FFFFFFF)
                state[k] = state[(k + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
            index = 0
        y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        out.append(y)
    return np.array(out, dtype=np.uint64)


def _seeded(seed: int = 0) -> None:
    tg.manual_seed(seed)
    torch.manual_seed(seed)


def _close(ours: tg.Tensor, theirs: torch.Tensor, ulps: float = 0.0) -> None:
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    assert a.shape == b.shape and a.dtype == b.dtype
    if ulps == 0 or a.dtype.kind != "f":
        np.testing.assert_array_equal(a, b)
    else:
        spacing = np.spacing(np.maximum(np.abs(b), np.finfo(b.dtype).tiny * 2**30))
        assert np.all(np.abs(a - b) <= ulps * spacing), np.max(np.abs(a - b) / spacing)


def _stream_in_step() -> None:
    """Both generators are at the same place: the next draws agree."""
    _close(tg.rand(7), torch.rand(7))


@pytest.mark.parametrize("seed", [0, 1, 42, 2**32 + 5, 2**63 - 1])
def test_rand_is_mt19937_low_24_bits(seed: int) -> None:
    expected = (_mt19937_words(seed, 30) & 0xFFFFFF).astype(np.float32) * np.float32(2**-24)
    tg.manual_seed(seed)
    np.testing.assert_array_equal(tg.rand(30).numpy(), expected)
    torch.manual_seed(seed)
    np.testing.assert_array_equal(torch.rand(30).numpy(), expected)


EXACT_DRAWS = {
    "rand": lambda t: t.rand(3, 4),
    "rand_float64": lambda t: t.rand(7, dtype=t.float64),
    "rand_like": lambda t: t.rand_like(t.zeros(5, 3)),
    "uniform_": lambda t: t.empty(100).uniform_(-2, 3),
    "uniform_float64": lambda t: t.empty(100, dtype=t.float64).uniform_(-2, 3),
    "randn_small_float64": lambda t: t.randn(5, dtype=t.float64),
    "randn_small": lambda t: t.randn(3),
    "randn_blocks_float64": lambda t: t.randn(37, dtype=t.float64),
    "randn_then_small": lambda t: t.cat([t.randn(3), t.randn(2), t.randn(1)]),
    "normal_small": lambda t: t.empty(5).normal_(2, 3),
    "randint": lambda t: t.randint(0, 10, (50,)),
    "randint_wide": lambda t: t.randint(-5, 2**40, (50,)),
    "randint_float": lambda t: t.randint(3, 9, (50,), dtype=t.float32),
    "random_int64": lambda t: t.empty(10, dtype=t.int64).random_(),
    "random_int32": lambda t: t.empty(10, dtype=t.int32).random_(),
    "random_uint8": lambda t: t.empty(10, dtype=t.uint8).random_(),
    "random_float32": lambda t: t.empty(10, dtype=t.float32).random_(),
    "random_float64": lambda t: t.empty(10, dtype=t.float64).random_(),
    "random_to": lambda t: t.empty(10, dtype=t.int64).random_(7),
    "random_from_to": lambda t: t.empty(10, dtype=t.int64).random_(-3, 7),
    "random_bool": lambda t: t.empty(10, dtype=t.bool).random_(),
    "randperm_0": lambda t: t.randperm(0),
    "randperm_1": lambda t: t.randperm(1),
    "randperm_10": lambda t: t.randperm(10),
    "randperm_2": lambda t: t.randperm(2),
    "randperm_3": lambda t: t.randperm(3),
    "randperm_70000": lambda t: t.randperm(70000),
    "randperm_200003": lambda t: t.randperm(200003),
    "randperm_repeated": lambda t: t.cat([t.randperm(5) for _ in range(40)]),
    "exponential_": lambda t: t.empty(100).exponential_(2.5),
    "bernoulli_scalar": lambda t: t.empty(100).bernoulli_(0.3),
    "bernoulli_tensor": lambda t: t.bernoulli(t.full((100,), 0.3)),
    "bernoulli_tensor_float64": lambda t: t.bernoulli(t.full((100,), 0.3, dtype=t.float64)),
    "bernoulli_p": lambda t: t.bernoulli(t.zeros(100), p=0.3),
    "geometric_": lambda t: t.empty(30).geometric_(0.3),
    "multinomial_one": lambda t: t.multinomial(t.tensor([0.1, 0.2, 0.3, 0.4]), 1),
    "multinomial_without": lambda t: t.multinomial(t.tensor([[0.1, 0.2, 0.3, 0.4],
                                                             [1, 1, 1, 1.0]]), 3),
    "multinomial_with": lambda t: t.multinomial(t.tensor([[0.1, 0.2, 0.3, 0.4],
                                                          [1, 1, 1, 1.0]]), 30, True),
    "dropout": lambda t: t.nn.functional.dropout(t.ones(200), 0.3),
    "Dropout": lambda t: t.nn.Dropout(0.5)(t.ones(20, 10)),
    "dropout2d": lambda t: t.nn.functional.dropout2d(t.ones(4, 6, 3, 3), 0.5),
    "rrelu": lambda t: t.nn.functional.rrelu(t.linspace(-1, 1, 50), training=True),
    "generator_rand": lambda t: t.rand(10, generator=t.Generator().manual_seed(7)),
    "generator_randperm": lambda t: t.randperm(30, generator=t.Generator().manual_seed(7)),
    "generator_unseeded": lambda t: t.rand(10, generator=t.Generator()),
    "rand_float16": lambda t: t.rand(20, dtype=t.float16),
    "uniform_float16": lambda t: t.empty(40, dtype=t.float16).uniform_(-2, 2),
    "random_float16": lambda t: t.empty(40, dtype=t.float16).random_(),
    "randn_small_float16": lambda t: t.randn(5, dtype=t.float16),
    "exponential_float16": lambda t: t.empty(40, dtype=t.float16).exponential_(),
    "normal_tensor_mean": lambda t: t.normal(t.arange(20.0), 2.0),
    "normal_tensor_std": lambda t: t.normal(1.0, t.arange(20.0)),
    "normal_generator": lambda t: t.normal(0.0, 1.0, (30,),
                                           generator=t.Generator().manual_seed(4)),
    "randint_like": lambda t: t.randint_like(t.zeros(10), 3, 9),
    "kaiming_uniform_generator": lambda t: t.nn.init.kaiming_uniform_(
        t.empty(5, 4), generator=t.Generator().manual_seed(2)),
    "bernoulli_generator": lambda t: t.empty(30).bernoulli_(
        0.4, generator=t.Generator().manual_seed(2)),
    "randn_0d": lambda t: t.randn(()),
    "multinomial_float64": lambda t: t.multinomial(t.tensor([1.0, 2, 3, 4], dtype=t.float64),
                                                   2),
    "init_then_draws": lambda t: (t.nn.Linear(3, 3), t.cat([
        t.randn(4, 3).flatten(), t.nn.Dropout(0.2)(t.ones(20))]))[1],
}


@pytest.mark.parametrize("name", sorted(EXACT_DRAWS))
def test_draws_are_pytorchs_bit_for_bit(name: str) -> None:
    draw = EXACT_DRAWS[name]
    _seeded(3)
    _close(draw(tg), draw(torch))
    _stream_in_step()


FLOAT32_NORMALS = {  # PyTorch's AVX2 normal_fill: Cephes' log and sincos, replayed
    "randn_16": lambda t: t.randn(16),
    "randn_17": lambda t: t.randn(17),
    "randn_1000": lambda t: t.randn(10, 100),
    "randn_100003": lambda t: t.randn(100003),
    "randn_like": lambda t: t.randn_like(t.zeros(4, 5)),
    "normal_": lambda t: t.empty(50).normal_(2, 3),
    "normal_view": lambda t: t.zeros(6, 40)[2:].normal_(-1, 0.5),
    "normal_transposed": lambda t: t.zeros(6, 40).t().normal_(),
    "normal_strided": lambda t: t.zeros(6, 40)[:, ::2].normal_(1, 2),
    "uniform_transposed": lambda t: t.zeros(6, 40).t().uniform_(-1, 2),
    "torch_normal": lambda t: t.normal(1.5, 0.5, (40,)),
    "torch_normal_tensors": lambda t: t.normal(t.ones(20), t.ones(20) * 2),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_NORMALS))
def test_float32_normals_are_pytorchs_bit_for_bit(name: str) -> None:
    draw = FLOAT32_NORMALS[name]
    _seeded(5)
    _close(draw(tg), draw(torch))
    _stream_in_step()


# the C library's log/sin/cos in PyTorch, NumPy's here: an ulp or two
NEAR_DRAWS = {
    "randn_float64": lambda t: t.randn(1000, dtype=t.float64),
    "exponential_float64": lambda t: t.empty(100, dtype=t.float64).exponential_(2.5),
    "alpha_dropout": lambda t: t.nn.functional.alpha_dropout(t.ones(200), 0.3, True),
    "cauchy_": lambda t: t.empty(30).cauchy_(1, 2),
    "log_normal_": lambda t: t.empty(30).log_normal_(1, 2),
}


@pytest.mark.parametrize("name", sorted(NEAR_DRAWS))
def test_normal_draws_within_a_few_ulps(name: str) -> None:
    draw = NEAR_DRAWS[name]
    _seeded(5)
    _close(draw(tg), draw(torch), ulps=2)
    _stream_in_step()


LAYERS = {
    "Linear": lambda t: t.nn.Linear(4, 3),
    "Linear_784_512": lambda t: t.nn.Linear(784, 512),
    "Bilinear": lambda t: t.nn.Bilinear(3, 4, 5),
    "Conv1d": lambda t: t.nn.Conv1d(3, 4, 3),
    "Conv2d_groups": lambda t: t.nn.Conv2d(4, 8, 3, groups=2),
    "Conv3d": lambda t: t.nn.Conv3d(2, 3, 2),
    "ConvTranspose2d": lambda t: t.nn.ConvTranspose2d(3, 5, 3),
    "Embedding": lambda t: t.nn.Embedding(10, 3),
    "Embedding_small": lambda t: t.nn.Embedding(3, 4),
    "EmbeddingBag": lambda t: t.nn.EmbeddingBag(10, 3),
    "RNN": lambda t: t.nn.RNN(4, 5, num_layers=2),
    "LSTM": lambda t: t.nn.LSTM(4, 5, bidirectional=True),
    "LSTM_proj": lambda t: t.nn.LSTM(4, 5, proj_size=3),
    "GRU": lambda t: t.nn.GRU(4, 5),
    "LSTMCell": lambda t: t.nn.LSTMCell(4, 5),
    "MultiheadAttention": lambda t: t.nn.MultiheadAttention(8, 2, kdim=4, vdim=6),
    "TransformerDecoderLayer": lambda t: t.nn.TransformerDecoderLayer(8, 2, 16),
    "LayerNorm": lambda t: t.nn.LayerNorm(5),
    "Net": lambda t: t.nn.Sequential(t.nn.Conv2d(1, 4, 3), t.nn.ReLU(), t.nn.Flatten(),
                                     t.nn.Linear(36, 10)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_default_initialisation_is_pytorchs(name: str) -> None:
    _seeded(0)
    ours, theirs = LAYERS[name](tg), LAYERS[name](torch)
    ours_named, theirs_named = dict(ours.named_parameters()), dict(theirs.named_parameters())
    assert list(ours_named) == list(theirs_named)
    for key, value in theirs_named.items():
        _close(ours_named[key], value)
    _stream_in_step()


INITS = {
    "kaiming_uniform_": (lambda t, w: t.nn.init.kaiming_uniform_(w), (6, 5), 0),
    "kaiming_normal_": (lambda t, w: t.nn.init.kaiming_normal_(w, mode="fan_out"), (6, 5), 0),
    "xavier_uniform_": (lambda t, w: t.nn.init.xavier_uniform_(w, gain=2), (6, 5), 0),
    "xavier_normal_": (lambda t, w: t.nn.init.xavier_normal_(w), (6, 5), 0),
    "normal_small": (lambda t, w: t.nn.init.normal_(w, 1, 0.1), (2, 3), 0),
    "uniform_": (lambda t, w: t.nn.init.uniform_(w, -1, 1), (6, 5), 0),
    "trunc_normal_": (lambda t, w: t.nn.init.trunc_normal_(w, std=0.02), (6, 5), 0),
    "trunc_normal_wide": (lambda t, w: t.nn.init.trunc_normal_(w, 0.5, 2, -1, 3), (40, 50), 0),
    "trunc_normal_far": (lambda t, w: t.nn.init.trunc_normal_(w, 0, 1, 2, 3), (40, 50), 1),
    "trunc_normal_narrow": (lambda t, w: t.nn.init.trunc_normal_(w, 0, 1, -0.5, 0.5), (3, 3),
                            1),
    "sparse_": (lambda t, w: t.nn.init.sparse_(w, 0.3), (6, 5), 0),
}


@pytest.mark.parametrize("name", sorted(INITS))
def test_init_functions_draw_as_pytorch(name: str) -> None:
    fill, shape, ulps = INITS[name]
    _seeded(0)
    ours, theirs = tg.empty(*shape), torch.empty(*shape)
    fill(tg, ours)
    fill(torch, theirs)
    _close(ours, theirs, ulps)
    _stream_in_step()


def test_orthogonal_draws_pytorchs_gaussian_matrix() -> None:
    """The same N(0, 1) matrix; the QR (LAPACK's) then agrees to float32 rounding."""
    for shape in ((6, 5), (3, 7)):
        _seeded(0)
        ours, theirs = tg.empty(*shape), torch.empty(*shape)
        tg.nn.init.orthogonal_(ours)
        torch.nn.init.orthogonal_(theirs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=2e-6)
        _stream_in_step()


def test_trunc_normal_keeps_far_intervals_inside() -> None:
    _seeded(0)
    with pytest.warns(UserWarning, match="more than 2 std"):  # (PyTorch's warning)
        values = tg.nn.init.trunc_normal_(tg.empty(400), 0, 1, 8, 9).numpy()
    assert values.min() >= 8 and values.max() <= 9 and values.std() > 0.05


def _loader_order(t: object, epochs: int = 2, **options: object) -> list[int]:
    dataset = t.utils.data.TensorDataset(t.arange(23))
    order: list[int] = []
    for _ in range(epochs):
        for (batch,) in t.utils.data.DataLoader(dataset, batch_size=5, **options):
            order.extend(batch.tolist())
    return order


def test_shuffled_loader_gives_pytorchs_batch_order() -> None:
    _seeded(0)
    assert _loader_order(tg, shuffle=True) == _loader_order(torch, shuffle=True)
    _stream_in_step()
    ours = _loader_order(tg, shuffle=True, generator=tg.Generator().manual_seed(3))
    theirs = _loader_order(torch, shuffle=True, generator=torch.Generator().manual_seed(3))
    assert ours == theirs


SAMPLERS = {
    "random_split": lambda t: t.utils.data.random_split(range(10), [3, 7])[0].indices,
    "random_split_generator": lambda t: t.utils.data.random_split(
        range(10), [0.5, 0.5], generator=t.Generator().manual_seed(1))[1].indices,
    "RandomSampler_replacement": lambda t: list(t.utils.data.RandomSampler(
        range(10), replacement=True, num_samples=40)),
    "RandomSampler_num_samples": lambda t: list(t.utils.data.RandomSampler(
        range(10), num_samples=25)),
    "SubsetRandomSampler": lambda t: list(t.utils.data.SubsetRandomSampler([3, 5, 7, 9])),
    "WeightedRandomSampler": lambda t: list(t.utils.data.WeightedRandomSampler(
        [0.1, 0.5, 2, 3], 20)),
    "WeightedRandomSampler_without": lambda t: list(t.utils.data.WeightedRandomSampler(
        [0.1, 0.5, 2, 3], 3, replacement=False)),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_samplers_draw_as_pytorch(name: str) -> None:
    _seeded(1)
    assert list(SAMPLERS[name](tg)) == list(SAMPLERS[name](torch))
    _stream_in_step()


def test_distributed_sampler_epoch_order() -> None:
    def order(t: object) -> list[int]:
        sampler = t.utils.data.distributed.DistributedSampler(range(20), num_replicas=2,
                                                              rank=1, seed=4)
        sampler.set_epoch(3)
        return list(sampler)

    assert order(tg) == order(torch)


def test_rng_state_is_pytorchs_layout_both_ways() -> None:
    torch.manual_seed(3)
    torch.rand(7)
    torch.randn(3)  # (a cached second normal sample in the state)
    state = torch.get_rng_state()
    tg.set_rng_state(tg.tensor(state.numpy()))
    _close(tg.randn(5), torch.randn(5))
    _close(tg.rand(40), torch.rand(40))
    for draws in (0, 5, 624, 1000):
        _seeded(11)
        tg.rand(draws)
        torch.rand(draws)
        np.testing.assert_array_equal(tg.get_rng_state().numpy(), torch.get_rng_state().numpy())
    torch.set_rng_state(torch.from_numpy(tg.get_rng_state().numpy()))
    _close(tg.rand(3), torch.rand(3))


def test_generator_objects() -> None:
    ours, theirs = tg.Generator().manual_seed(11), torch.Generator().manual_seed(11)
    tg.rand(3, generator=ours)
    torch.rand(3, generator=theirs)
    np.testing.assert_array_equal(ours.get_state().numpy(), theirs.get_state().numpy())
    assert ours.initial_seed() == theirs.initial_seed() == 11
    assert tg.Generator().initial_seed() == torch.Generator().initial_seed()
    np.testing.assert_array_equal(tg.Generator().get_state().numpy(),
                                  torch.Generator().get_state().numpy())
    copy = tg.Generator().set_state(ours.get_state())
    _close(tg.rand(4, generator=copy), torch.rand(4, generator=theirs))
    assert tg.manual_seed(9).initial_seed() == tg.initial_seed() == 9


def test_set_rng_state_refuses_other_sizes() -> None:
    with pytest.raises(RuntimeError, match="5056"):
        tg.set_rng_state(tg.zeros(100, dtype=tg.uint8))
    with pytest.raises(TypeError):
        tg.set_rng_state(tg.zeros(5056))


def test_fork_rng_resumes_the_stream() -> None:
    _seeded(4)
    with tg.random.fork_rng():
        tg.randn(3)
    with torch.random.fork_rng():
        torch.randn(3)
    _close(tg.randn(3), torch.randn(3))


def test_numpy_generator_still_accepted() -> None:
    values = tg.rand(5, generator=np.random.default_rng(0))
    again = tg.rand(5, generator=np.random.default_rng(0))
    np.testing.assert_array_equal(values.numpy(), again.numpy())
    assert 0 <= values.numpy().min() and values.numpy().max() < 1


def test_worker_seeds_follow_the_base_seed() -> None:
    def draws(t: object) -> list[float]:
        class Randoms(t.utils.data.Dataset):
            def __len__(self) -> int:
                return 8

            def __getitem__(self, index: int) -> object:
                return t.rand(1)

        loader = t.utils.data.DataLoader(Randoms(), batch_size=2, num_workers=2)
        return t.cat([batch.flatten() for batch in loader]).tolist()

    _seeded(2)
    assert draws(tg) == draws(torch)


def test_vmap_same_randomness_repeats_pytorchs_draw() -> None:
    tg.manual_seed(0)
    rows = tg.func.vmap(lambda x: x + tg.rand(3), randomness="same")(tg.zeros(2, 3)).numpy()
    torch.manual_seed(0)
    np.testing.assert_array_equal(rows[0], rows[1])
    np.testing.assert_array_equal(rows[0], torch.rand(3).numpy())


def _prune_unstructured(t: object) -> object:
    import torch.nn.utils.prune  # noqa: F401, PLC0415  (PyTorch's submodule, for torch)

    layer = t.nn.Linear(10, 6)
    t.nn.utils.prune.random_unstructured(layer, "weight", 0.4)
    return layer.weight_mask


def _prune_structured(t: object) -> object:
    import torch.nn.utils.prune  # noqa: F401, PLC0415

    layer = t.nn.Linear(10, 6)
    t.nn.utils.prune.random_structured(layer, "weight", 0.5, dim=0)
    return layer.weight_mask


MORE_DRAWS = {
    "prune_unstructured": (_prune_unstructured, 0),
    "prune_structured": (_prune_structured, 0),
    "fractional_max_pool2d": (lambda t: t.nn.functional.fractional_max_pool2d(
        t.arange(2 * 3 * 8 * 8.0).reshape(2, 3, 8, 8), 2, output_size=4), 0),
    "Normal_sample": (lambda t: t.distributions.Normal(t.zeros(20), t.ones(20)).sample(), 0),
    "Normal_rsample": (lambda t: t.distributions.Normal(t.zeros(20), t.ones(20)).rsample(), 0),
    "Bernoulli_sample": (lambda t: t.distributions.Bernoulli(t.full((20,), 0.3)).sample(), 0),
    "Categorical_sample": (lambda t: t.distributions.Categorical(
        t.tensor([0.1, 0.2, 0.7])).sample((10,)), 0),
    "Uniform_sample": (lambda t: t.distributions.Uniform(t.zeros(20), t.ones(20) * 2).sample(),
                       0),
    "Exponential_sample": (lambda t: t.distributions.Exponential(t.ones(20) * 2).sample(), 2),
}


@pytest.mark.parametrize("name", sorted(MORE_DRAWS))
def test_pruning_pooling_and_distributions_draw_as_pytorch(name: str) -> None:
    draw, ulps = MORE_DRAWS[name]
    _seeded(6)
    _close(draw(tg), draw(torch), ulps)
    _stream_in_step()


CATEGORICAL = {
    "one": ((), [0.1, 0.2, 0.7]),
    "batch": ((), [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]),
    "batch_many": ((4, 2), [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]),
}


@pytest.mark.parametrize("name", sorted(CATEGORICAL))
def test_categorical_samples_are_pytorchs(name: str) -> None:
    shape, probs = CATEGORICAL[name]
    _seeded(8)
    ours = tg.distributions.Categorical(tg.tensor(probs)).sample(shape)
    theirs = torch.distributions.Categorical(torch.tensor(probs)).sample(shape)
    _close(ours, theirs)
    _stream_in_step()
