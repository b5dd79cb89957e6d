"""optim.LBFGS: PyTorch's iterates on a float64 problem (hard-coded, and against PyTorch when
installed), convergence of a least-squares fit, and its errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg


def _run(lib, steps: int = 4) -> tuple[list[float], np.ndarray]:
    rng = np.random.default_rng(0)
    a, b, w0 = rng.normal(size=(20, 5)), rng.normal(size=20), rng.normal(size=5)
    w = lib.tensor(w0.copy(), requires_grad=True)
    x, y = lib.tensor(a), lib.tensor(b)
    optimizer = lib.optim.LBFGS([w], lr=0.5, max_iter=7, history_size=3)

    def closure():
        optimizer.zero_grad()
        loss = ((x @ w - y) ** 2).mean() + (w ** 4).sum() * 0.01
        loss.backward()
        return loss

    losses = [float(optimizer.step(closure).detach()) for _ in range(steps)]
    return losses, w.detach().numpy().copy()


def test_iterates_are_pytorchs() -> None:
    losses, w = _run(tg)
    # torch 2.13, same data and settings
    np.testing.assert_allclose(losses, [1.6864227481233993, 0.41692888642418446,
                                        0.4164122989822083, 0.4164122861690066], rtol=1e-9)
    np.testing.assert_allclose(w, [8.34868815e-01, 2.81808899e-01, -6.65455884e-04,
                                   -2.52353845e-01, 6.21775921e-02], rtol=1e-7)


def test_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _run(tg, 6), _run(torch, 6)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9, atol=1e-12)


def test_fits_a_linear_model_and_keeps_its_state() -> None:
    tg.manual_seed(0)
    model = tg.nn.Linear(3, 1)
    optimizer = tg.optim.LBFGS(model.parameters())
    x = tg.randn(16, 3)
    y = x @ tg.tensor([[1.0], [-2.0], [0.5]]) + 0.3

    def closure():
        optimizer.zero_grad()
        loss = tg.nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    first = optimizer.step(closure).item()
    for _ in range(2):
        last = optimizer.step(closure).item()
    assert first > 0.1 and last < 1e-8
    np.testing.assert_allclose(model.weight.detach().numpy(), [[1.0, -2.0, 0.5]], atol=1e-4)
    state = optimizer.state_dict()["state"][0]
    assert state["n_iter"] >= 2 and state["func_evals"] >= 3
    again = tg.optim.LBFGS(model.parameters())
    again.load_state_dict(optimizer.state_dict())
    assert again.state_dict()["state"][0]["n_iter"] == state["n_iter"]


def test_closure_clamping_through_data() -> None:
    image = tg.rand(1, 3, 4, 4, requires_grad=True)
    optimizer = tg.optim.LBFGS([image])

    def closure():
        image.data.clamp_(0, 1)  # the style-transfer tutorial's idiom
        optimizer.zero_grad()
        loss = ((image - 0.25) ** 2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    optimizer.step(closure)
    np.testing.assert_allclose(image.detach().numpy(), 0.25, atol=1e-5)


def test_errors() -> None:
    w = tg.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="needs a closure"):
        tg.optim.LBFGS([w]).step()
    optimizer = tg.optim.LBFGS([w], line_search_fn="backtracking")  # PyTorch: refused at step

    def closure():
        optimizer.zero_grad()
        loss = ((w - 1) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        optimizer.step(closure)
    with pytest.raises(ValueError, match="parameter groups"):
        tg.optim.LBFGS([{"params": [w]}, {"params": [tg.zeros(1, requires_grad=True)]}])


def _rosenbrock(lib) -> tuple[np.ndarray, int]:
    x = lib.tensor([-1.5, 2.0], dtype=lib.float64, requires_grad=True)
    optimizer = lib.optim.LBFGS([x], max_iter=100, line_search_fn="strong_wolfe",
                                history_size=10)
    calls = [0]

    def closure():
        calls[0] += 1
        optimizer.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(3):
        optimizer.step(closure)
    return x.detach().numpy().copy(), calls[0]


def test_strong_wolfe_line_search_solves_rosenbrock() -> None:
    x, calls = _rosenbrock(tg)
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-4)
    assert calls < 80  # torch 2.13: 52 closure calls, ending at (0.99998342, 0.9999669)


def test_strong_wolfe_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _rosenbrock(tg), _rosenbrock(torch)
    np.testing.assert_allclose(ours[0], theirs[0], atol=1e-10)
    assert ours[1] == theirs[1]  # the same closure calls: PyTorch's line search, step by step


def _iterates(lib, loss_of, start, steps=5, **settings):
    x = lib.tensor(start.copy(), requires_grad=True)
    optimizer = lib.optim.LBFGS([x], line_search_fn="strong_wolfe", **settings)

    def closure():
        optimizer.zero_grad()
        loss = loss_of(lib, x)
        loss.backward()
        return loss

    path = []
    for _ in range(steps):
        optimizer.step(closure)
        path.append(x.detach().numpy().copy())
    state = optimizer.state[x] if lib is tg else next(iter(optimizer.state.values()))
    return np.array(path), state["func_evals"], state["n_iter"]


def _rosenbrock_loss(lib, x):
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


def _tiny_net(lib, x):
    inputs = lib.tensor(np.linspace(-1, 1, 20).reshape(5, 4))
    hidden = lib.tanh(inputs @ x[:12].reshape(3, 4).T)
    return ((hidden @ x[12:15] - lib.tensor(np.arange(5.0))) ** 2).mean()


@pytest.mark.parametrize("loss_of, start, settings", [
    (lambda lib, x: 0.005 * (x ** 2).sum(), np.ones(2), dict(lr=1, max_iter=1, max_eval=10)),
    (_rosenbrock_loss, np.array([-1.2, 1.0, -0.5, 0.3]), dict(lr=1, max_iter=20)),
    (_rosenbrock_loss, np.array([-1.2, 1.0]), dict(lr=0.5, max_iter=7, history_size=3)),
    (_tiny_net, np.random.default_rng(0).normal(size=15) * 0.5, dict(lr=1, max_iter=10)),
], ids=["quadratic-extrapolates", "rosenbrock-4d", "rosenbrock-small-lr", "tiny-net"])
def test_strong_wolfe_iterates_and_counts_are_pytorchs(loss_of, start, settings) -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _iterates(tg, loss_of, start, **settings), _iterates(torch, loss_of, start,
                                                                        **settings)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-7)
    assert ours[1:] == theirs[1:]  # closure calls and iterations


def test_strong_wolfe_extrapolates_by_cubic_within_ten_times() -> None:
    # f = 0.005 |x|^2 from (1, 1): the first step t = 1 is too short; the cubic through t = 0
    # and t = 1 has its minimum at t = 100, clamped to 10 t: x = (0.9, 0.9) after 3 calls.
    path, calls, _ = _iterates(tg, lambda lib, x: 0.005 * (x ** 2).sum(), np.ones(2), steps=1,
                               lr=1, max_iter=1, max_eval=10)
    np.testing.assert_allclose(path[0], [0.9, 0.9], rtol=1e-12)
    assert calls == 3


@pytest.mark.parametrize("settings", [dict(lr=100), dict(lr=100, max_iter=1),
                                      dict(lr=1, max_eval=7), dict(lr=10, max_iter=5, max_eval=9)],
                         ids=["lr100", "lr100-one-iteration", "max-eval-7", "max-eval-9"])
def test_strong_wolfe_keeps_to_the_max_eval_budget_as_pytorch(settings) -> None:
    torch = pytest.importorskip("torch")
    start = np.array([-1.2, 1.0])
    (ours, our_calls, _), (theirs, their_calls, _) = (
        _iterates(lib, _rosenbrock_loss, start, steps=1, **settings) for lib in (tg, torch))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    assert our_calls == their_calls  # (PyTorch may pass max_eval by one: it checks after)
