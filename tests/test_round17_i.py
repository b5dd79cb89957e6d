"""Round 17 (i): distribution reprs as PyTorch's text, sample_shape / batch_shape as a tuple
(an int is a TypeError), expand on a user's Distribution subclass, randint's int bounds and
Generator.manual_seed's int seed, indexing a 0-d tensor (PyTorch's IndexError texts),
nn.Module's less common API and torch.nn.utils."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn

try:
    import torch
except ImportError:
    torch = None

D = tg.distributions


# ---- 1. distribution reprs --------------------------------------------------------------------
REPRS = {  # the constructor (written for either library) and PyTorch 2.13's repr
    "D.Normal(lib.zeros(3, 4), lib.ones(3, 4))":
        "Normal(loc: torch.Size([3, 4]), scale: torch.Size([3, 4]))",
    "D.Normal(0., 1.)": "Normal(loc: 0.0, scale: 1.0)",
    "D.Normal(lib.zeros(1), lib.ones(1))": "Normal(loc: tensor([0.]), scale: tensor([1.]))",
    "D.Beta(lib.tensor(2.), lib.tensor(3.))": "Beta()",
    "D.Chi2(lib.ones(2))": "Chi2()",
    "D.LogNormal(0., 1.)": "LogNormal()",
    "D.HalfNormal(lib.ones(2))": "HalfNormal()",
    "D.HalfCauchy(lib.ones(2))": "HalfCauchy()",
    "D.TransformedDistribution(D.Normal(0., 1.), [D.transforms.ExpTransform()])":
        "TransformedDistribution()",
    "D.Gumbel(lib.zeros(2), lib.ones(2))": "Gumbel(loc: torch.Size([2]), scale: torch.Size([2]))",
    "D.Bernoulli(logits=lib.zeros(2))": "Bernoulli(logits: torch.Size([2]))",
    "D.Independent(D.Normal(lib.zeros(3), 1.), 1)":
        "Independent(Normal(loc: torch.Size([3]), scale: torch.Size([3])), 1)",
    "D.MixtureSameFamily(D.Categorical(lib.ones(2)), D.Normal(lib.zeros(2), lib.ones(2)))":
        "MixtureSameFamily(\n  Categorical(probs: torch.Size([2]), logits: torch.Size([2])),\n"
        "  Normal(loc: torch.Size([2]), scale: torch.Size([2])))",
    "D.Wishart(lib.tensor(3.), scale_tril=lib.eye(2))":
        "Wishart(scale_tril: torch.Size([2, 2]), df: 3.0)",
}


@pytest.mark.parametrize("code", list(REPRS))
def test_distribution_repr_is_pytorchs(code):
    assert repr(eval(code, {"D": D, "lib": tg})) == REPRS[code]
    if torch is not None:
        assert repr(eval(code, {"D": torch.distributions, "lib": torch})) == REPRS[code]


# ---- 2. shapes and refusals -------------------------------------------------------------------
@pytest.mark.parametrize("call", ["sample", "rsample"])
def test_sample_shape_int_is_a_type_error(call):
    normal = D.Normal(0.0, 1.0)
    with pytest.raises(TypeError, match="'int' object is not iterable"):
        getattr(normal, call)(3)
    with pytest.raises(TypeError, match="'int' object is not iterable"):
        D.Categorical(tg.ones(3)).sample(4)
    with pytest.raises(TypeError, match="'int' object is not iterable"):
        D.Normal(tg.zeros(2), 1.0).expand(2)
    assert tuple(getattr(normal, call)([3]).shape) == (3,)
    assert tuple(normal.sample(tg.tensor([2, 3])).shape) == (2, 3)  # torch.Size(tensor) works
    if torch is not None:
        with pytest.raises(TypeError, match="'int' object is not iterable"):
            getattr(torch.distributions.Normal(0.0, 1.0), call)(3)


def test_expand_on_a_user_subclass_without_its_own_expand():
    class Plain(D.Distribution):
        arg_constraints: dict = {}

        def __init__(self):
            super().__init__(tg.Size([2]), validate_args=False)

    class MyNormal(D.Normal):
        def __init__(self, loc):
            super().__init__(loc, 1.0)

    class SameInit(D.Normal):
        pass

    with pytest.raises(NotImplementedError):
        Plain().expand((3, 2))
    with pytest.raises(NotImplementedError, match="must also define a custom .expand"):
        MyNormal(tg.zeros(2)).expand((3, 2))
    expanded = SameInit(tg.zeros(2), 1.0).expand((3, 2))
    assert type(expanded) is SameInit and tuple(expanded.batch_shape) == (3, 2)
    assert tuple(D.Normal(tg.zeros(2), 1.0).expand((3, 2)).loc.shape) == (3, 2)
    if torch is not None:
        class TorchPlain(torch.distributions.Distribution):
            arg_constraints: dict = {}

            def __init__(self):
                super().__init__(torch.Size([2]), validate_args=False)

        with pytest.raises(NotImplementedError):
            TorchPlain().expand((3, 2))


@pytest.mark.parametrize("args", [(0, 5.0), (5.0,), (0.0, 5), (True, 3), (tg.tensor(5.0),)])
def test_randint_bounds_must_be_ints(args):
    with pytest.raises(TypeError, match="randint"):
        tg.randint(*args, (3,))
    if torch is not None:
        targs = tuple(torch.tensor(5.0) if isinstance(a, tg.Tensor) else a for a in args)
        with pytest.raises(TypeError):
            torch.randint(*targs, (3,))


def test_randint_accepts_int_like_bounds():
    assert tuple(tg.randint(np.int64(5), (3,)).shape) == (3,)
    assert tuple(tg.randint(tg.tensor(5), (3,)).shape) == (3,)
    assert tg.randint(2, 3, (4,)).tolist() == [2, 2, 2, 2]
    with pytest.raises(TypeError, match="randint"):
        tg.randint_like(tg.zeros(2), 5.0)


@pytest.mark.parametrize("seed", [3.0, True, "3", "tensor"])
def test_generator_manual_seed_needs_an_int(seed):
    seed_tg = tg.tensor(3) if seed == "tensor" else seed
    with pytest.raises(RuntimeError, match="manual_seed expected a long"):
        tg.Generator().manual_seed(seed_tg)
    with pytest.raises(RuntimeError, match="manual_seed expected a long"):
        tg.default_generator.manual_seed(seed_tg)
    if torch is not None:
        with pytest.raises(RuntimeError, match="manual_seed expected a long"):
            torch.Generator().manual_seed(torch.tensor(3) if seed == "tensor" else seed)


def test_module_manual_seed_still_converts_with_int():
    assert tg.manual_seed(tg.tensor(3)).initial_seed() == 3
    assert tg.manual_seed(3.5).initial_seed() == 3
    assert tg.Generator().manual_seed(-1).initial_seed() == 2**64 - 1


# ---- 3. indexing a 0-d tensor ---------------------------------------------------------------
ITEM = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
        "in C++ to convert a 0-dim tensor to a number")
ZERO_D = [  # (index, PyTorch 2.13's IndexError text)
    (0, ITEM), (np.int64(0), ITEM),
    (1, "index 1 is out of bounds for dimension 0 with size 0"),
    (-1, "index -1 is out of bounds for dimension 0 with size 0"),
    (slice(None), "slice() cannot be applied to a 0-dim tensor."),
    ((0,), "too many indices for tensor of dimension 0"),
    ((slice(None),), "too many indices for tensor of dimension 0"),
    ((None, 0), "too many indices for tensor of dimension 0"),
    ((Ellipsis, 0), "too many indices for tensor of dimension 0"),
    ([0], "too many indices for tensor of dimension 0"),
    ("tensor", "too many indices for tensor of dimension 0"),
]


@pytest.mark.parametrize(("index", "text"), ZERO_D)
def test_indexing_a_0d_tensor_is_pytorchs_index_error(index, text):
    x = tg.tensor(3.0)
    key = tg.tensor(0) if isinstance(index, str) else index
    with pytest.raises(IndexError) as got:
        x[key]
    assert str(got.value) == text
    with pytest.raises(IndexError) as got:
        x[key] = 5.0
    assert str(got.value) == text and x.item() == 3.0
    if torch is not None:
        tkey = torch.tensor(0) if isinstance(index, str) else index
        with pytest.raises(IndexError) as got:
            torch.tensor(3.0)[tkey]
        assert str(got.value) == text


def test_valid_0d_indices_and_other_dims():
    x = tg.tensor(3.0)
    assert x[None].shape == (1,) and x[...].item() == 3.0 and x[()].item() == 3.0
    assert x[True].shape == (1,) and x[False].shape == (0,)
    with pytest.raises(IndexError, match=r"^too many indices for tensor of dimension 1$"):
        tg.zeros(3)[0, 0]
    with pytest.raises(IndexError, match="out of bounds for dimension 0 with size 3"):
        tg.zeros(3)[5]
    with pytest.raises(IndexError, match=r"select\(\) cannot be applied to a 0-dim tensor"):
        x.select(0, 0)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dim"):
        x.unbind()
