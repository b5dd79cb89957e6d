"""`torch.func`'s transforms, written with the engine's reverse mode: `grad`, `grad_and_value`,
`vjp`, `jvp`, `linearize`, `jacrev` (and `jacfwd`, the same Jacobian), `hessian`, `vmap`,
`functional_call` and `stack_module_state`.

`vmap` runs the function once per slice along the mapped dims and stacks the results: the
same values and gradients as PyTorch's batching rules, at a Python loop's speed (and random
ops draw per slice, as PyTorch's randomness='different'). The derivative transforms record
their gradients (create_graph), so they nest: `grad(grad(f))`, `vmap(grad(f))`,
`jacrev(jacrev(f))`. As PyTorch's, they turn grad mode on inside (they work under
`no_grad()`, their results then requiring no grad), and each result stays in the caller's
graph when it depends on a tensor that requires grad other than the transform's own copies
of the arguments: the caller's arguments, or what func reads from outside (a model's
parameters, so a gradient penalty `grad(f)(x)` backpropagates into them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_np import autograd_functional
from tinygrad_np.autograd import grad as _engine_grad
from tinygrad_np.errors import TensorError
from tinygrad_np.function import enable_grad, is_grad_enabled
from tinygrad_np.join import stack
from tinygrad_np.tensor import Tensor


def _leaves(tree: Any) -> list:
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    if isinstance(tree, dict):
        return [leaf for item in tree.values() for leaf in _leaves(item)]
    return [tree]


def _map(function: Callable[[Any], Any], tree: Any) -> Any:
    if isinstance(tree, (tuple, list)):
        return type(tree)(_map(function, item) for item in tree)
    if isinstance(tree, dict):
        return {key: _map(function, item) for key, item in tree.items()}
    return function(tree)


def _differentiable(tree: Any) -> Any:
    """Each tensor as one the engine can differentiate with respect to: itself if it already
    requires grad (so an outer transform sees through), else a new leaf on the same values."""
    return _map(lambda t: t if not isinstance(t, Tensor) or t.requires_grad
                else t.detach().requires_grad_(True), tree)


def _made_here(before: Any, after: Any) -> set[int]:
    """The ids of the leaves `_differentiable` made (the transform's own, private leaves)."""
    return {id(new) for old, new in zip(_leaves(before), _leaves(after)) if new is not old}


def _handed_back(tree: Any, private: set[int], grad_mode: bool) -> Any:
    """Each tensor of a transform's result as PyTorch hands it back: still in the graph when
    it depends on a tensor requiring grad other than the transform's own leaves (the caller's
    arguments, or what func reads from outside: a model's parameters), else detached; all
    detached when the transform was called under no_grad()."""
    clean: set[int] = set()  # nodes known to reach no outside leaf

    def reaches_outside(tensor: Tensor) -> bool:
        if tensor.grad_fn is None:
            return tensor.requires_grad and id(tensor) not in private
        stack, seen = [tensor.grad_fn], {id(tensor.grad_fn)}
        while stack:
            for parent in stack.pop().parents:
                if parent is None or id(parent) in seen or id(parent) in clean:
                    continue
                if isinstance(parent, Tensor):
                    if id(parent) not in private:
                        return True
                else:
                    stack.append(parent)
                seen.add(id(parent))
        clean.update(seen)  # fully walked: none of these reaches outside
        return False

    return _map(lambda t: t.detach() if isinstance(t, Tensor) and not (
        grad_mode and reaches_outside(t)) else t, tree)


def _gradients(output: Tensor, inputs: list, cotangent: Any = None) -> list:
    found = _engine_grad([output], inputs, None if cotangent is None else [cotangent],
                         retain_graph=True, create_graph=True, allow_unused=True)
    return [g if g is not None else x.detach() * 0 for g, x in zip(found, inputs)]


def grad_and_value(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable[..., Any]:
    """A function returning (gradient of func's scalar output with respect to the arguments
    `argnums`, the output); with has_aux, func returns (output, aux) and so does the value."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        numbers = argnums if isinstance(argnums, tuple) else (argnums,)
        grad_mode, given = is_grad_enabled(), args
        args = tuple(_differentiable(a) if i in numbers else a for i, a in enumerate(args))
        with enable_grad():  # as PyTorch's: on inside, also under no_grad()
            result = func(*args, **kwargs)
            output, aux = result if has_aux else (result, None)
            if not isinstance(output, Tensor) or output.numel() != 1:
                raise RuntimeError(f"grad: func must return a one-element tensor, got "
                                   f"{getattr(output, 'shape', type(output).__name__)}")
            chosen = [args[i] for i in numbers]
            flat = _gradients(output, [leaf for tree in chosen for leaf in _leaves(tree)])
        rebuilt, position = [], 0
        for tree in chosen:
            count = len(_leaves(tree))
            values = iter(flat[position:position + count])
            rebuilt.append(_map(lambda _, values=values: next(values), tree))
            position += count
        gradients = tuple(rebuilt) if isinstance(argnums, tuple) else rebuilt[0]
        return _handed_back((gradients, (output, aux) if has_aux else output),
                            _made_here(given, args), grad_mode)

    return wrapper


def grad(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
         has_aux: bool = False) -> Callable[..., Any]:
    """A function returning the gradient of func's scalar output with respect to the arguments
    `argnums` (a tensor, or a tuple/list/dict of them); with has_aux, (gradient, aux)."""
    inner = grad_and_value(func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gradients, value = inner(*args, **kwargs)
        return (gradients, value[1]) if has_aux else gradients

    return wrapper


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple:
    """(func(*primals), vjp_fn): vjp_fn(cotangent) gives the vector-Jacobian product with
    respect to each primal, as a tuple (with has_aux: (output, vjp_fn, aux))."""
    grad_mode, leaves = is_grad_enabled(), tuple(_differentiable(p) for p in primals)
    private = _made_here(primals, leaves)
    with enable_grad():
        result = func(*leaves)
    output, aux = result if has_aux else (result, None)

    def vjp_fn(cotangent: Any) -> tuple:
        with enable_grad():
            found = tuple(_gradients(output, list(leaves), cotangent))
        return _handed_back(found, private, grad_mode)

    shown = _handed_back(output, private, grad_mode)
    return (shown, vjp_fn, _handed_back(aux, private, grad_mode)) if has_aux else (shown, vjp_fn)


def jvp(func: Callable[..., Any], primals: tuple, tangents: tuple, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """(func(*primals), J tangents): the Jacobian-vector product (forward mode in PyTorch;
    here reverse mode twice, autograd.functional.jvp's trick), recorded so it nests."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise TensorError(f"jvp: primals and tangents must be tuples, got "
                          f"{type(primals).__name__} and {type(tangents).__name__}")
    auxiliary: list = []

    def plain(*args: Any) -> Any:
        result = func(*args)
        if has_aux:
            result, aux = result
            auxiliary.append(aux)
        return result

    grad_mode, leaves = is_grad_enabled(), _differentiable(primals)
    with enable_grad():
        found = autograd_functional.jvp(plain, leaves, tangents, create_graph=True,
                                        strict=strict)
    # each result kept in the graph when it depends on the caller's graph (the primals, or
    # tensors func reads that require grad: a model's parameters), else detached
    found = _handed_back((*found, *auxiliary[:1]), _made_here(primals, leaves), grad_mode)
    return found if has_aux else found[:2]


def linearize(func: Callable[..., Any], *primals: Any) -> tuple:
    """(func(*primals), jvp_fn): jvp_fn(*tangents) is the Jacobian-vector product at the
    primals (func runs again per call, where PyTorch keeps a linearised graph)."""
    output = func(*primals)  # in the caller's graph exactly when PyTorch's is

    def jvp_fn(*tangents: Any) -> Any:
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn


def jacrev(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
           has_aux: bool = False) -> Callable[..., Any]:
    """A function returning the Jacobian of func with respect to the arguments `argnums`:
    output.shape + input.shape (a tuple over argnums when it is a tuple)."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        numbers = argnums if isinstance(argnums, tuple) else (argnums,)
        aux: list = []

        def partial(*chosen: Tensor) -> Any:
            full = list(args)
            for i, value in zip(numbers, chosen):
                full[i] = value
            result = func(*full, **kwargs)
            if has_aux:
                aux.append(result[1])
                return result[0]
            return result

        grad_mode = is_grad_enabled()
        inputs = tuple(_differentiable(args[i]) for i in numbers)
        with enable_grad():
            jac = autograd_functional.jacobian(partial, inputs, create_graph=True)
        jac = jac if isinstance(argnums, tuple) else _first_input(jac)
        found = _handed_back((jac, *aux[:1]), _made_here(tuple(args[i] for i in numbers),
                                                         inputs), grad_mode)
        return found if has_aux else found[0]

    return wrapper


def _first_input(jac: Any) -> Any:
    """The Jacobian with respect to the one input (per output, for several outputs)."""
    if isinstance(jac, tuple) and jac and isinstance(jac[0], tuple):
        return tuple(per_output[0] for per_output in jac)
    return jac[0] if isinstance(jac, tuple) else jac


jacfwd = jacrev  # the same matrix (computed in reverse mode here)


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The Jacobian of the Jacobian: for a scalar func, input.shape + input.shape."""
    return jacrev(jacrev(func, argnums), argnums)


def vmap(func: Callable[..., Any], in_dims: Any = 0, out_dims: Any = 0,
         randomness: str = "error", *, chunk_size: int | None = None) -> Callable[..., Any]:
    """func mapped over a dim of its inputs (`in_dims`: one per argument, None for one that is
    not mapped, or one for all), the results stacked along `out_dims`."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise TensorError(f"vmap: in_dims {in_dims} must have one entry per argument "
                              f"({len(args)})")
        sizes = {t.shape[d] for a, d in zip(args, dims) if d is not None
                 for t in _leaves(a) if isinstance(t, Tensor)}
        if len(sizes) != 1:
            raise TensorError(f"vmap: the mapped dims must all have the same size (and at least "
                              f"one input must be mapped), got sizes {sorted(sizes)}")
        results = [func(*(a if d is None else _map(
            lambda t, d=d, i=i: t.select(d, i) if isinstance(t, Tensor) else t, a)
            for a, d in zip(args, dims)), **kwargs) for i in range(sizes.pop())]
        return _stacked(results, out_dims)

    return wrapper


def _stacked(results: list, out_dims: Any) -> Any:
    first = results[0]
    if isinstance(first, (tuple, list)):
        dims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(first)
        return type(first)(_stacked([r[k] for r in results], dims[k])
                           for k in range(len(first)))
    if isinstance(first, dict):
        return {key: _stacked([r[key] for r in results], out_dims) for key in first}
    if not isinstance(first, Tensor):
        raise TensorError(f"vmap: func must return tensors, got {type(first).__name__}")
    return stack(results, dim=out_dims)


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = (),
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """module(*args, **kwargs) with some of its parameters and buffers replaced, for this call
    only, by the tensors given by dotted name (`{"0.weight": w}`)."""
    dicts = parameter_and_buffer_dicts
    values = {key: value for d in (dicts if isinstance(dicts, (tuple, list)) else (dicts,))
              for key, value in d.items()}
    known = {name for name, _ in module.named_parameters()} | {
        name for name, _ in module.named_buffers()}
    if strict and set(values) != known:
        raise RuntimeError(f"functional_call: strict: missing {sorted(known - set(values))}, "
                           f"unexpected {sorted(set(values) - known)}")
    saved = []
    try:
        for name, value in values.items():
            owner_name, _, attribute = name.rpartition(".")
            owner = module.get_submodule(owner_name)
            if attribute not in vars(owner):
                raise AttributeError(f"functional_call: {name!r} is not a parameter or buffer "
                                     f"of {type(module).__name__}")
            saved.append((owner, attribute, vars(owner)[attribute]))
            vars(owner)[attribute] = value
        return module(*(args if isinstance(args, tuple) else (args,)), **(kwargs or {}))
    finally:
        for owner, attribute, original in reversed(saved):
            vars(owner)[attribute] = original


def stack_module_state(models: Any) -> tuple[dict, dict]:
    """The parameters and buffers of same-shaped models, each name's tensors stacked along a
    new first dim (parameters as new leaves that require grad), for vmap over an ensemble."""
    models = list(models)
    params = {name: stack([dict(m.named_parameters())[name].detach() for m in models])
              .requires_grad_(True) for name, _ in models[0].named_parameters()}
    buffers = {name: stack([dict(m.named_buffers())[name] for m in models])
               for name, _ in models[0].named_buffers()}
    return params, buffers
