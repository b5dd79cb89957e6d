"""Round 17 (i): distribution reprs as PyTorch's text, sample_shape / batch_shape as a tuple
(an int is a TypeError), expand on a user's Distribution subclass, randint's int bounds and
Generator.manual_seed's int seed, indexing a 0-d tensor (PyTorch's IndexError texts),
nn.Module's less common API and torch.nn.utils."""
from __future__ import annotations

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
    assert tuple(normal.sample((tg.tensor(2),)).shape) == (2,)  # so does a 0-d int tensor
    with pytest.raises(TypeError, match="iterable of 'int'"):
        normal.sample((2.0,))
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


# ---- 4. Module API ----------------------------------------------------------------------------
def test_zero_grad_keep_detaches_the_same_gradient_tensor():
    m = nn.Linear(2, 2)
    m.weight.grad = tg.ones(2, 2).requires_grad_() * 2  # a gradient inside a graph
    grad = m.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is grad and grad.grad_fn is None and not grad.requires_grad
    assert grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    if torch is not None:
        tm = torch.nn.Linear(2, 2)
        tm.weight.grad = torch.ones(2, 2).requires_grad_() * 2
        tm.zero_grad(set_to_none=False)
        assert tm.weight.grad.grad_fn is None and not tm.weight.grad.requires_grad


def test_to_empty_needs_the_device_keyword():
    with pytest.raises(TypeError, match="device"):
        nn.Linear(2, 2).to_empty()
    m = nn.Linear(2, 2)
    assert m.to_empty(device="cpu") is m and tuple(m.weight.shape) == (2, 2)
    if torch is not None:
        with pytest.raises(TypeError, match="device"):
            torch.nn.Linear(2, 2).to_empty()


def test_tensor_hook_handle_is_a_removable_handle():
    from tinygrad_np.utils.hooks import RemovableHandle

    x = tg.ones(2, requires_grad=True)
    handle = x.register_hook(lambda g: g * 2)
    assert isinstance(handle, RemovableHandle)
    assert isinstance(nn.Identity().register_forward_hook(lambda *a: None), RemovableHandle)
    assert isinstance(x.register_post_accumulate_grad_hook(lambda t: None), RemovableHandle)
    assert isinstance((x * 2).grad_fn.register_hook(lambda gi, go: None), RemovableHandle)
    handle.remove()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


# ---- 5. torch.nn.utils ------------------------------------------------------------------------
class _Double(nn.Module):
    def __init__(self, calls):
        super().__init__()
        self.calls = calls

    def forward(self, x):
        self.calls.append(1)
        return x * 2


def test_parametrize_cached_computes_each_tensor_once():
    P = nn.utils.parametrize
    calls = []
    m = nn.Linear(2, 2)
    P.register_parametrization(m, "weight", _Double(calls))
    calls.clear()
    with P.cached():
        first = m.weight
        with P.cached():  # nested: the same cache
            assert m.weight is first
        assert m.weight is first
        m(tg.ones(1, 2)).sum().backward()
    assert len(calls) == 1
    assert m.parametrizations.weight.original.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert m.weight is not first and len(calls) == 2  # the block's end emptied the cache


def test_parametrize_shape_and_dtype_messages_name_what_changed():
    P = nn.utils.parametrize

    class Flat(nn.Module):
        def forward(self, x):
            return x.reshape(-1)

    class Wide(nn.Module):
        def forward(self, x):
            return x.double()

    with pytest.raises(ValueError, match=r"may not change the shape of the tensor(.|\n)*"
                                         r"unparametrized shape"):
        P.register_parametrization(nn.Linear(2, 2), "weight", Flat())
    with pytest.raises(ValueError, match="may not change the dtype of the tensor"):
        P.register_parametrization(nn.Linear(2, 2), "weight", Wide())


def test_clip_grad_norm_old_spelling_warns():
    p = nn.Parameter(tg.tensor([3.0, -4.0]))
    p.grad = tg.tensor([3.0, -4.0])
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        norm = nn.utils.clip_grad_norm(p, 1.0)
    assert abs(norm.item() - 5.0) < 1e-6
    assert np.allclose(p.grad.tolist(), [0.6, -0.8], atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.utils.clip_grad_norm_(p, 1.0)


def test_fuse_linear_bn_refuses_mismatched_features():
    linear, bn = nn.Linear(3, 2).eval(), nn.BatchNorm1d(3).eval()
    with pytest.raises(AssertionError, match="linear.out_features=2 and bn.num_features=3"):
        nn.utils.fuse_linear_bn_eval(linear, bn)
    one = nn.BatchNorm1d(1).eval()
    one.running_mean.fill_(0.5)
    x = tg.randn(4, 3)
    fused = nn.utils.fuse_linear_bn_eval(linear, one)
    assert np.allclose(fused(x).tolist(), one(linear(x).reshape(-1, 1)).reshape(4, 2).tolist(),
                       atol=1e-5)


@pytest.mark.parametrize(("dims", "fmt"), [(2, "channels_last"), (3, "channels_last_3d")])
def test_convert_conv_weight_memory_format_lays_out_the_weights(dims, fmt):
    Conv = nn.Conv2d if dims == 2 else nn.Conv3d
    convert = getattr(nn.utils, f"convert_conv{dims}d_weight_memory_format")
    model = nn.Sequential(Conv(2, 3, 3), nn.ReLU())
    weight = model[0].weight
    x = tg.randn(1, 2, *(5,) * dims)
    before = model(x).tolist()
    assert not weight.is_contiguous(memory_format=getattr(tg, fmt))
    assert convert(model, getattr(tg, fmt)) is model
    assert model[0].weight is weight and weight.is_contiguous(memory_format=getattr(tg, fmt))
    assert np.allclose(model(x).tolist(), before, atol=1e-6)


class _Halve(nn.Module):
    def forward(self, x):
        return x * 2

    def right_inverse(self, x):
        return x / 2


def test_functional_call_sets_a_parametrized_tensor_through_right_inverse():
    m = nn.Linear(2, 2, bias=False)
    nn.utils.parametrize.register_parametrization(m, "weight", _Halve())
    original = m.parametrizations.weight.original
    before = original.detach().clone()
    out = tg.func.functional_call(m, {"weight": tg.eye(2) * 5}, (tg.tensor([[1.0, 2.0]]),))
    assert out.tolist() == [[5.0, 10.0]]  # was the module's own weight, silently
    assert m.parametrizations.weight.original is original and tg.equal(original, before)
    no_inverse = nn.Linear(2, 2, bias=False)
    nn.utils.parametrize.register_parametrization(no_inverse, "weight", _Double([]))
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        tg.func.functional_call(no_inverse, {"weight": tg.eye(2)}, (tg.ones(1, 2),))
    if torch is not None:
        tm = torch.nn.Linear(2, 2, bias=False)

        class THalve(torch.nn.Module):
            def forward(self, x):
                return x * 2

            def right_inverse(self, x):
                return x / 2

        torch.nn.utils.parametrize.register_parametrization(tm, "weight", THalve())
        tout = torch.func.functional_call(tm, {"weight": torch.eye(2) * 5},
                                          (torch.tensor([[1.0, 2.0]]),))
        assert tout.tolist() == [[5.0, 10.0]]


def test_functional_call_weight_norm_by_its_parametrized_name():
    m = nn.utils.parametrizations.weight_norm(nn.Linear(2, 2, bias=False))
    g, v = (t.detach().clone() for t in m.parameters())
    out = tg.func.functional_call(m, {"weight": tg.eye(2) * 5}, (tg.tensor([[1.0, 2.0]]),))
    assert np.allclose(out.tolist(), [[5.0, 10.0]], atol=1e-5)
    assert tg.equal(m.parametrizations.weight.original0, g)
    assert tg.equal(m.parametrizations.weight.original1, v)


def test_parametrized_weight_norm_loads_an_old_weight_norm_checkpoint():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = nn.Sequential(nn.utils.weight_norm(nn.Conv1d(2, 3, 2)))
    state = old.state_dict()
    assert sorted(state) == ["0.bias", "0.weight_g", "0.weight_v"]
    new = nn.Sequential(nn.utils.parametrizations.weight_norm(nn.Conv1d(2, 3, 2)))
    assert str(new.load_state_dict(state)) == "<All keys matched successfully>"
    assert np.allclose(new[0].weight.tolist(), old[0].weight.tolist(), atol=1e-6)
    assert tg.equal(new[0].parametrizations.weight.original0, old[0].weight_g)
    assert str(new.load_state_dict(new.state_dict())) == "<All keys matched successfully>"
    if torch is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            told = torch.nn.utils.weight_norm(torch.nn.Linear(2, 2))
        tnew = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(2, 2))
        assert str(tnew.load_state_dict(told.state_dict())) == "<All keys matched successfully>"


def test_a_parameter_may_replace_a_child_module():
    m = nn.Sequential(nn.ReLU())
    m.foo = nn.ReLU()
    m.foo = nn.Parameter(tg.ones(1))
    assert [n for n, _ in m.named_parameters()] == ["foo"]
    assert [n for n, _ in m.named_children()] == ["0"] and list(m.state_dict()) == ["foo"]
    with pytest.raises(TypeError, match="child module"):
        m.bar = nn.ReLU()
        m.bar = tg.ones(1)  # a plain tensor still may not
    if torch is not None:
        tm = torch.nn.Sequential(torch.nn.ReLU())
        tm.foo = torch.nn.ReLU()
        tm.foo = torch.nn.Parameter(torch.ones(1))
        assert [n for n, _ in tm.named_parameters()] == ["foo"]


def test_bernoulli_p_is_one_number():
    x = tg.rand(3)
    for p in (tg.tensor([0.5, 0.5, 0.5]), [1.0, 1.0, 1.0]):
        with pytest.raises(TypeError, match="argument 'p' must be a float"):
            tg.bernoulli(x, p=p)
    with pytest.raises(TypeError, match="argument 'p' must be a float"):
        x.bernoulli(tg.ones(3))
    assert tg.bernoulli(x, p=tg.tensor(1.0)).tolist() == [1.0, 1.0, 1.0]  # 0-d: a number
    assert tg.bernoulli(x, p=0.0).tolist() == [0.0, 0.0, 0.0]
    assert tg.zeros(3).bernoulli_(tg.tensor([1.0, 0.0, 1.0])).tolist() == [1.0, 0.0, 1.0]
    if torch is not None:
        with pytest.raises(TypeError):
            torch.bernoulli(torch.rand(3), p=torch.tensor([0.5, 0.5, 0.5]))


def test_index_put_with_too_many_indices_names_the_dimension():
    with pytest.raises(IndexError, match=r"too many indices for tensor of dimension 0 \(got 1\)"):
        tg.tensor(3.0).index_put((tg.tensor([0]),), tg.tensor(1.0))
    with pytest.raises(IndexError, match=r"too many indices for tensor of dimension 1 \(got 2\)"):
        tg.zeros(2).index_put_((tg.tensor([0]), tg.tensor([0])), tg.tensor(1.0))
    mask = tg.tensor([[True, False], [False, True]])  # a 2-d mask indexes 2 dims
    assert tg.zeros(2, 2).index_put((mask,), tg.tensor(1.0)).tolist() == [[1.0, 0.0],
                                                                          [0.0, 1.0]]
    if torch is not None:
        with pytest.raises(IndexError, match="too many indices for tensor of dimension 0"):
            torch.tensor(3.0).index_put((torch.tensor([0]),), torch.tensor(1.0))


TRANSFORM_REPRS = {
    "T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0., 2.)])":
        "ComposeTransform(\n    ExpTransform(),\n    AffineTransform()\n)",
    "T.identity_transform": "ComposeTransform(\n    \n)",
    "T.PowerTransform(2.)": "PowerTransform()",
    "T.ReshapeTransform((2,), (1, 2))": "ReshapeTransform()",
    "C.multinomial(3)": "Multinomial()",
    "T.IndependentTransform(T.ExpTransform(), 1)": "IndependentTransform(ExpTransform(), 1)",
}


@pytest.mark.parametrize("code", list(TRANSFORM_REPRS))
def test_transform_and_constraint_reprs_are_pytorchs(code):
    names = {"T": D.transforms, "C": D.constraints}
    assert repr(eval(code, names)) == TRANSFORM_REPRS[code]
    if torch is not None:
        tnames = {"T": torch.distributions.transforms, "C": torch.distributions.constraints}
        assert repr(eval(code, tnames)) == TRANSFORM_REPRS[code]


def test_register_parametrization_keeps_the_original_parameter_object():
    m = nn.Linear(2, 2)
    weight = m.weight
    before = weight.detach().clone()
    opt = tg.optim.SGD(m.parameters(), lr=0.1)  # made before: it must keep training weight
    nn.utils.parametrize.register_parametrization(m, "weight", _Halve())
    assert m.parametrizations.weight.original is weight
    assert np.allclose(weight.tolist(), (before / 2).tolist()) and tg.allclose(m.weight, before)
    m(tg.ones(1, 2)).sum().backward()
    opt.step()  # d(loss)/d(original) = 2 * 1: the parametrized weight moves by -0.4
    assert np.allclose((m.weight - before).tolist(), [[-0.4, -0.4], [-0.4, -0.4]], atol=1e-6)
    frozen = nn.Linear(2, 2)
    frozen.weight.requires_grad_(False)
    nn.utils.parametrize.register_parametrization(frozen, "weight", _Halve())
    assert not frozen.parametrizations.weight.original.requires_grad
    nn.utils.parametrize.remove_parametrizations(m, "weight")
    assert m.weight is weight and isinstance(weight, nn.Parameter)
    if torch is not None:
        tm = torch.nn.Linear(2, 2)
        tw = tm.weight

        class THalve(torch.nn.Module):
            def forward(self, x):
                return x * 2

            def right_inverse(self, x):
                return x / 2

        torch.nn.utils.parametrize.register_parametrization(tm, "weight", THalve())
        assert tm.parametrizations.weight.original is tw
