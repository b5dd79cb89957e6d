"""PyTorch's `torch.distributions` on tinygrad_np: Normal, Uniform, Bernoulli, Categorical,
MultivariateNormal, Independent, Exponential, Gamma, Beta, Dirichlet, Poisson, LogNormal,
Laplace, Cauchy, HalfNormal, OneHotCategorical, Multinomial, MixtureSameFamily, StudentT,
Chi2, FisherSnedecor, VonMises, Gumbel, HalfCauchy, Pareto, Weibull, InverseGamma,
Kumaraswamy, Geometric, Binomial, NegativeBinomial, ContinuousBernoulli, RelaxedBernoulli,
RelaxedOneHotCategorical, OneHotCategoricalStraightThrough, LowRankMultivariateNormal,
LogisticNormal, the transforms (more_transforms: Power, Softmax, StickBreaking, ...), the
`biject_to` / `transform_to` registries and kl_divergence.

    m = Categorical(probs)            # REINFORCE
    action = m.sample()
    loss = -m.log_prob(action) * reward
    loss.backward()

log_prob, entropy, kl_divergence and rsample are compositions of Tensor ops, so their
gradients are the engine's. Samples draw from the library's generator (`tg.manual_seed`),
so they are reproducible but not the numbers PyTorch draws.
"""

import sys as _sys
import types as _types

from tinygrad_np.distributions import (  # noqa: F401
    constraints,
    cross_kl,
    families as _families,
    kl,
    more_kl,
    transforms,
    utils,
)
from tinygrad_np.distributions.distribution import Distribution
from tinygrad_np.distributions.exp_family import ExponentialFamily
from tinygrad_np.distributions.families import (
    Bernoulli,
    Categorical,
    Independent,
    MultivariateNormal,
    Normal,
    Uniform,
)
from tinygrad_np.distributions.gamma_family import (
    Beta,
    Dirichlet,
    Exponential,
    Gamma,
    LogNormal,
    Poisson,
)
from tinygrad_np.distributions.generalized_pareto import GeneralizedPareto
from tinygrad_np.distributions.kl import kl_divergence, register_kl
from tinygrad_np.distributions.lkj import LKJCholesky
from tinygrad_np.distributions.matrix_transforms import (
    CorrCholeskyTransform,
    CumulativeDistributionTransform,
    PositiveDefiniteTransform,
)
from tinygrad_np.distributions.mixture import (
    Cauchy,
    HalfNormal,
    Laplace,
    MixtureSameFamily,
    Multinomial,
    OneHotCategorical,
)
from tinygrad_np.distributions.more_families import (
    Binomial,
    Chi2,
    ContinuousBernoulli,
    ExpRelaxedCategorical,
    FisherSnedecor,
    Geometric,
    Gumbel,
    HalfCauchy,
    InverseGamma,
    Kumaraswamy,
    LogisticNormal,
    LogitRelaxedBernoulli,
    LowRankMultivariateNormal,
    NegativeBinomial,
    OneHotCategoricalStraightThrough,
    Pareto,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
    StudentT,
    VonMises,
    Weibull,
)
from tinygrad_np.distributions.more_transforms import (
    AbsTransform,
    CatTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PowerTransform,
    ReshapeTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StackTransform,
    StickBreakingTransform,
    biject_to,
    identity_transform,
    transform_to,
)
from tinygrad_np.distributions.transforms import (
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    SigmoidTransform,
    TanhTransform,
    Transform,
    TransformedDistribution,
)
from tinygrad_np.distributions.wishart import Wishart

__all__ = ["AffineTransform", "ComposeTransform", "ExpTransform", "SigmoidTransform",
           "TanhTransform", "Transform", "TransformedDistribution", "transforms",
           "Bernoulli", "Beta", "Categorical", "Cauchy", "Dirichlet", "Distribution",
           "Exponential", "ExponentialFamily", "Gamma", "HalfNormal", "Independent", "Laplace",
           "LogNormal", "MixtureSameFamily", "Multinomial", "MultivariateNormal", "Normal",
           "OneHotCategorical", "Poisson", "Uniform", "constraints", "kl", "kl_divergence",
           "register_kl",
           "AbsTransform", "CatTransform", "IndependentTransform", "LowerCholeskyTransform",
           "PowerTransform", "ReshapeTransform", "SoftmaxTransform", "SoftplusTransform",
           "StackTransform", "StickBreakingTransform", "biject_to", "identity_transform",
           "transform_to", "CorrCholeskyTransform", "CumulativeDistributionTransform",
           "PositiveDefiniteTransform", "Binomial", "Chi2", "ContinuousBernoulli",
           "ExpRelaxedCategorical", "FisherSnedecor", "GeneralizedPareto", "Geometric", "Gumbel",
           "HalfCauchy", "InverseGamma", "Kumaraswamy",
           "LogisticNormal", "LogitRelaxedBernoulli", "LowRankMultivariateNormal",
           "NegativeBinomial", "OneHotCategoricalStraightThrough", "Pareto", "RelaxedBernoulli",
           "RelaxedOneHotCategorical", "StudentT", "VonMises", "Weibull", "LKJCholesky",
           "Wishart"]

# `distributions.transforms` holds every transform, as PyTorch's module (the newer ones are
# defined in more_transforms, which builds on transforms.py)
for _name in ("AbsTransform", "CatTransform", "IndependentTransform", "LowerCholeskyTransform",
              "PowerTransform", "ReshapeTransform", "SoftmaxTransform", "SoftplusTransform",
              "StackTransform", "StickBreakingTransform", "identity_transform",
              "CorrCholeskyTransform", "CumulativeDistributionTransform",
              "PositiveDefiniteTransform"):
    setattr(transforms, _name, globals()[_name])
transforms.__all__ = ["AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform",
                      "CorrCholeskyTransform", "CumulativeDistributionTransform",
                      "ExpTransform", "IndependentTransform", "LowerCholeskyTransform",
                      "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform",
                      "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform",
                      "StackTransform", "StickBreakingTransform", "TanhTransform", "Transform",
                      "identity_transform"]

from tinygrad_np.distributions import constraint_registry  # noqa: E402, F401  (a submodule)

# PyTorch's module paths for each family (`from torch.distributions.normal import Normal`).
_PATHS = {"normal": "Normal", "categorical": "Categorical", "bernoulli": "Bernoulli",
          "beta": "Beta", "cauchy": "Cauchy", "dirichlet": "Dirichlet",
          "exponential": "Exponential", "gamma": "Gamma", "half_normal": "HalfNormal",
          "independent": "Independent", "laplace": "Laplace", "log_normal": "LogNormal",
          "mixture_same_family": "MixtureSameFamily", "poisson": "Poisson",
          "multinomial": "Multinomial",
          "multivariate_normal": "MultivariateNormal", "one_hot_categorical": "OneHotCategorical",
          "uniform": "Uniform", "transformed_distribution": "TransformedDistribution",
          "studentT": "StudentT", "chi2": "Chi2", "fishersnedecor": "FisherSnedecor",
          "von_mises": "VonMises", "gumbel": "Gumbel", "half_cauchy": "HalfCauchy",
          "pareto": "Pareto", "weibull": "Weibull", "inverse_gamma": "InverseGamma",
          "kumaraswamy": "Kumaraswamy", "geometric": "Geometric", "binomial": "Binomial",
          "negative_binomial": "NegativeBinomial", "continuous_bernoulli": "ContinuousBernoulli",
          "relaxed_bernoulli": "RelaxedBernoulli",
          "relaxed_categorical": "RelaxedOneHotCategorical",
          "lowrank_multivariate_normal": "LowRankMultivariateNormal",
          "logistic_normal": "LogisticNormal", "exp_family": "ExponentialFamily",
          "lkj_cholesky": "LKJCholesky", "wishart": "Wishart"}
for _path, _name in _PATHS.items():
    _module = _types.ModuleType(f"{__name__}.{_path}")
    _module.__dict__[_name] = globals()[_name]
    _sys.modules[_module.__name__] = _module
    globals()[_path] = _module  # (`torch.distributions.normal` is an attribute too)
_sys.modules[f"{__name__}.multivariate_normal"].__dict__.update(  # (its private helpers)
    _batch_mahalanobis=_families._batch_mahalanobis, _batch_mv=_families._batch_mv)
for _path, _name in (("one_hot_categorical", "OneHotCategoricalStraightThrough"),
                     ("relaxed_bernoulli", "LogitRelaxedBernoulli"),
                     ("relaxed_categorical", "ExpRelaxedCategorical")):  # (PyTorch's 2nd names)
    _sys.modules[f"{__name__}.{_path}"].__dict__[_name] = globals()[_name]
