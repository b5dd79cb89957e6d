"""Twelfth round of probes against PyTorch 2.13, the nn side: instance norms with running
statistics, lazy modules and dtypes, constructor checks of convolutions, recurrent layers and
attention, LR schedulers' get_lr, modules assigned before Module.__init__, batch-norm state
dicts, adaptive pools to an empty size, container reprs, NLLLoss2d and DistributedSampler.

Each test checks fixed expected values on tinygrad_np, then (where PyTorch is installed)
runs the same code on PyTorch and compares."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None


def libraries() -> list:
    """tinygrad_np, and PyTorch when installed."""
    return [tg] if torch is None else [tg, torch]


def _numpy(value):
    return np.asarray(value.detach().numpy()) if hasattr(value, "detach") else value


def _dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


# ----------------------------------------------------------------- 1. instance norm stats
def _instance_norm_run(L, momentum):
    """Three training steps and two eval calls of an affine InstanceNorm1d that tracks
    running statistics: every output, gradient and buffer along the way."""
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((3, 2, 5)).astype(np.float32) for _ in range(3)]
    upstream = L.tensor(rng.standard_normal((3, 2, 5)).astype(np.float32))
    m = L.nn.InstanceNorm1d(2, affine=True, track_running_stats=True, momentum=momentum)
    steps = []
    for x in inputs:
        x = L.tensor(x, requires_grad=True)
        m.zero_grad()
        y = m(x)
        (y * upstream).sum().backward()
        steps.append([y, x.grad, m.weight.grad, m.bias.grad, m.running_mean.clone(),
                      m.running_var.clone(), int(m.num_batches_tracked)])
    m.eval()
    steps.append([m(L.tensor(inputs[0])), m(L.tensor(inputs[0][0]))])
    return inputs, steps


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_instance_norm_tracks_running_stats_as_pytorch(momentum):
    inputs, ours = _instance_norm_run(tg, momentum)
    # fixed values: the batch average of per-instance means and unbiased variances moves
    # the running ones by momentum (None: PyTorch passes 0, so they stay); the counter stays 0
    mean, var, factor = np.zeros(2), np.ones(2), momentum or 0.0
    for x, step in zip(inputs, ours[:3]):
        mean = (1 - factor) * mean + factor * x.mean(axis=2).mean(axis=0)
        var = (1 - factor) * var + factor * x.var(axis=2, ddof=1).mean(axis=0)
        np.testing.assert_allclose(_numpy(step[4]), mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(_numpy(step[5]), var, rtol=1e-5)
        assert step[6] == 0
    expected_eval = (inputs[0] - mean[:, None]) / np.sqrt(var[:, None] + 1e-5)
    np.testing.assert_allclose(_numpy(ours[3][0]), expected_eval, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_numpy(ours[3][1]), expected_eval[0], rtol=1e-5, atol=1e-5)
    if torch is not None:
        _, theirs = _instance_norm_run(torch, momentum)
        for our_step, their_step in zip(ours, theirs):
            for a, b in zip(our_step, their_step):
                np.testing.assert_allclose(_numpy(a), _numpy(b), rtol=1e-5, atol=1e-5)


def test_instance_norm_fixed_values_and_functional_form():
    x = np.arange(8.0, dtype=np.float32).reshape(2, 1, 4)  # instance means 1.5 and 5.5
    for L in libraries():
        F = L.nn.functional
        mean, var = L.zeros(1), L.ones(1)
        y = F.instance_norm(L.tensor(x), mean, var, momentum=0.1)
        np.testing.assert_allclose(_numpy(mean), [0.35], rtol=1e-6)
        np.testing.assert_allclose(_numpy(var), [0.9 + 0.1 * 5 / 3], rtol=1e-6)
        np.testing.assert_allclose(_numpy(y)[0, 0], (np.arange(4) - 1.5) / np.sqrt(1.25 + 1e-5),
                                   rtol=1e-5)
        fixed = F.instance_norm(L.tensor(x), L.tensor([1.0]), L.tensor([4.0]),
                                use_input_stats=False)
        np.testing.assert_allclose(_numpy(fixed).ravel(), (np.arange(8) - 1) / np.sqrt(4 + 1e-5),
                                   rtol=1e-6)
        with pytest.raises(ValueError, match="both be None or neither"):
            F.instance_norm(L.tensor(x), L.zeros(1))
        with pytest.raises(RuntimeError, match="running_mean and running_var to be defined"):
            F.instance_norm(L.tensor(x), use_input_stats=False)


def test_lazy_instance_norm_tracks_running_stats_by_default():
    for L in libraries():
        lazy = L.nn.LazyInstanceNorm2d()
        assert lazy.track_running_stats and lazy.affine
        lazy(L.ones(2, 3, 4, 4))
        assert list(lazy.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                           "num_batches_tracked"]
        assert tuple(lazy.running_mean.shape) == (3,)
        assert repr(lazy) == ("InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=True, "
                              "bias=True, track_running_stats=True)")


# ----------------------------------------------------------------- 2. lazy modules' dtype
LAZY = [("LazyConv1d", (4, 2), (2, 3, 5)), ("LazyConv2d", (4, 2), (1, 3, 4, 4)),
        ("LazyConv3d", (2, 2), (1, 3, 3, 3, 3)), ("LazyConvTranspose1d", (4, 2), (2, 3, 5)),
        ("LazyConvTranspose2d", (4, 2), (1, 3, 4, 4)),
        ("LazyConvTranspose3d", (2, 2), (1, 3, 3, 3, 3)), ("LazyBatchNorm1d", (), (4, 3)),
        ("LazyBatchNorm2d", (), (2, 3, 2, 2)), ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2)),
        ("LazyInstanceNorm1d", (), (2, 3, 5)), ("LazyInstanceNorm2d", (), (2, 3, 4, 4)),
        ("LazyInstanceNorm3d", (), (2, 3, 2, 2, 2))]
CONVERSIONS = {
    "double": (lambda L, m: m.double(), "float64", {}),
    "half": (lambda L, m: m.half(), "float16", {}),
    "to": (lambda L, m: m.to(L.float64), "float64", {}),
    "float after dtype=float64": (lambda L, m: m.float(), "float32", {"dtype": "float64"}),
    "dtype=float64": (lambda L, m: m, "float64", {"dtype": "float64"}),
    "affine=False, double": (lambda L, m: m.double(), "float64", {"affine": False}),
}


@pytest.mark.parametrize(("name", "args", "shape", "conversion"), [
    (*lazy, conversion) for lazy in LAZY for conversion in CONVERSIONS
    if "Norm" in lazy[0] or "affine" not in conversion])
def test_lazy_modules_materialise_in_the_converted_dtype(name, args, shape, conversion):
    convert, expected, options = CONVERSIONS[conversion]
    results = []
    for L in libraries():
        kwargs = {key: getattr(L, value) if key == "dtype" else value
                  for key, value in options.items()}
        module = convert(L, getattr(L.nn, name)(*args, **kwargs))
        module(L.ones(*shape, dtype=getattr(L, expected)))
        dtypes = {key: _dtype_name(value.dtype) for key, value in module.state_dict().items()}
        assert dtypes, name
        for key, dtype in dtypes.items():
            assert dtype == ("int64" if key == "num_batches_tracked" else expected), (key, dtype)
        results.append(dtypes)
    assert all(result == results[0] for result in results)


# ----------------------------------------------------------------- 3. conv constructor checks
CONV_ERRORS = [
    ("Conv2d", dict(padding="foo"), r"Invalid padding string 'foo', should be one of"),
    ("Conv1d", dict(padding="same", stride=2),
     r"padding='same' is not supported for strided convolutions"),
    ("Conv3d", dict(padding="same", stride=(1, 2, 1)),
     r"padding='same' is not supported for strided convolutions"),
    ("Conv2d", dict(in_channels=3, groups=2), r"in_channels must be divisible by groups"),
    ("Conv2d", dict(out_channels=3, groups=2), r"out_channels must be divisible by groups"),
    ("Conv1d", dict(groups=0), r"groups must be a positive integer"),
    ("Conv2d", dict(padding_mode="mirror"),
     r"padding_mode must be one of \{.*\}, but got padding_mode='mirror'"),
    ("ConvTranspose2d", dict(padding_mode="reflect"),
     r'Only "zeros" padding mode is supported for ConvTranspose2d'),
    ("ConvTranspose1d", dict(out_channels=3, groups=2),
     r"out_channels must be divisible by groups"),
]


@pytest.mark.parametrize(("name", "changes", "message"), CONV_ERRORS)
def test_conv_constructors_check_as_pytorch(name, changes, message):
    for L in libraries():
        kwargs = {"in_channels": 4, "out_channels": 4, "kernel_size": 3, **changes}
        with pytest.raises(ValueError, match=message):
            getattr(L.nn, name)(**kwargs)


def test_conv_padding_strings_that_work_and_a_transposed_conv_padding_string():
    for L in libraries():
        assert tuple(L.nn.Conv2d(2, 2, 3, padding="same", dilation=2)(L.ones(1, 2, 5, 5)).shape
                     ) == (1, 2, 5, 5)
        assert tuple(L.nn.Conv1d(2, 2, 3, padding="valid", stride=2)(L.ones(1, 2, 7)).shape
                     ) == (1, 2, 3)
        transposed = L.nn.ConvTranspose2d(2, 2, 3, padding="same")  # accepted, as PyTorch
        with pytest.raises(TypeError, match="padding"):
            transposed(L.ones(1, 2, 4, 4))


# ----------------------------------------------------------------- 4. proj_size
def test_proj_size_checks_and_lstm_repr():
    for L in libraries():
        nn = L.nn
        for cls in (nn.GRU, nn.RNN):
            for size in (1, 0):
                with pytest.raises(ValueError, match="proj_size argument is only supported for "
                                                     "LSTM, not RNN or GRU"):
                    cls(3, 4, proj_size=size)
        with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
            nn.LSTM(3, 4, proj_size=4)
        with pytest.raises(ValueError, match="proj_size should be a positive integer or zero"):
            nn.LSTM(3, 4, proj_size=-1)
        with pytest.raises(TypeError):
            nn.GRU(3, 4, projection=1)
        assert repr(nn.LSTM(4, 6, proj_size=3, num_layers=2, bidirectional=True)) == (
            "LSTM(4, 6, proj_size=3, num_layers=2, bidirectional=True)")
        assert repr(nn.LSTM(4, 6, batch_first=True)) == "LSTM(4, 6, batch_first=True)"


# ----------------------------------------------------------------- 5. get_lr outside step
SCHEDULERS = [("StepLR", dict(step_size=2)), ("MultiStepLR", dict(milestones=[1, 3])),
              ("ExponentialLR", dict(gamma=0.9)), ("LinearLR", {}),
              ("CosineAnnealingLR", dict(T_max=4)), ("CosineAnnealingWarmRestarts", dict(T_0=3)),
              ("ConstantLR", {}), ("PolynomialLR", {}),
              ("LambdaLR", dict(lr_lambda=lambda epoch: 0.5 ** epoch)),
              ("MultiplicativeLR", dict(lr_lambda=lambda epoch: 0.9)),
              ("OneCycleLR", dict(max_lr=1.0, total_steps=10)),
              ("CyclicLR", dict(base_lr=0.1, max_lr=1.0, step_size_up=2))]


def _scheduler(L, name, settings):
    optimizer = L.optim.SGD([L.nn.Parameter(L.zeros(1))], lr=0.1, momentum=0.9)
    return optimizer, getattr(L.optim.lr_scheduler, name)(optimizer, **settings)


@pytest.mark.parametrize(("name", "settings"), SCHEDULERS)
def test_get_lr_outside_step_warns_and_state_dicts_round_trip(name, settings):
    for L in libraries():
        optimizer, scheduler = _scheduler(L, name, settings)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # step() itself does not warn
            for _ in range(3):
                optimizer.step()
                scheduler.step()
        with pytest.warns(UserWarning, match=r"To get the last learning rate computed by the "
                                             r"scheduler, please use `get_last_lr\(\)`\."):
            scheduler.get_lr()
        state = scheduler.state_dict()
        assert state["_get_lr_called_within_step"] is False
        keys = list(state)
        assert keys.index("_get_lr_called_within_step") == keys.index("_is_initial") + 1
    if torch is None:
        return
    for source, target in ((tg, torch), (torch, tg)):
        source_optimizer, source_scheduler = _scheduler(source, name, settings)
        for _ in range(3):
            source_optimizer.step()
            source_scheduler.step()
        state = source_scheduler.state_dict()
        target_optimizer, target_scheduler = _scheduler(target, name, settings)
        target_optimizer.load_state_dict(source_optimizer.state_dict())
        target_scheduler.load_state_dict(state)
        assert target_scheduler.state_dict()["_get_lr_called_within_step"] is False
        for _ in range(3):
            source_optimizer.step()
            source_scheduler.step()
            target_optimizer.step()
            target_scheduler.step()
            np.testing.assert_allclose(target_scheduler.get_last_lr(),
                                       source_scheduler.get_last_lr(), rtol=1e-12)


# ----------------------------------------------------------------- 6. attention asserts
def test_attention_shape_checks_are_assertion_errors():
    for L in libraries():
        nn = L.nn
        for name in ("MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer"):
            with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
                getattr(nn, name)(5, 2)
        wrong = L.zeros(3, 2, 5)
        message = "was expecting embedding dimension of 4, but got 5"
        with pytest.raises(AssertionError, match=message):
            nn.MultiheadAttention(4, 2)(wrong, wrong, wrong)
        with pytest.raises(AssertionError, match=message):
            nn.TransformerEncoderLayer(4, 2)(wrong)
        with pytest.raises(AssertionError, match=message):
            nn.TransformerDecoderLayer(4, 2)(wrong, L.zeros(3, 2, 4))
    with pytest.raises(RuntimeError):  # still the library's TensorError too
        tg.nn.MultiheadAttention(5, 2)


# ----------------------------------------------------------------- 7. before Module.__init__
def _early(L) -> type:
    """A module class that gives itself `what` before calling Module.__init__."""
    nn = L.nn

    class Early(nn.Module):
        def __init__(self, what):
            if what == "module":
                self.layer = nn.Linear(2, 2)
            elif what == "parameter":
                self.weight = nn.Parameter(L.zeros(2))
            elif what == "buffer":
                self.register_buffer("stats", L.zeros(2))
            elif what == "register_parameter":
                self.register_parameter("weight", nn.Parameter(L.zeros(2)))
            else:
                self.size = 3
                self.cache = L.zeros(2)  # a plain tensor attribute is fine too
            super().__init__()

    return Early


def test_layers_parameters_and_buffers_need_module_init_first():
    for L in libraries():
        Early = _early(L)  # noqa: N806 (a class)
        for what, message in (("module", "cannot assign module before Module.__init__() call"),
                              ("parameter", "cannot assign parameters before Module.__init__"),
                              ("buffer", "cannot assign buffer before Module.__init__() call"),
                              ("register_parameter",
                               "cannot assign parameter before Module.__init__() call")):
            with pytest.raises(AttributeError) as caught:
                Early(what)
            assert str(caught.value).startswith(message), (L.__name__, what, caught.value)
        plain = Early("plain")
        assert plain.size == 3 and plain.training
        assert list(plain.state_dict()) == []


# ----------------------------------------------------------------- 8. num_batches_tracked
def test_batch_norm_state_dict_without_num_batches_tracked():
    for L in libraries():
        nn = L.nn
        model = nn.Sequential(nn.BatchNorm1d(3))
        model.train()
        model(L.ones(4, 3))
        saved = model.state_dict()
        del saved["0.num_batches_tracked"]  # still version 2 in its metadata: a missing key
        fresh = nn.Sequential(nn.BatchNorm1d(3))
        with pytest.raises(RuntimeError, match=r"0\.num_batches_tracked"):
            fresh.load_state_dict(saved)
        keys = fresh.load_state_dict(saved, strict=False)
        assert list(keys.missing_keys) == ["0.num_batches_tracked"]
        assert list(keys.unexpected_keys) == []
        # a plain dict (no version: an old checkpoint) loads, and the counter keeps its value
        with L.no_grad():
            fresh[0].num_batches_tracked.fill_(7)
        assert str(fresh.load_state_dict(dict(saved))) == "<All keys matched successfully>"
        assert int(fresh[0].num_batches_tracked) == 7
        np.testing.assert_allclose(_numpy(fresh[0].running_var), np.full(3, 0.9), rtol=1e-6)
        assert model.state_dict()._metadata["0"]["version"] == 2


# ----------------------------------------------------------------- 9. empty adaptive pools
POOLS = [("AdaptiveAvgPool2d", (0, 2), (1, 2, 4, 4), (1, 2, 0, 2)),
         ("AdaptiveMaxPool2d", (0, 0), (1, 2, 4, 4), (1, 2, 0, 0)),
         ("AdaptiveAvgPool2d", (None, 0), (1, 2, 4, 4), (1, 2, 4, 0)),
         ("AdaptiveMaxPool2d", (0, 2), (2, 4, 4), (2, 0, 2)),
         ("AdaptiveAvgPool1d", 0, (1, 2, 4), (1, 2, 0)),
         ("AdaptiveMaxPool1d", 0, (2, 4), (2, 0)),
         ("AdaptiveAvgPool3d", (1, 0, 2), (1, 2, 4, 4, 4), (1, 2, 1, 0, 2)),
         ("AdaptiveMaxPool3d", (1, 0, 2), (1, 2, 4, 4, 4), (1, 2, 1, 0, 2))]


@pytest.mark.parametrize(("name", "size", "shape", "expected"), POOLS)
def test_adaptive_pools_to_an_empty_size(name, size, shape, expected):
    for L in libraries():
        x = L.ones(*shape, requires_grad=True)
        y = getattr(L.nn, name)(size)(x)
        assert tuple(y.shape) == expected and y.numel() == 0
        with pytest.raises(RuntimeError, match="Expected grad_output to have non-zero size"):
            y.sum().backward()  # PyTorch's backward refuses an empty output
        if "Max" in name:
            values, indices = getattr(L.nn, name)(size, return_indices=True)(x)
            assert tuple(indices.shape) == expected and _dtype_name(indices.dtype) == "int64"
    with pytest.raises(RuntimeError, match=">= 0"):
        tg.nn.AdaptiveAvgPool2d((-1, 2))(tg.ones(1, 2, 4, 4))


# ----------------------------------------------------------------- 10. reprs
PARAMETER_REPRS = [
    ("list of two", "ParameterList(\n"
                    "    (0): Parameter containing: [torch.float32 of size 2]\n"
                    "    (1): Parameter containing: [torch.float64 of size 2x3]\n)"),
    ("list of one", "ParameterList(  (0): Parameter containing: [torch.float32 of size 2])"),
    ("dict", "ParameterDict(\n"
             "    (a): Parameter containing: [torch.FloatTensor of size 2]\n"
             "    (b): Parameter containing: [torch.DoubleTensor of size 2x3]\n)"),
    ("dict of a scalar", "ParameterDict(  (a): Parameter containing: [torch.FloatTensor of "
                         "size ])"),
    ("parent", "Holder(\n"
               "  (pl): ParameterList(\n"
               "      (0): Parameter containing: [torch.float32 of size 2]\n"
               "      (1): Parameter containing: [torch.float64 of size 3]\n"
               "  )\n"
               "  (one): ParameterList(  (0): Parameter containing: [torch.float32 of size 1])\n"
               "  (pd): ParameterDict(  (w): Parameter containing: [torch.FloatTensor of size "
               "1x2])\n"
               "  (empty): ParameterList()\n"
               "  (linear): Linear(in_features=1, out_features=1, bias=True)\n)"),
]


def _parameter_container(L, which):
    nn = L.nn
    if which == "list of two":
        return nn.ParameterList([nn.Parameter(L.zeros(2)), L.zeros(2, 3, dtype=L.float64)])
    if which == "list of one":
        return nn.ParameterList([nn.Parameter(L.zeros(2))])
    if which == "dict":
        return nn.ParameterDict({"a": nn.Parameter(L.zeros(2)),
                                 "b": nn.Parameter(L.zeros(2, 3, dtype=L.float64), False)})
    if which == "dict of a scalar":
        return nn.ParameterDict({"a": nn.Parameter(L.tensor(1.0))})

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.pl = nn.ParameterList([nn.Parameter(L.zeros(2)),
                                        nn.Parameter(L.zeros(3, dtype=L.float64))])
            self.one = nn.ParameterList([L.ones(1)])
            self.pd = nn.ParameterDict({"w": nn.Parameter(L.zeros(1, 2))})
            self.empty = nn.ParameterList()
            self.linear = nn.Linear(1, 1)

    return Holder()


@pytest.mark.parametrize(("which", "expected"), PARAMETER_REPRS)
def test_parameter_container_reprs_are_pytorchs(which, expected):
    for L in libraries():
        assert repr(_parameter_container(L, which)) == expected, L.__name__


# ----------------------------------------------------------------- 11. missing names
def test_nll_loss_2d_is_a_deprecated_nll_loss():
    logits = np.log(np.array([[[[0.2]], [[0.8]]], [[[0.6]], [[0.4]]]], dtype=np.float32))
    for L in libraries():
        with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated. Please use "
                                               "`NLLLoss` instead"):
            loss = L.nn.NLLLoss2d(reduction="sum")
        assert isinstance(loss, L.nn.NLLLoss) and repr(loss) == "NLLLoss2d()"
        value = loss(L.tensor(logits), L.tensor(np.array([[[1]], [[0]]])))
        np.testing.assert_allclose(float(value), -np.log(0.8) - np.log(0.6), rtol=1e-6)


DISTRIBUTED = [(10, 3, False, [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]),
               (10, 3, True, [[0, 3, 6], [1, 4, 7], [2, 5, 8]]),
               (2, 4, False, [[0], [1], [0], [1]]),
               (2, 4, True, [[], [], [], []]),
               (8, 4, True, [[0, 4], [1, 5], [2, 6], [3, 7]]),
               (0, 2, False, [[], []])]


@pytest.mark.parametrize(("size", "replicas", "drop_last", "expected"), DISTRIBUTED)
def test_distributed_sampler_without_shuffle_gives_pytorchs_indices(size, replicas, drop_last,
                                                                    expected):
    for L in libraries():
        shares = [L.utils.data.DistributedSampler(list(range(size)), num_replicas=replicas,
                                                  rank=rank, shuffle=False,
                                                  drop_last=drop_last)
                  for rank in range(replicas)]
        assert [list(share) for share in shares] == expected, L.__name__
        assert [len(share) for share in shares] == [len(part) for part in expected]


def test_distributed_sampler_shuffles_by_seed_and_epoch():
    from tinygrad_np.utils.data.distributed import DistributedSampler

    assert DistributedSampler is tg.utils.data.DistributedSampler
    shares = [DistributedSampler(range(11), num_replicas=2, rank=rank, seed=5)
              for rank in range(2)]
    first = [list(share) for share in shares]
    assert first == [list(share) for share in shares]  # the same order until set_epoch
    assert sorted(first[0] + first[1]) == sorted([*range(11), first[0][0]])  # one padded
    for share in shares:
        share.set_epoch(1)
    assert [list(share) for share in shares] != first
    # (the shuffled order comes from NumPy's generator, so it is not PyTorch's)
    for L in libraries():
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            L.utils.data.DistributedSampler(range(4))
        with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval "
                                             r"\[0, 1\]"):
            L.utils.data.DistributedSampler(range(4), num_replicas=2, rank=2)
