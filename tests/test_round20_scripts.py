"""Round 20, client scripts (round 3): more ordinary PyTorch programs with only the import
changed.

Each script in tests/scripts_round20/ is plain PyTorch (a ViT with norm_first encoder
layers, a ResNet with a hand-written augmentation pipeline, ESPCN with PixelShuffle,
fast-neural-style, Forward-Forward, a GRU seq2seq with beam search, a CLIP-style dual
encoder, DeepSets/graph networks with segment reductions, EM for a Gaussian mixture, Bayes
by Backprop, a tabular model with embeddings in a ModuleDict, quantile regression, a siamese
LSTM over packed sequences, a tiny NeRF, a DDIM sampler, actor-critic with Categorical, a
tied-weight autoencoder with clipping, Newton's method with autograd.functional, TransE,
FGSM/PGD adversarial training, a Gumbel-softmax VAE, an energy-based model with Langevin
sampling, a Beta policy with Gamma and Dirichlet noise, Poisson / negative-binomial GLMs)
and records `losses` and `result`. It runs once
under PyTorch and once with its import lines rewritten to tinygrad_np's; `torch.manual_seed`
gives PyTorch's own random numbers here, so default initialisation, randperm, dropout and
sampling agree without copying weights: loss trajectories, final metrics and printed lines
must match.

Then regression tests for what the scripts found, against PyTorch or fixed values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from script_checks import check_matches_pytorch, check_pure_pytorch, check_runs_ported

import tinygrad_np as tg

SCRIPTS = sorted((Path(__file__).parent / "scripts_round20").glob("*.py"))


def test_enough_scripts_and_they_are_pure_pytorch():
    check_pure_pytorch(SCRIPTS, 12)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_runs_ported(path, capsys):
    check_runs_ported(path)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_matches_pytorch(path, capsys):
    check_matches_pytorch(path, capsys)


# ------------------------------------------------- grad_fn names of outputs scripts print
# (expression, PyTorch 2.13's grad_fn.name(), written out from its output). `print(model(x))`,
# `print(logits[0])`, `print(h.view(-1))` show these after `grad_fn=`.
NODE_NAMES = [
    ("F.linear(m, w, b)", "AddmmBackward0"), ("F.linear(m, w)", "MmBackward0"),
    ("F.linear(m, w, torch.ones(4))", "AddmmBackward0"),  # (a constant bias is a bias)
    ("F.linear(x3, w, b)", "ViewBackward0"), ("F.linear(x3, w)", "UnsafeViewBackward0"),
    ("F.linear(v, w, b)", "ViewBackward0"), ("F.linear(v, w)", "SqueezeBackward4"),
    ("nn.Linear(3, 4)(m)", "AddmmBackward0"), ("nn.Linear(3, 4)(x3)", "ViewBackward0"),
    ("nn.Linear(3, 4, bias=False)(m)", "MmBackward0"),
    ("m @ w.t()", "MmBackward0"), ("x3 @ w.t()", "UnsafeViewBackward0"),
    ("v @ w.t()", "SqueezeBackward4"), ("w @ v", "MvBackward0"), ("v @ v", "DotBackward0"),
    ("x3 @ x3.transpose(1, 2)", "UnsafeViewBackward0"), ("m @ x3.mT", "CloneBackward0"),
    ("torch.bmm(x3, x3.transpose(1, 2))", "BmmBackward0"), ("m.mm(w.t())", "MmBackward0"),
    ("torch.matmul(m, v)", "MvBackward0"), ("torch.addmm(b, m, w.t())", "AddmmBackward0"),
    ("m[0]", "SelectBackward0"), ("m[0, 1]", "SelectBackward0"), ("m[:, 1]", "SelectBackward0"),
    ("m[-1]", "SelectBackward0"), ("m[..., 0]", "SelectBackward0"), ("m[1:]", "SliceBackward0"),
    ("m[:]", "SliceBackward0"), ("m[0, 1:]", "SliceBackward0"), ("m[:, :2]", "SliceBackward0"),
    ("m[:, -3:]", "SliceBackward0"), ("m[::2]", "SliceBackward0"), ("m[:, :]", "AliasBackward0"),
    ("m[:, 0:3]", "AliasBackward0"), ("m[:, :99]", "AliasBackward0"), ("m[...]", "AliasBackward0"),
    ("m[None]", "UnsqueezeBackward0"), ("m[:, None]", "UnsqueezeBackward0"),
    ("m[0, None]", "UnsqueezeBackward0"), ("m[..., None, 0]", "SelectBackward0"),
    ("m[torch.tensor(1)]", "SelectBackward0"), ("m[torch.tensor([1, 0])]", "IndexBackward0"),
    ("m[[0, 1]]", "IndexBackward0"), ("m[m > 0.3]", "IndexBackward0"),
    ("m[:, torch.tensor([2, 0])]", "IndexBackward0"), ("m[True]", "IndexBackward0"),
    ("x3[0, :, torch.tensor([1, 2])]", "IndexBackward0"), ("m.select(1, 0)", "SelectBackward0"),
    ("m.narrow(1, 0, 2)", "SliceBackward0"),
    ("m.view(-1)", "ViewBackward0"), ("m.reshape(3, 2)", "ViewBackward0"),
    ("m.flatten()", "ViewBackward0"), ("m.view_as(m)", "ViewBackward0"),
    ("m.unflatten(1, (3, 1))", "ViewBackward0"), ("m.unsqueeze(0)", "UnsqueezeBackward0"),
    ("m[None].squeeze()", "SqueezeBackward0"), ("m[None].squeeze(0)", "SqueezeBackward1"),
    ("m[None].squeeze((0, 1))", "SqueezeBackward2"), ("m.permute(1, 0)", "PermuteBackward0"),
    ("m.movedim(0, 1)", "PermuteBackward0"), ("m.t()", "TBackward0"), ("m.T", "PermuteBackward0"),
    ("m.transpose(0, 1)", "TransposeBackward0"), ("x3.mT", "TransposeBackward0"),
    ("m.gather(1, torch.tensor([[0, 1], [2, 0]]))", "GatherBackward0"),
    ("m.index_select(1, torch.tensor([0]))", "IndexSelectBackward0"),
    ("m.split(1)[0]", "SplitBackward0"), ("m.split([1, 2], 1)[1]", "SplitWithSizesBackward0"),
    ("m.chunk(2)[1]", "SplitBackward0"), ("m.unbind()[0]", "UnbindBackward0"),
    ("m.topk(2)[0]", "TopkBackward0"), ("m.sort(1)[0]", "SortBackward0"),
    ("m.max(1)[0]", "MaxBackward0"), ("m.min(1).values", "MinBackward0"),
    ("m.max()", "MaxBackward1"), ("m.min()", "MinBackward1"), ("m.median(1)[0]", "MedianBackward1"),
    ("m.clamp(0, 0.5)", "ClampBackward1"), ("m.clamp(min=0)", "ClampBackward1"),
    ("m.clip(0, 1)", "ClampBackward1"),
    ("m.clamp(torch.zeros(3), torch.ones(3))", "ClampBackward0"),
    ("m.clamp_min(0.3)", "ClampMinBackward0"), ("m.clamp_max(0.3)", "ClampMaxBackward0"),
    ("F.hardtanh(m)", "HardtanhBackward0"), ("m.flip(0)", "FlipBackward0"),
    ("m.repeat(2, 1)", "RepeatBackward0"), ("m.roll(1, 1)", "RollBackward0"),
    ("m.masked_fill(m > 0.3, 0)", "MaskedFillBackward0"), ("m.tril()", "TrilBackward0"),
    ("m.triu()", "TriuBackward0"), ("m.std()", "StdBackward0"), ("m.var(1)", "VarBackward0"),
    ("m.logsumexp(1)", "LogsumexpBackward0"), ("F.silu(m)", "SiluBackward0"),
    ("F.mish(m)", "MishBackward0"), ("m.diagonal()", "DiagonalBackward0"),
    ("m.trace()", "TraceBackward0"), ("m.frac()", "FracBackward0"),
    ("m.lerp(m * 2, 0.5)", "LerpBackward0"), ("m.nansum()", "NansumBackward0"),
    ("F.layer_norm(m, (3,))", "NativeLayerNormBackward0"),
    ("nn.LayerNorm(3)(x3)", "NativeLayerNormBackward0"),
    ("nn.BatchNorm1d(3)(m)", "NativeBatchNormBackward0"),
    ("nn.BatchNorm1d(3).eval()(m)", "NativeBatchNormBackward0"),
    ("nn.GroupNorm(1, 2)(x3.view(1, 2, 3))", "NativeGroupNormBackward0"),
    ("nn.InstanceNorm1d(2)(x3.view(1, 2, 3))", "ViewBackward0"),
    ("torch.cat([m, m])", "CatBackward0"), ("torch.stack([m, m])", "StackBackward0"),
    ("m.cummax(1)[0]", "CummaxBackward0"), ("m.cummin(0).values", "CumminBackward0"),
    ("m.kthvalue(1)[0]", "KthvalueBackward0"), ("torch.addcmul(m, m, m)", "AddcmulBackward0"),
    ("torch.addcdiv(m, m, m + 1)", "AddcdivBackward0"), ("m.median()", "MedianBackward0"),
    ("torch.median(m)", "MedianBackward0"), ("torch.median(m, 1)[0]", "MedianBackward1"),
]


def _namespace(lib) -> dict:
    x = lib.tensor([0.2, 0.4, 0.6, 0.3, 0.5, 0.7], requires_grad=True)
    weight = lib.tensor([[0.1, -0.2, 0.3]] * 4, requires_grad=True)
    return {"torch": lib, "nn": lib.nn, "F": lib.nn.functional, "m": x.view(2, 3) * 1,
            "v": x[:3] * 1, "x3": x.view(1, 2, 3) * 1, "w": weight,
            "b": lib.zeros(4, requires_grad=True)}


@pytest.mark.parametrize(("expression", "name"), NODE_NAMES, ids=[e for e, _ in NODE_NAMES])
def test_grad_fn_names_as_pytorch_prints_them(expression, name):
    out = eval(expression, _namespace(tg))  # noqa: S307  (our own table)
    assert out.grad_fn.name() == name
    assert f"grad_fn=<{name}>" in repr(out)
    torch = pytest.importorskip("torch")
    assert eval(expression, _namespace(torch)).grad_fn.name() == name  # noqa: S307


def test_naming_a_result_never_renames_its_input():
    """A method that hands its input back (`flatten` of one dim, `t()` of a vector, `roll` by
    nothing of an empty axis) leaves the input's node as it was."""
    out = tg.nn.Linear(3, 4)(_namespace(tg)["m"])
    assert out.flatten(1, 1) is out and out.grad_fn.name() == "AddmmBackward0"
    vector = tg.ones(3, requires_grad=True) * 2
    assert vector.t() is vector and vector.grad_fn.name() == "MulBackward0"
    empty = tg.ones(0, 2, requires_grad=True) * 2
    assert empty.roll(1, 0) is empty and empty.grad_fn.name() == "MulBackward0"
    assert out[0].grad_fn.name() == "SelectBackward0"


def test_printed_model_output_matches_pytorch():
    """The first print of many tutorials: a model's output on a batch, and one row of it."""
    def printed(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
        out = model(lib.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]))
        return [str(out), str(out[0]), str(out.view(-1)), str(out.t()),
                str(out.unsqueeze(0).shape), str(out.argmax(1))]

    ours = printed(tg)
    assert ours[0].endswith("grad_fn=<AddmmBackward0>)")
    assert ours[1].endswith("grad_fn=<SelectBackward0>)")
    torch = pytest.importorskip("torch")
    assert ours == printed(torch)


# ------------------------------------------------- printed distributions
def _printed_matrix_forms(lib) -> list[str]:
    d = lib.distributions
    shown = []
    mvn = d.MultivariateNormal(lib.zeros(2), lib.eye(2))
    mvn.rsample((2,)), mvn.entropy(), mvn.log_prob(lib.ones(2)), mvn.variance, mvn.stddev
    d.kl_divergence(mvn, d.MultivariateNormal(lib.ones(2), scale_tril=lib.eye(2)))
    shown.append(repr(mvn))  # the methods read the factor without showing it
    assert mvn.scale_tril is not None
    shown.append(repr(mvn))  # reading it shows it
    by_factor = d.MultivariateNormal(lib.zeros(2), scale_tril=2 * lib.eye(2))
    by_factor.log_prob(lib.ones(2))
    shown.append(repr(by_factor))
    assert by_factor.precision_matrix is not None
    shown.append(repr(by_factor))
    by_precision = d.MultivariateNormal(lib.zeros(2), precision_matrix=2 * lib.eye(2))
    by_precision.sample(), by_precision.entropy()
    shown.append(f"{by_precision} {by_precision.variance}")
    wishart = d.Wishart(lib.tensor(3.0), covariance_matrix=lib.eye(2))
    wishart.log_prob(lib.eye(2)), wishart.entropy(), wishart.mean
    shown.append(repr(wishart))
    return shown


def test_matrix_distributions_print_the_forms_given_or_read():
    """A MultivariateNormal from a covariance printed `scale_tril` too once any method had
    run (the methods cached the Cholesky factor under its public name); PyTorch shows a form
    only once given or read."""
    ours = _printed_matrix_forms(tg)
    assert ours[0] == ("MultivariateNormal(loc: torch.Size([2]), covariance_matrix: "
                       "torch.Size([2, 2]))")
    assert ours[1].endswith("scale_tril: torch.Size([2, 2]))")
    assert ours[3] == ("MultivariateNormal(loc: torch.Size([2]), precision_matrix: "
                       "torch.Size([2, 2]), scale_tril: torch.Size([2, 2]))")
    assert ours[5] == "Wishart(covariance_matrix: torch.Size([2, 2]), df: 3.0)"
    torch = pytest.importorskip("torch")
    assert ours == _printed_matrix_forms(torch)


# ------------------------------------------------- PyTorch's gamma, Poisson and binomial draws
GAMMA_DRAWS = [  # (expression, seed); each script draws, then draws a uniform after it
    ("torch._standard_gamma(torch.tensor([0.3, 1.0, 2.5, 7.0, 0.05, 30.0]))", 0),
    ("torch._standard_gamma(torch.tensor([0.3, 1.0, 2.5], dtype=torch.float64))", 1),
    ("D.Gamma(torch.tensor([2.0, 0.5]), torch.tensor([1.0, 3.0])).sample((3,))", 2),
    ("D.Dirichlet(torch.tensor([1.0, 2.0, 3.0])).sample((4,))", 3),
    ("D.Dirichlet(torch.tensor([0.1, 0.2], dtype=torch.float64)).sample((3,))", 4),
    ("D.Beta(torch.tensor([0.5, 2.0]), torch.tensor([0.5, 1.0])).rsample((2,))", 5),
    ("D.Chi2(torch.tensor(3.0)).sample((4,))", 6),
    ("D.StudentT(torch.tensor(3.0), 1.0, 2.0).sample((4,))", 7),
    ("D.FisherSnedecor(torch.tensor(3.0), torch.tensor(5.0)).sample((2,))", 8),
    ("D.Wishart(torch.tensor(4.0), torch.eye(2)).sample()", 9),
    ("D.Wishart(torch.tensor([4.0, 5.0]), torch.eye(2)).sample((3,))", 10),
    ("D.LKJCholesky(3, 1.0).sample()", 11),
    ("torch.cat([D.Gamma(2.0, 1.0).sample((2,)), torch.randn(3)])", 12),  # the normal cache
    ("torch.poisson(torch.tensor([0.5, 3.0, 12.0, 0.0, 50.0, 9.99, 200.0]))", 13),
    ("D.Poisson(torch.tensor([4.0, 15.0])).sample((5,))", 14),
    ("D.Poisson(torch.tensor(2.5, dtype=torch.float64)).sample((3,))", 15),
    ("D.NegativeBinomial(torch.tensor(5.0), logits=torch.tensor([0.3, -1.0])).sample((4,))", 16),
    ("torch.binomial(torch.tensor([10., 100., 3., 0., 50., 250.]), "
     "torch.tensor([0.3, 0.2, 0.9, 0.5, 0.7, 0.01]))", 17),  # inversion, BTRS, failures
    ("D.Binomial(20, torch.tensor([0.1, 0.5, 0.95])).sample((4,))", 18),
    ("torch.binomial(torch.tensor([30., 7.], dtype=torch.float64), "
     "torch.tensor([0.4, 0.6], dtype=torch.float64))", 19),
]


def _gamma_draw(lib, expression: str, seed: int) -> tuple[np.ndarray, float]:
    import warnings

    lib.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (Wishart's "Singular sample detected.")
        value = eval(expression, {"torch": lib, "D": lib.distributions})  # noqa: S307
    return value.numpy().astype(np.float64), lib.rand(1).item()


@pytest.mark.parametrize(("expression", "seed"), GAMMA_DRAWS, ids=[e for e, _ in GAMMA_DRAWS])
def test_gamma_family_draws_are_pytorchs(expression, seed):
    """Gamma draws (and the Dirichlet, Beta, Chi2, StudentT, Wishart ones made of them) came
    from NumPy's gamma sampler: not PyTorch's numbers, and the stream after them moved on
    differently. Now PyTorch's sampler, to float rounding, and the same stream after."""
    ours, after = _gamma_draw(tg, expression, seed)
    assert np.all(np.isfinite(ours))
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    theirs, their_after = _gamma_draw(torch, expression, seed)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)
    assert after == their_after


def test_gamma_draws_have_the_gamma_moments():
    """Independent of PyTorch: Gamma(alpha, 1) has mean alpha and variance alpha (alpha < 1
    takes the boosted branch), and Dirichlet rows sum to 1 with means alpha / sum(alpha)."""
    tg.manual_seed(0)
    alpha = tg.tensor([0.4, 3.0])
    draws = tg._standard_gamma(alpha.expand(20000, 2)).numpy().astype(np.float64)
    np.testing.assert_allclose(draws.mean(0), [0.4, 3.0], rtol=0.04)
    np.testing.assert_allclose(draws.var(0), [0.4, 3.0], rtol=0.08)
    rows = tg.distributions.Dirichlet(tg.tensor([1.0, 2.0, 5.0])).sample((5000,)).numpy()
    np.testing.assert_allclose(rows.sum(1), 1, atol=1e-6)
    np.testing.assert_allclose(rows.mean(0), [0.125, 0.25, 0.625], atol=0.01)


def test_poisson_counts_have_the_poisson_moments():
    """Independent of PyTorch: both of its branches (product of uniforms below a rate of 10,
    transformed rejection above) give mean and variance equal to the rate."""
    tg.manual_seed(0)
    counts = tg.poisson(tg.tensor([0.7, 4.0, 10.0, 60.0]).expand(20000, 4)).numpy()
    assert np.array_equal(counts, np.round(counts)) and counts.min() >= 0
    np.testing.assert_allclose(counts.mean(0), [0.7, 4.0, 10.0, 60.0], rtol=0.03)
    np.testing.assert_allclose(counts.var(0), [0.7, 4.0, 10.0, 60.0], rtol=0.06)


def test_binomial_counts_have_the_binomial_moments():
    """Independent of PyTorch: inversion (n p < 10), BTRS (n p >= 10) and the failures'
    branch (p > 1/2) each give mean n p and variance n p (1 - p)."""
    tg.manual_seed(0)
    n, p = np.array([8.0, 200.0, 60.0]), np.array([0.3, 0.25, 0.8])
    counts = tg.binomial(tg.tensor(n).expand(20000, 3), tg.tensor(p).expand(20000, 3)).numpy()
    assert np.array_equal(counts, np.round(counts)) and (counts <= n).all() and counts.min() >= 0
    np.testing.assert_allclose(counts.mean(0), n * p, rtol=0.02)
    np.testing.assert_allclose(counts.var(0), n * p * (1 - p), rtol=0.06)


def test_wishart_redraws_and_warns_as_pytorch():
    """PyTorch 2.13's Wishart.rsample checks `support.check(sample)` without negating it
    first, so valid draws count as singular: it warns and draws them again. The same here
    (the numbers, and the stream after them, are PyTorch's); the samples stay valid."""
    tg.manual_seed(0)
    wishart = tg.distributions.Wishart(tg.tensor(5.0), tg.eye(3))
    with pytest.warns(UserWarning, match="Singular sample detected"):
        sample = wishart.rsample((4,))
    assert np.all(np.linalg.eigvalsh(sample.numpy()) > 0)
