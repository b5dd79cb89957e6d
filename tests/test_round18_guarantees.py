"""Round 18: the README's "Guarantees" re-probed from the outside with inputs no older test
uses (threads and pools, generators, every route to a saved value, aliasing under double
backward, custom-op contracts, dims out of range, damaged files), against PyTorch 2.13."""
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.optim as optim

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def _outcome(fn, lib):
    """('ok', value) or ('error', exception type) of fn(lib)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (PyTorch's beta warnings)
            return "ok", fn(lib)
    except Exception as error:  # noqa: BLE001 (compared by the caller)
        return "error", type(error)


# ---------------------------------------------------------------- dims out of range

_ZERO_D_INDEX_OPS = {
    "index_add": lambda T, x, d: x.index_add(d, T.tensor([0]), x),
    "index_add_": lambda T, x, d: x.clone().index_add_(d, T.tensor([0]), x),
    "index_copy": lambda T, x, d: x.index_copy(d, T.tensor([0]), x),
    "index_copy_": lambda T, x, d: x.clone().index_copy_(d, T.tensor([0]), x),
    "scatter_reduce": lambda T, x, d: x.scatter_reduce(d, T.tensor(0), x, "sum"),
    "scatter_reduce_": lambda T, x, d: x.clone().scatter_reduce_(d, T.tensor(0), x, "amax"),
    "index_reduce": lambda T, x, d: x.index_reduce(d, T.tensor([0]), x, "prod"),
    "index_fill": lambda T, x, d: x.index_fill(d, T.tensor([0]), 1.0),
    "index_select": lambda T, x, d: x.index_select(d, T.tensor([0])),
    "gather": lambda T, x, d: x.gather(d, T.tensor(0)),
    "scatter": lambda T, x, d: x.scatter(d, T.tensor(0), x),
}


@pytest.mark.parametrize("name", sorted(_ZERO_D_INDEX_OPS))
@pytest.mark.parametrize("dim", [1, -2, 3, 0, -1])
def test_zero_d_index_ops_check_dim_as_pytorch(name, dim):
    """A 0-d tensor takes dim 0 or -1 only; index_add/index_copy/scatter_reduce took any."""
    op = _ZERO_D_INDEX_OPS[name]
    expected = _outcome(lambda T: op(T, T.tensor(2.0), dim).numpy().tolist(), torch)
    got = _outcome(lambda T: op(T, T.tensor(2.0), dim).numpy().tolist(), tg)
    assert got[0] == expected[0], (name, dim, expected, got)
    if got[0] == "error":
        assert issubclass(got[1], IndexError), got
        with pytest.raises(IndexError, match=r"\[-1, 0\]|no dimensions"):
            op(tg, tg.tensor(2.0), dim)
    else:
        assert got[1] == expected[1]


_DIM_OPS = {
    "transpose": lambda T, x, d: x.transpose(0, d),
    "movedim": lambda T, x, d: x.movedim(d, 0),
    "diagonal": lambda T, x, d: x.diagonal(0, 0, d),
    "flatten": lambda T, x, d: x.flatten(0, d),
    "narrow": lambda T, x, d: x.narrow(d, 0, 1),
    "select": lambda T, x, d: x.select(d, 0),
    "roll": lambda T, x, d: x.roll(1, d),
    "flip": lambda T, x, d: x.flip((0, d)),
    "rot90": lambda T, x, d: x.rot90(1, (0, d)),
    "cumprod": lambda T, x, d: x.cumprod(d),
    "cummin": lambda T, x, d: x.cummin(d),
    "logcumsumexp": lambda T, x, d: x.logcumsumexp(d),
    "unbind": lambda T, x, d: x.unbind(d),
    "split": lambda T, x, d: x.split([1], d),
    "tensor_split": lambda T, x, d: x.tensor_split(2, d),
    "softmin": lambda T, x, d: T.nn.functional.softmin(x, d),
    "normalize": lambda T, x, d: T.nn.functional.normalize(x, dim=d),
    "cosine_similarity": lambda T, x, d: T.nn.functional.cosine_similarity(x, x, dim=d),
    "cat": lambda T, x, d: T.cat([x, x], d),
    "kthvalue": lambda T, x, d: x.kthvalue(1, d),
    "renorm": lambda T, x, d: x.renorm(2, d, 1.0),
    "unfold": lambda T, x, d: x.unfold(d, 1, 1),
    "squeeze_tuple": lambda T, x, d: x.squeeze((0, d)),
    "amax_tuple": lambda T, x, d: x.amax((d, 0)),
    "var_mean": lambda T, x, d: T.var_mean(x, dim=d),
    "nanmedian": lambda T, x, d: x.nanmedian(d),
    "quantile": lambda T, x, d: x.quantile(0.5, d),
    "unique_consecutive": lambda T, x, d: T.unique_consecutive(x, dim=d),
    "diff": lambda T, x, d: T.diff(x, dim=d),
    "cumulative_trapezoid": lambda T, x, d: T.cumulative_trapezoid(x, dim=d),
    "take_along_dim": lambda T, x, d: T.take_along_dim(x, T.zeros_like(x, dtype=T.long), d),
    "nn.GLU": lambda T, x, d: T.nn.GLU(d)(x),
    "nn.Unflatten": lambda T, x, d: T.nn.Unflatten(d, (1, -1))(x),
    "slice_scatter": lambda T, x, d: T.slice_scatter(x, x, dim=d),
    "special.logsumexp": lambda T, x, d: T.special.logsumexp(x, d),
}


@pytest.mark.parametrize("name", sorted(_DIM_OPS))
def test_dims_out_of_range_raise_index_error_everywhere(name):
    """Generated calls: each op with dims just outside (and inside) the range of 0-d, 1-D
    and 2-D inputs fails or succeeds as PyTorch's, an out-of-range dim an IndexError."""
    op = _DIM_OPS[name]
    for shape, dim in (((2, 3), 2), ((2, 3), -3), ((2, 3), 7), ((), 1), ((), -2), ((4,), 1),
                       ((4,), -2), ((2, 3), 1), ((4,), -1)):
        def call(T, shape=shape, dim=dim):
            x = T.arange(int(np.prod(shape)), dtype=T.float32).reshape(shape) + 1
            op(T, x, dim)
            return None
        expected, got = _outcome(call, torch), _outcome(call, tg)
        assert got[0] == expected[0], (name, shape, dim, expected, got)
        if expected[0] == "error" and issubclass(expected[1], IndexError):
            assert issubclass(got[1], IndexError), (name, shape, dim, got)


# ---------------------------------------------------------------- threads

def _train(seed: int, steps: int = 12) -> list:
    """A small model with BatchNorm trained with Adam and clipping; weights set from `seed`
    (not from the shared global generator, which threads would race on, as in PyTorch)."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1), nn.BatchNorm1d(1))
    with tg.no_grad():
        for p in model.parameters():
            p.copy_(tg.tensor(rng.standard_normal(p.shape).astype(np.float32)))
    opt = optim.Adam(model.parameters(), lr=0.01)
    x = tg.tensor(rng.standard_normal((16, 4)).astype(np.float32))
    y = tg.tensor(rng.standard_normal((16, 1)).astype(np.float32))
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with tg.no_grad():  # an evaluation pass between steps, as training loops do
            model.eval()
            model(x)
            model.train()
    return [t.detach().numpy().copy() for t in list(model.parameters()) + list(model.buffers())]


def test_thread_pool_training_is_bit_identical_to_sequential():
    sequential = [_train(seed) for seed in range(4)]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(_train, range(4)))
    for one, other in zip(sequential, parallel):
        assert all(np.array_equal(a, b) for a, b in zip(one, other))


def test_training_beside_a_thread_toggling_every_mode():
    expected = _train(7)
    stop = threading.Event()

    def toggle():
        while not stop.is_set():
            with tg.no_grad():
                with tg.enable_grad():
                    pass
                with tg.inference_mode():
                    (tg.ones(3) * 2).sum()
            tg.set_grad_enabled(False)
            tg.set_grad_enabled(True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with tg.autograd.detect_anomaly():
                    leaf = tg.ones(2, requires_grad=True)
                    (leaf * 2).sum().backward()

    thread = threading.Thread(target=toggle)
    thread.start()
    try:
        got = _train(7)
    finally:
        stop.set()
        thread.join()
    assert all(np.array_equal(a, b) for a, b in zip(expected, got))


def test_new_threads_start_in_default_modes():
    """A thread started inside no_grad()/detect_anomaly() starts with grad on and anomaly
    off, and a thread leaving set_grad_enabled(False) behind changes no other, as PyTorch."""
    seen = []
    with tg.no_grad():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with tg.autograd.detect_anomaly():
                thread = threading.Thread(
                    target=lambda: seen.append((tg.is_grad_enabled(), tg.is_anomaly_enabled())))
                thread.start()
                thread.join()
    assert seen == [(True, False)]
    thread = threading.Thread(target=lambda: tg.set_grad_enabled(False))
    thread.start()
    thread.join()
    assert tg.is_grad_enabled()


@pytest.mark.parametrize("lib", ["tg", "torch"])
def test_decorated_generators_hold_the_mode_only_while_running(lib):
    T = tg if lib == "tg" else torch
    outer = []

    @T.inference_mode()
    def infer():
        yield T.is_grad_enabled(), T.is_inference_mode_enabled()
        yield T.is_grad_enabled(), T.is_inference_mode_enabled()

    @T.set_grad_enabled(False)
    def frozen():
        value = yield T.is_grad_enabled()
        yield value, T.is_grad_enabled()

    @T.enable_grad()
    def enabled():
        yield T.is_grad_enabled()

    for item in infer():
        outer.append((item, T.is_grad_enabled(), T.is_inference_mode_enabled()))
    generator = frozen()
    outer.append((next(generator), T.is_grad_enabled()))
    outer.append((generator.send(5), T.is_grad_enabled()))
    generator.close()
    with T.no_grad():
        outer.append([(item, T.is_grad_enabled()) for item in enabled()])
    assert outer == [((False, True), True, False), ((False, True), True, False),
                     (False, True), ((5, False), True), [(True, False)]]


# ---------------------------------------------------------------- saved values

_ROUTES = {
    "nn.init.normal_": lambda T, w: T.nn.init.normal_(w),
    "nn.init.zeros_": lambda T, w: T.nn.init.zeros_(w),
    "nn.init.constant_": lambda T, w: T.nn.init.constant_(w, 3.0),
    "nn.init.trunc_normal_": lambda T, w: T.nn.init.trunc_normal_(w),
    "nn.init.orthogonal_ of a view": lambda T, w: T.nn.init.orthogonal_(w.view(1, 3)),
    "nn.init.eye_ of a view": lambda T, w: T.nn.init.eye_(w.view(1, 3)),
    "out=": lambda T, w: T.add(T.ones(3), T.ones(3), out=w),
    "masked_scatter_": lambda T, w: w.masked_scatter_(T.tensor([True, False, True]),
                                                      T.tensor([7.0, 8.0])),
    "put_": lambda T, w: w.put_(T.tensor([0]), T.tensor([9.0])),
    "lerp_": lambda T, w: w.lerp_(T.zeros(3), 0.5),
    "addcmul_": lambda T, w: w.addcmul_(T.ones(3), T.ones(3)),
    "copysign_": lambda T, w: w.copysign_(T.tensor(-1.0)),
    "nan_to_num_": lambda T, w: w.nan_to_num_(),
    "unfold view": lambda T, w: w.unfold(0, 2, 1)[0].fill_(0),
    "movedim view": lambda T, w: w.view(1, 3).movedim(0, 1).fill_(0),
    "mT view": lambda T, w: w.view(1, 3).mT.fill_(0),
    "tensor_split view": lambda T, w: T.tensor_split(w, 3)[0].fill_(0),
    "F.relu inplace": lambda T, w: T.nn.functional.relu(w, inplace=True),
    "detach().add_": lambda T, w: w.detach().add_(1),
    "random_": lambda T, w: w.random_(0, 3),
    "_foreach_add_": lambda T, w: T._foreach_add_([w], [T.ones(3)]),
    "_foreach_lerp_": lambda T, w: T._foreach_lerp_([w], [T.zeros(3)], 0.5),
    "_foreach_zero_": lambda T, w: T._foreach_zero_([w]),
    "_foreach_addcdiv_": lambda T, w: T._foreach_addcdiv_([w], [T.ones(3)], [T.ones(3)], value=2),
    "set_": lambda T, w: w.set_(T.full((3,), 2.0)),
}


@pytest.mark.parametrize("route", sorted(_ROUTES))
def test_every_route_to_a_saved_value_is_refused(route):
    def run(T):
        w = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        loss = (w * w).sum()
        with T.no_grad():
            _ROUTES[route](T, w)
        loss.backward()
        return w.grad.tolist()

    assert _outcome(run, torch)[0] == "error"
    # (an unfold() view is refused at the write itself: it cannot write the shared memory)
    with pytest.raises(RuntimeError, match="modified by an in-place operation|unfold"):
        run(tg)


_MODULE_ROUTES = {
    "Adadelta.step": lambda T, m: _step(T, m, "Adadelta"),
    "ASGD.step": lambda T, m: _step(T, m, "ASGD"),
    "Rprop.step": lambda T, m: _step(T, m, "Rprop"),
    "NAdam.step": lambda T, m: _step(T, m, "NAdam"),
    "reset_parameters": lambda T, m: m.reset_parameters(),
    "Module.apply(init)": lambda T, m: m.apply(
        lambda mod: T.nn.init.zeros_(mod.weight) if hasattr(mod, "weight") else None),
    "weight.H": lambda T, m: m.weight.H.zero_(),
    "weight.view(int32)": lambda T, m: m.weight.view(T.int32).zero_(),
    "weight[None]": lambda T, m: m.weight[None].zero_(),
    "vsplit": lambda T, m: T.vsplit(m.weight, 2)[0].zero_(),
    "state_dict values": lambda T, m: [v.mul_(0.9) for v in m.state_dict().values()],
}


def _step(T, model, name):
    opt = getattr(T.optim, name)(model.parameters(), lr=0.1)
    for p in model.parameters():
        p.grad = T.ones_like(p)
    opt.step()
    for p in model.parameters():
        p.grad = None


@pytest.mark.parametrize("route", sorted(_MODULE_ROUTES))
def test_module_routes_to_saved_weights_are_refused(route):
    def run(T):
        model = T.nn.Linear(3, 2)
        x = T.tensor([[1.0, -1.0, 2.0]], requires_grad=True)
        loss = (model(x) ** 2).sum()
        with T.no_grad():
            _MODULE_ROUTES[route](T, model)
        loss.backward()
        return x.grad.tolist()

    assert _outcome(run, torch)[0] == "error"
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        run(tg)


# ---------------------------------------------------------------- aliasing, second order

_CONSTANTS = {
    "x.data.view(-1)": lambda x: x.data.view(-1),
    "x.data[:]": lambda x: x.data[:],
    "x.detach().t().t()": lambda x: x.detach().t().t(),
    "np.asarray(x.detach())": lambda x: np.asarray(x.detach()),
    "x.numpy()[:]": lambda x: x.numpy()[:],
    "as_tensor(x.detach())": lambda x: tg.as_tensor(x.detach()),
    "tensor(x.numpy())": lambda x: tg.tensor(x.numpy()),
    "x.detach().expand(4)": lambda x: x.detach().expand(4),
}


@pytest.mark.parametrize("name", sorted(_CONSTANTS))
def test_constants_sharing_memory_stay_constants_in_second_derivatives(name):
    values = [0.5, -1.0, 2.0, 1.5]

    def grads(x, c, lib):
        y = (x * c).sum() * (x ** 2).sum() + ((c - x) ** 3).sum() + (lib.where(x > 0, x * c, x)
                                                                     ** 2).sum()
        g, = lib.autograd.grad(y, x, create_graph=True)
        h, = lib.autograd.grad(g.sum(), x)
        return g.detach().numpy(), h.detach().numpy()

    xt = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    expected = grads(xt, xt.detach().clone(), torch)
    x = tg.tensor(values, dtype=tg.float64, requires_grad=True)
    got = grads(x, _CONSTANTS[name](x), tg)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12)


# ---------------------------------------------------------------- custom ops

@pytest.mark.parametrize("kind", ["scalar", "five", "row", "float"])
def test_custom_function_wrong_gradient_shape_names_the_op(kind):
    class Scale(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            bad = {"scalar": grad.sum(), "five": grad.reshape(-1)[:1].expand(5),
                   "row": grad.sum(0, keepdim=True), "float": 1.0}[kind]
            return bad, grad

    x = tg.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"ScaleBackward.*invalid gradient.*\(2, 2\)"):
        Scale.apply(x, tg.ones(2, 2, requires_grad=True)).sum().backward()


# ---------------------------------------------------------------- files

def test_flipped_bits_never_load_silently_different_values(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    reference = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    path = tmp_path / "m.pt"
    tg.save(model.state_dict(), str(path))
    raw = path.read_bytes()
    rng = np.random.default_rng(3)
    damaged = tmp_path / "d.pt"
    for _ in range(120):
        data = bytearray(raw)
        position = int(rng.integers(len(data)))
        data[position] ^= 1 << int(rng.integers(8))
        damaged.write_bytes(bytes(data))
        try:
            loaded = tg.load(str(damaged))
        except ValueError:
            continue
        assert set(loaded) == set(reference), position
        for key, value in reference.items():
            assert np.array_equal(np.asarray(loaded[key]), value), (position, key)
    for cut in (0, 1, 30, len(raw) // 2, len(raw) - 1):
        damaged.write_bytes(raw[:cut])
        with pytest.raises(ValueError, match="d.pt"):
            tg.load(str(damaged))


@pytest.mark.parametrize("name", ["a\x00b", "x" * 5000, "../../etc/passwd", "a/b", "", "\n",
                                  "__tinygrad_np_manifest__", "a.npy", "\ud800"])
def test_hostile_names_round_trip_or_are_refused_clearly(tmp_path, name):
    path = str(tmp_path / "h.pt")
    tg.save({name: tg.ones(2)}, path)
    loaded = tg.load(path)
    assert list(loaded) == [name]
    assert os.listdir(tmp_path) == ["h.pt"]


@pytest.mark.parametrize("returned", ["ndarray", "float"])
def test_custom_function_array_gradient_under_create_graph_is_refused(returned):
    """An array (or number) gradient has no graph: under create_graph the penalty on it
    would silently get no gradient. First-order backward still takes it."""
    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            value = grad * 2 * x
            return value.numpy() if returned == "ndarray" else float(value.detach())

    x = tg.tensor(3.0, requires_grad=True)
    Square.apply(x).backward()
    assert x.grad.item() == 6.0
    with pytest.raises(RuntimeError, match="expected Variable or None"):
        tg.autograd.grad(Square.apply(x), x, create_graph=True)
    # the same op written with Tensors gives PyTorch's second derivative
    xt = torch.tensor(3.0, requires_grad=True)
    g, = torch.autograd.grad(xt * xt, xt, create_graph=True)
    (g ** 2).backward()
    x = tg.tensor(3.0, requires_grad=True)
    g, = tg.autograd.grad(x * x, x, create_graph=True)
    (g ** 2).backward()
    assert x.grad.item() == xt.grad.item() == 24.0


def test_anomaly_mode_is_per_thread_where_pytorch_is_process_wide():
    """The README's documented difference: PyTorch's anomaly flag is global."""
    for lib, expected in ((tg, False), (torch, True)):
        inside, done, seen = threading.Event(), threading.Event(), []

        def hold(lib=lib, inside=inside, done=done):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with lib.autograd.detect_anomaly():
                    inside.set()
                    done.wait(5)

        thread = threading.Thread(target=hold)
        thread.start()
        inside.wait(5)
        seen.append(lib.is_anomaly_enabled())
        done.set()
        thread.join()
        assert seen == [expected], lib


def test_float16_cosine_similarity_past_the_float16_range():
    """Norms of 300 * ones(70000) pass 65,504: the norm is inf and the cosine 0, as
    PyTorch's (ours was NaN); small float16 inputs match PyTorch's values and gradients."""
    x = tg.ones(70000, dtype=tg.float16, requires_grad=True)
    cosine = nn.functional.cosine_similarity(x * 300, x * 300, dim=0)
    cosine.backward()
    assert cosine.dtype == tg.float16 and cosine.item() == 0.0
    assert x.grad.dtype == tg.float16 and (x.grad.numpy() == 0).all()
    values = [[1.0, 2.0], [3.0, -1.0]], [[0.5, 2.0], [1.0, 1.0]]
    results = []
    for lib in (torch, tg):
        a = lib.tensor(values[0], dtype=lib.float16, requires_grad=True)
        b = lib.tensor(values[1], dtype=lib.float16)
        out = lib.nn.functional.cosine_similarity(a, b)
        out.sum().backward()
        results.append((out.detach().float().numpy(), a.grad.float().numpy()))
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_allclose(got, expected, atol=2e-3)


def test_set_shares_memory_and_is_checked_as_pytorch():
    results = []
    for lib in (torch, tg):
        x, y = lib.ones(3), lib.zeros(2, 2)
        out = x.set_(y)
        x.add_(1)
        outcomes = [out is x, tuple(x.shape), y.numpy().tolist(), tuple(lib.ones(3).set_().shape)]
        for bad in (lambda T: T.ones(3).set_(T.zeros(2, dtype=T.float64)),
                    lambda T: T.ones(3, requires_grad=True).set_(T.zeros(2)),
                    lambda T: T.ones(3).set_([1, 2])):
            outcomes.append(_outcome(bad, lib)[1])
        w = lib.ones(3, requires_grad=True)
        with lib.no_grad():
            w.set_(lib.zeros(2))
        outcomes.append((w.numpy(force=True) if lib is torch else w.numpy()).tolist())
        outcomes.append(w.is_leaf and w.requires_grad)
        results.append(outcomes)
    expected, got = results
    assert got[:4] == expected[:4] and got[7:] == expected[7:]
    for mine, theirs in zip(got[4:7], expected[4:7]):
        assert issubclass(mine, theirs), (mine, theirs)


def _gradient_penalty_run(seed: int) -> list:
    """A WGAN-GP style loop: create_graph=True, a penalty on the input gradient, Adam."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
    with tg.no_grad():
        for p in model.parameters():
            p.copy_(tg.tensor(rng.standard_normal(p.shape).astype(np.float32)))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(4):
        x = tg.tensor(rng.standard_normal((8, 4)).astype(np.float32), requires_grad=True)
        out = model(x)
        grad, = tg.autograd.grad(out.sum(), x, create_graph=True)
        loss = out.mean() + ((grad.norm(2, dim=1) - 1) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_double_backward_in_a_thread_pool_matches_sequential_runs():
    sequential = [_gradient_penalty_run(seed) for seed in range(3)]
    with ThreadPoolExecutor(3) as pool:
        parallel = list(pool.map(_gradient_penalty_run, range(3)))
    for one, other in zip(sequential, parallel):
        assert all(np.array_equal(a, b) for a, b in zip(one, other))


def test_set_with_a_source_that_requires_grad_is_refused_not_cut():
    """PyTorch records `x.set_(w)`; here it is not recorded, so sharing w's memory without
    its gradient path is refused with grad mode on (and allowed under no_grad)."""
    w = tg.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="source"):
        tg.ones(3).set_(w)
    x = tg.ones(3)
    with tg.no_grad():
        x.set_(w)
    assert x.shape == (2,) and not x.requires_grad
