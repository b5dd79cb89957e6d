"""`torch.func`'s transforms, written with the engine's reverse mode: `grad`, `grad_and_value`,
`vjp`, `jvp`, `linearize`, `jacrev` (and `jacfwd`, the same Jacobian), `hessian`, `vmap`,
`functional_call`, `stack_module_state`, `replace_all_batch_norm_modules_` and
`functionalize`. Arguments and results may be tensors or (nested) tuples, lists and dicts of
them (PyTorch's pytrees), and results have PyTorch's structure: `jacrev(f)(params, x)` of a
dict of parameters is a dict of Jacobians.

`vmap` runs the function once per slice along the mapped dims and stacks the results: the
same values and gradients as PyTorch's batching rules, at a Python loop's speed. A random op
inside raises under randomness='error' (the default), draws the same values for every slice
under 'same' and its own per slice under 'different' (checked where every draw gets its
generator: rng.py). The derivative transforms record
their gradients (create_graph), so they nest: `grad(grad(f))`, `vmap(grad(f))`,
`jacrev(jacrev(f))`. As PyTorch's, they turn grad mode on inside (they work under
`no_grad()`, their results then requiring no grad), and each result stays in the caller's
graph when it depends on a tensor that requires grad other than the transform's own copies
of the arguments: the caller's arguments, or what func reads from outside (a model's
parameters, so a gradient penalty `grad(f)(x)` backpropagates into them).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from tinygrad_np import autograd_function, autograd_functional, rng
from tinygrad_np.autograd import grad as _engine_grad
from tinygrad_np.errors import TensorError
from tinygrad_np.function import Function, enable_grad, is_grad_enabled
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
        items = [_map(function, item) for item in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    if isinstance(tree, dict):
        return {key: _map(function, item) for key, item in tree.items()}
    return function(tree)


def _rebuilt(tree: Any, leaves: Any) -> Any:
    """`tree`'s structure with its leaves replaced, in order, by `leaves`."""
    values = iter(leaves)
    return _map(lambda _: next(values), tree)


def _spec(tree: Any) -> str:
    """A tree's structure as PyTorch's messages show it: `(*, [*], {'a': *})`."""
    if isinstance(tree, dict):
        return "{" + ", ".join(f"{key!r}: {_spec(v)}" for key, v in tree.items()) + "}"
    if isinstance(tree, (tuple, list)):
        inner = ", ".join(_spec(item) for item in tree)
        return f"[{inner}]" if isinstance(tree, list) else f"({inner}{',' * (len(tree) == 1)})"
    return "*"


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


def _gradients(outputs: list, inputs: list, cotangents: list | None = None) -> list:
    """d outputs / d inputs (against `cotangents`), recorded; zeros where nothing reaches
    an input, also when no output depends on any (PyTorch's func transforms give zeros)."""
    seeds = cotangents or [None] * len(outputs)
    pairs = [(o, c) for o, c in zip(outputs, seeds) if o.requires_grad]
    found = _engine_grad([o for o, _ in pairs], inputs, [c for _, c in pairs],
                         retain_graph=True, create_graph=True,
                         allow_unused=True) if pairs else [None] * len(inputs)
    return [g if g is not None else Tensor._make(np.zeros_like(x._data), None)
            for g, x in zip(found, inputs)]


def _only_tensors(tree: Any) -> Any:
    """tree, checked to hold only tensors where a transform differentiates (PyTorch's
    ValueError for a number or None there)."""
    for leaf in _leaves(tree):
        if not isinstance(leaf, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(leaf)}")
    return tree


def _split_output(result: Any, has_aux: bool, caller: str) -> tuple[Any, Any]:
    """(output, aux) of func's result, its output's leaves checked to be tensors."""
    if has_aux and not (isinstance(result, tuple) and len(result) == 2):
        raise RuntimeError(f"{caller}: output of function f should be a tuple: (output, aux) "
                           "if has_aux is True")
    output, aux = result if has_aux else (result, None)
    for leaf in _leaves(aux) if has_aux else ():
        if not isinstance(leaf, Tensor):  # (PyTorch's words)
            raise RuntimeError(f"Expected tensors, got unsupported type {type(leaf)}")
    if caller.startswith("grad") and not isinstance(output, Tensor):  # (PyTorch's words)
        raise RuntimeError(f"{caller}: Expected f(*args) to return a Tensor, got {type(output)}")
    for leaf in _leaves(output):
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"{caller}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(leaf)}")
    return output, aux


def _argnums(argnums: int | tuple[int, ...], count: int) -> tuple[int, ...]:
    """The argument positions `argnums` names (negative ones counted from the end)."""
    if not isinstance(argnums, (int, tuple)):  # (a list: no, as PyTorch)
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if argnums == ():
        raise RuntimeError("argnums must be non-empty")
    numbers = argnums if isinstance(argnums, tuple) else (argnums,)
    for number in numbers:
        if not isinstance(number, int):
            raise RuntimeError(f"argnum must be int, got: {type(number)}")
        if not -count <= number < count:
            raise RuntimeError(f"Got argnum={number}, but only {count} positional inputs")
    numbers = tuple(number % count for number in numbers)
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return numbers


def grad_and_value(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable[..., Any]:
    """A function returning (gradient of func's scalar output with respect to the arguments
    `argnums`, the output); with has_aux, func returns (output, aux) and so does the value.
    An output that does not depend on the arguments has zero gradients, as in PyTorch."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        numbers = _argnums(argnums, len(args))
        grad_mode, given = is_grad_enabled(), args
        args = tuple(_differentiable(_only_tensors(a)) if i in numbers else a
                     for i, a in enumerate(args))
        with enable_grad(), autograd_function.transform():  # as PyTorch's: grad mode on
            output, aux = _split_output(func(*args, **kwargs), has_aux,  # (under no_grad too)
                                        "grad_and_value(f)(*args)")
            if output.ndim:  # (a one-element tensor of shape (1,) too, as PyTorch)
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {output.ndim} dims. Maybe "
                                   "you wanted to use the vjp or jacrev APIs instead?")
            chosen = tuple(args[i] for i in numbers)
            flat = _gradients([output], _leaves(chosen))
        gradients = _rebuilt(chosen, flat)
        gradients = gradients if isinstance(argnums, tuple) else gradients[0]
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
    """(func(*primals), vjp_fn): vjp_fn(cotangents) gives the vector-Jacobian product with
    respect to each primal, as a tuple (with has_aux: (output, vjp_fn, aux)). Primals,
    outputs and cotangents may be tensors or (nested) tuples, lists and dicts of them."""
    grad_mode, leaves = is_grad_enabled(), tuple(_differentiable(p) for p in _only_tensors(
        primals))
    private = _made_here(primals, leaves)
    with enable_grad(), autograd_function.transform():
        output, aux = _split_output(func(*leaves), has_aux, "vjp(f, *primals)")

    def vjp_fn(cotangents: Any, retain_graph: bool = True, create_graph: bool | None = None
               ) -> tuple:
        """The vector-Jacobian product: a tuple of one gradient per primal, each shaped as
        that primal (the graph is always kept and recorded here)."""
        if _spec(cotangents) != _spec(output):
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {_spec(cotangents)}, primal output: "
                f"{_spec(output)}")
        outputs, seeds = _leaves(output), _leaves(cotangents)
        for position, (out, seed) in enumerate(zip(outputs, seeds)):
            if tuple(seed.shape) != tuple(out.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{position}] has a shape of "
                                   f"{seed.shape} and output[{position}] has a shape of "
                                   f"{out.shape}.")
        with enable_grad():
            found = _gradients(outputs, _leaves(leaves), seeds)
        return _handed_back(_rebuilt(leaves, found), private, grad_mode)

    shown = _handed_back(output, private, grad_mode)
    return (shown, vjp_fn, _handed_back(aux, private, grad_mode)) if has_aux else (shown, vjp_fn)


def _flat_function(func: Callable[..., Any], args: tuple, numbers: tuple[int, ...],
                   has_aux: bool, caller: str, kwargs: dict | None = None) -> tuple:
    """func as a function of the leaves of its arguments `numbers`, returning its output's
    leaves as a tuple; and a list that gets (output, aux) of each call."""
    chosen, calls = tuple(args[i] for i in numbers), []

    def flat(*values: Tensor) -> tuple:
        full = list(args)
        for number, value in zip(numbers, _rebuilt(chosen, values)):
            full[number] = value
        output, aux = _split_output(func(*full, **(kwargs or {})), has_aux, caller)
        calls.append((output, aux))
        return tuple(_leaves(output))

    return flat, calls


def _inputs(chosen: Any, caller: str) -> tuple:
    """The leaves of the arguments to differentiate: float tensors, made differentiable."""
    for leaf in _leaves(_only_tensors(chosen)):
        if leaf.dtype.kind != "f":
            if caller.startswith("jvp"):
                raise ValueError(f"Expected primal to be floating point or complex, but got: "
                                 f"{leaf.dtype}")
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
    return tuple(_differentiable(leaf) for leaf in _leaves(chosen))


def jvp(func: Callable[..., Any], primals: tuple, tangents: tuple, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """(func(*primals), J tangents): the Jacobian-vector product (forward mode in PyTorch;
    here reverse mode twice, autograd.functional.jvp's trick), recorded so it nests. Primals
    and tangents: tuples of tensors or of (nested) tuples, lists and dicts of them."""
    if not isinstance(primals, tuple):
        raise TensorError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it "
                          f"should be valid to call f(*primals) (got {type(primals).__name__})")
    if _spec(primals) != _spec(tangents):
        raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to have "
                           f"the same python structure. For example, if primals is a tuple "
                           f"of 3 tensors, tangents also must be. Got primals with structure "
                           f"{_spec(primals)} and tangents with structure {_spec(tangents)}")
    grad_mode, leaves = is_grad_enabled(), _inputs(primals, "jvp(f, primals, tangents)")
    for tangent in _leaves(_only_tensors(tangents)):
        if tangent.dtype.kind not in "fc":
            raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                             f"{tangent.dtype}")
    flat, calls = _flat_function(func, primals, tuple(range(len(primals))), has_aux,
                                 "jvp(f, primals, tangents)")
    with enable_grad(), autograd_function.forward_mode(), autograd_function.transform():
        _, found = autograd_functional.jvp(flat, leaves, tuple(_leaves(tangents)),
                                           create_graph=True)
    output, aux = calls[0]
    # strict: every output needs a tangent (PyTorch's check is per output)
    if strict and not all(leaf.requires_grad for leaf in _leaves(output)):
        raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is "
                           "independent of the inputs. This is not allowed with strict=True.")
    # each result kept in the graph when it depends on the caller's graph (the primals, or
    # tensors func reads that require grad: a model's parameters), else detached
    result = _handed_back((output, _rebuilt(output, found), aux),
                          _made_here(primals, leaves), grad_mode)
    return result if has_aux else result[:2]


def linearize(func: Callable[..., Any], *primals: Any) -> tuple:
    """(func(*primals), jvp_fn): jvp_fn(*tangents) is the Jacobian-vector product at the
    primals (func runs again per call, where PyTorch keeps a linearised graph)."""
    output = func(*primals)  # in the caller's graph exactly when PyTorch's is

    def jvp_fn(*tangents: Any) -> Any:
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn


def _jacobian(func: Callable[..., Any], argnums: int | tuple[int, ...], has_aux: bool,
              caller: str) -> Callable[..., Any]:
    """jacrev and jacfwd: the Jacobian of every output leaf with respect to every leaf of
    the arguments `argnums`, arranged as PyTorch does: the output's structure, each leaf
    replaced by the arguments' structure (a tuple over argnums when it is a tuple), each
    entry of shape output.shape + input.shape."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        numbers = _argnums(argnums, len(args))
        chosen = tuple(args[i] for i in numbers)
        grad_mode, inputs = is_grad_enabled(), _inputs(chosen, caller)
        flat, calls = _flat_function(func, args, numbers, has_aux, caller, kwargs)
        with enable_grad(), autograd_function.transform():
            rows = autograd_functional.jacobian(flat, inputs, create_graph=True)
        output, aux = calls[0]
        layout = chosen if isinstance(argnums, tuple) else chosen[0]
        rows = iter(rows)
        jac = _map(lambda _: _rebuilt(layout, next(rows)), output)
        found = _handed_back((jac, aux), _made_here(chosen, inputs), grad_mode)
        return found if has_aux else found[0]

    return wrapper


def jacrev(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
           has_aux: bool = False, *, chunk_size: int | None = None,
           _preallocate_and_copy: bool = False) -> Callable[..., Any]:
    """A function returning the Jacobian of func with respect to the arguments `argnums`
    (see `_jacobian` for its structure); func may take and return (nested) tuples, lists
    and dicts of tensors. `chunk_size` is accepted (one backward pass per output element
    here whatever it is)."""
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _jacobian(func, argnums, has_aux, "vjp(f, *primals)")


def jacfwd(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
           has_aux: bool = False, *, randomness: str = "error") -> Callable[..., Any]:
    """The same Jacobian as jacrev (computed in reverse mode here). As PyTorch's (a vmap over
    the tangents), a random op inside func raises under randomness='error'."""
    inner = _jacobian(func, argnums, has_aux, "jvp(f, primals, tangents)")

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with rng.vmap_randomness(randomness), autograd_function.forward_mode(), \
                autograd_function.transform(True):  # (a vmap of jvp in PyTorch)
            return inner(*args, **kwargs)

    return wrapper


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The Jacobian of the Jacobian: for a scalar func, input.shape + input.shape (for a dict
    input, a dict of dicts)."""
    return jacfwd(jacrev(func, argnums), argnums)


def _mapped(args: Any, dims: Any, index: int | None, sizes: list, level: Any = None) -> Any:
    """`args` with each leaf that `dims` maps (an int for all the leaves below it, None for
    none, or a tree matching args' structure) sliced at `index`; with index None, only the
    mapped sizes are noted in `sizes`. Each slice notes (level, its source, the dim)."""
    if dims is None:
        return args
    if isinstance(dims, int):
        def take(leaf: Any) -> Any:
            if not isinstance(leaf, Tensor):
                raise ValueError(f"vmap: Got in_dim={dims} for an input but the input is of "
                                 f"type {type(leaf)}. We cannot vmap over non-Tensor "
                                 "arguments, please use None as the respective in_dim")
            if not -leaf.ndim <= dims < leaf.ndim:
                raise ValueError(f"vmap: Got in_dim={dims} for some input, but that input is a "
                                 f"Tensor of dimensionality {leaf.ndim} so expected in_dim to "
                                 f"satisfy -{leaf.ndim} <= in_dim < {leaf.ndim}.")
            sizes.append(leaf.shape[dims])
            if index is None:
                return leaf
            if leaf.shape[dims]:
                piece = leaf.select(dims, index)  # (batch_norm may update it in place, and
                piece._vmap_slice = (level, leaf, dims % leaf.ndim,  # see _by_vmap_rule)
                                     piece._changes())
                return piece
            # an empty batch: a slice of zeros, for the outputs' shapes
            return leaf.new_zeros([n for d, n in enumerate(leaf.shape) if d != dims % leaf.ndim])
        return _map(take, args)
    if isinstance(dims, dict) and isinstance(args, dict) and set(dims) == set(args):
        return {key: _mapped(value, dims[key], index, sizes, level)
                for key, value in args.items()}
    if isinstance(dims, (tuple, list)) and isinstance(args, (tuple, list)) \
            and len(dims) == len(args):
        items = [_mapped(a, d, index, sizes, level) for a, d in zip(args, dims)]
        return type(args)(*items) if hasattr(args, "_fields") else type(args)(items)
    raise ValueError(f"vmap: in_dim {dims!r} does not match the structure of its input "
                     f"{_spec(args)}: give an int or None, or a tree of them shaped as the input")


def _unmapped(args: Any, dims: Any) -> list:
    """The tensors among `args` that `dims` leaves unmapped (None), as _mapped reads dims."""
    if dims is None:
        return [leaf for leaf in _leaves(args) if isinstance(leaf, Tensor)]
    if isinstance(dims, int):
        return []
    pairs = ((args[key], dims[key]) for key in args) if isinstance(args, dict) else zip(args, dims)
    return [tensor for value, dim in pairs for tensor in _unmapped(value, dim)]


def _refuse_unmapped_writes(kept: list, name: str) -> None:
    """Raise if a slice's call changed an unmapped input in place (see vmap)."""
    for tensor, version in kept:
        if tensor._changes() != version:
            raise RuntimeError(
                f"vmap({name}, ...): `{name}` wrote in place into an input that is not mapped "
                f"(in_dims None, shape {tensor.shape}); here vmap calls it once per slice, so the "
                "write would repeat (PyTorch refuses batched values: \"output with shape ... "
                "doesn't match the broadcast shape\"). Write into a clone, or map that input")


_writes = threading.local()  # .logs: per running vmap (outermost first), the tensors
_plain_bump = Tensor._bump_version  # written in place: {id: (tensor, slice index)}
_plain_item, _plain_apply = Tensor.item, Function.__dict__["apply"].__func__
_open_vmaps = [0]  # in all threads (swapping _bump_version, item and apply while any runs)
_swap_lock = threading.Lock()


def _noting_bump(tensor: Tensor) -> None:
    """Tensor._bump_version while a vmap runs: notes which tensor each slice wrote."""
    _plain_bump(tensor)
    for log in getattr(_writes, "logs", ()):
        index, noted = log["slice"], log.get(id(tensor))
        if noted is None or noted[0]() is not tensor:  # (weakly: a slice's temporaries die
            log[id(tensor)] = (weakref.ref(tensor), index)  # with it, their ids reused)
        elif noted[1] not in (index, None):
            raise RuntimeError(
                f"vmap({log['name']}, ...): `{log['name']}` wrote in place into a tensor of "
                f"shape {tensor.shape} that it captures from outside (not an input); here vmap "
                "calls it once per slice, so the write would repeat (PyTorch writes it once, "
                "or refuses a batched value: \"output with shape ... doesn't match the broadcast "
                "shape\"). Return the value and write it after vmap, or pass the tensor as an "
                "input")


def _batched(tensor: Any) -> Any:
    """The running vmap (its log) whose mapped inputs `tensor` is a slice of or was computed
    from by an op (see _noting_apply), else None."""
    tag = getattr(tensor, "_vmap_slice", None)
    return tag[0] if tag else getattr(tensor, "_vmap_batched", None)


def _noting_apply(cls: type, *args: Any) -> Any:
    """Function.apply while a vmap runs: an op's result on a batched operand is batched."""
    result = _plain_apply(cls, *args)
    if getattr(_writes, "logs", ()):
        level = next((found for arg in args if isinstance(arg, Tensor) and (
            found := _batched(arg)) is not None), None)
        if level is not None and isinstance(result, Tensor):
            result._vmap_batched = level
    return result


def _refusing_item(tensor: Tensor) -> Any:
    """Tensor.item while a vmap runs: refused for a batched tensor (a slice of the mapped
    inputs or an op's result on one) in the thread running it, as PyTorch's (it has no one
    value; here each slice would give its own silently); an unbatched one's value as ever."""
    level = _batched(tensor)
    if level is not None and any(level is log for log in getattr(_writes, "logs", ())):
        raise RuntimeError("vmap: It looks like you're calling .item() on a Tensor. We don't "
                           "support vmap over calling .item() on a Tensor, please try to "
                           "rewrite what you're doing with other operations.")
    return _plain_item(tensor)


@contextlib.contextmanager
def _captured_writes(name: str, inputs: list) -> Iterator[dict]:
    """The context vmap runs its slices in: a tensor other than the inputs written in two
    slices raises (set log["slice"] before each). A tensor made inside a slice is a new one
    in every slice, and so are the slices of the mapped inputs (unmapped ones: vmap's own
    check, _refuse_unmapped_writes)."""
    log: dict = {"slice": 0, "name": name, **{id(t): (weakref.ref(t), None) for t in inputs}}
    _writes.logs = (*getattr(_writes, "logs", ()), log)
    with _swap_lock:
        _open_vmaps[0] += 1
        Tensor._bump_version = _noting_bump  # type: ignore[method-assign]
        Tensor.item = _refusing_item  # type: ignore[method-assign]
        Function.apply = classmethod(_noting_apply)  # type: ignore[assignment]
    try:
        yield log
    finally:
        _writes.logs = _writes.logs[:-1]
        with _swap_lock:
            _open_vmaps[0] -= 1
            if not _open_vmaps[0]:
                Tensor._bump_version = _plain_bump  # type: ignore[method-assign]
                Tensor.item = _plain_item  # type: ignore[method-assign]
                Function.apply = classmethod(_plain_apply)  # type: ignore[assignment]


class VmapInfo(NamedTuple):
    """What a custom Function's vmap staticmethod gets first, as PyTorch's `info`."""

    batch_size: int
    randomness: str


def _by_vmap_rule(cls: type, rule: Callable[..., Any], args: tuple) -> Any:
    """A custom Function applied in a vmap slice, by its own vmap rule (as PyTorch's): when
    some tensor arguments are slices of this vmap's mapped inputs, the rule runs once on their
    sources (`rule(info, in_dims, *args)` -> (output, out_dims)), and each slice gets its part
    of the output; None otherwise (forward runs on the slice)."""
    logs = getattr(_writes, "logs", ())
    level = logs[-1] if logs else None
    tags = [getattr(arg, "_vmap_slice", None) if isinstance(arg, Tensor) else None
            for arg in args]
    if level is None or not any(tag and tag[0] is level for tag in tags):
        return None
    if any(tag and tag[0] is level and arg._changes() != tag[3] for arg, tag in zip(args, tags)):
        return None  # a slice written since (the rule would read the source's old values)
    if autograd_function.depth() > level["depth"] and any(  # a transform inside the vmap
            tag and tag[0] is level and arg.requires_grad for arg, tag in zip(args, tags)):
        return None  # differentiates by the slice itself: forward runs on it (the rule's
    # output would hang from the batched source, the slice's gradient silently zero)
    batched = tuple(tag[1] if tag and tag[0] is level else arg for arg, tag in zip(args, tags))
    key = ("rule", cls, *map(_rule_key, batched))
    if key not in level:  # once per vmap call (the batched arguments are kept alive with it)
        in_dims = tuple(tag[2] if tag and tag[0] is level else None for tag in tags)
        with autograd_function.transform(True):
            level[key] = (rule(level["info"], in_dims, *batched), batched)
    (output, dims), _ = level[key]
    index = level["slice"]
    if isinstance(output, tuple):
        dims = dims if isinstance(dims, tuple) else (dims,) * len(output)
        return tuple(o if d is None else o.select(d, index) for o, d in zip(output, dims))
    return output if dims is None else output.select(dims, index)


def _rule_key(arg: Any) -> Any:
    """An argument of a vmap rule in its cache key: a tensor (or anything unhashable) by
    identity, a number or string by value (one computed in each slice is a new object)."""
    if isinstance(arg, (bool, int, float, complex, str, type(None))):
        return type(arg), repr(arg)  # (repr: -0.0 is not 0.0)
    return id(arg)


autograd_function.vmap_rule_runner = _by_vmap_rule


def vmap(func: Callable[..., Any], in_dims: Any = 0, out_dims: Any = 0,
         randomness: str = "error", *, chunk_size: int | None = None) -> Callable[..., Any]:
    """func mapped over a dim of its inputs (`in_dims`: one for all, or one per argument, each
    an int, None for not mapped, or a tree of them matching that argument's tuples, lists and
    dicts), the results stacked along `out_dims` (None: unstacked, see _stacked; an empty
    batch calls func once on a slice of zeros). `randomness`: 'error' (PyTorch's default)
    raises when func draws random numbers, 'same' gives every slice the same ones,
    'different' draws per slice. Writing in place into an input that is not mapped raises:
    here func runs once per slice, so the write would be repeated (PyTorch writes once, or
    refuses batched values)."""
    name = getattr(func, "__name__", "func")
    if chunk_size is not None and (type(chunk_size) is not int or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not isinstance(in_dims, (int, tuple)):  # (a list or None: no, as PyTorch)
            raise ValueError(f"vmap({getattr(func, '__name__', 'func')}, in_dims={in_dims}, "
                             f"...)(<inputs>): expected `in_dims` to be int or a (potentially "
                             f"nested) tuple matching the structure of inputs, got: "
                             f"{type(in_dims)}.")
        if not args:
            raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add "
                             "inputs, or you are trying to vmap over a function with no "
                             "inputs. The latter is unsupported.")
        dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise TensorError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                              f"compatible with the structure of `inputs`: in_dims "
                              f"{in_dims} must have one entry per argument ({len(args)})")
        sizes: list = []
        _mapped(tuple(args), tuple(dims), None, sizes)
        if not sizes:
            raise ValueError("vmap: Expected at least one Tensor to vmap over")
        if len(set(sizes)) != 1:
            raise TensorError("vmap: Expected all tensors to have the same size in the mapped "
                              f"dimension, got sizes {sizes} for the mapped dimension")
        results, size = [], sizes[0]
        kept = [(t, t._changes()) for t in _unmapped(tuple(args), tuple(dims))]
        inputs = [t for t in _leaves(args) if isinstance(t, Tensor)]
        with rng.vmap_randomness(randomness) as restart, autograd_function.transform(True), \
                _captured_writes(name, inputs) as log:
            log["info"], log["depth"] = VmapInfo(size, randomness), autograd_function.depth()
            for index in range(max(size, 1)):  # an empty batch: one call on a zero slice,
                if index:  # for the outputs' shapes
                    restart()
                log["slice"] = index
                results.append(func(*_mapped(tuple(args), tuple(dims), index, [], log),
                                    **kwargs))
                _refuse_unmapped_writes(kept, name)
        return _stacked(results, out_dims, size == 0, name)

    return wrapper


def _stacked(results: list, out_dims: Any, empty: bool, name: str) -> Any:
    """The slices' results stacked along `out_dims` (a tree of tuples, lists and dicts
    matching the outputs', or one
    int or None for all); with None, an output is returned as it is, which vmap can only do
    for one that does not depend on the mapped inputs: here, one equal in every slice (PyTorch
    tracks what depends on them; a batch of one slice always passes)."""
    first = results[0]
    if isinstance(out_dims, (tuple, list)) and not (
            isinstance(first, (tuple, list)) and len(first) == len(out_dims)):
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): out_dims is not compatible "
                         f"with the structure of the outputs ({_spec(first)})")
    if isinstance(first, (tuple, list)):
        dims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(first)
        return type(first)(_stacked([r[k] for r in results], dims[k], empty, name)
                           for k in range(len(first)))
    if isinstance(out_dims, dict) and not (isinstance(first, dict) and set(first) == set(out_dims)):
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): out_dims is not compatible "
                         f"with the structure of the outputs ({_spec(first)})")
    if isinstance(first, dict):
        dims = out_dims if isinstance(out_dims, dict) else dict.fromkeys(first, out_dims)
        return {key: _stacked([r[key] for r in results], dims[key], empty, name)
                for key in first}
    if out_dims is None:
        if isinstance(first, Tensor) and not all(
                r.shape == first.shape and r.dtype == first.dtype and np.array_equal(
                    r._data, first._data, equal_nan=r.dtype.kind in "fc") for r in results):
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor "
                             "when out_dim is None")
        return first
    if not isinstance(first, Tensor):
        raise TensorError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                          f"{type(first)}. Did you mean to set out_dims= to None for output?")
    stacked = stack(results, dim=out_dims)
    return stacked.narrow(out_dims, 0, 0) if empty else stacked


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = (),
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """module(*args, **kwargs) with some of its parameters and buffers replaced, for this call
    only, by the tensors given by dotted name (`{"0.weight": w}`; a dict or a tuple of them).
    With `tie_weights`, a value given for one name of a tied (shared) tensor replaces it under
    every name. Names the module lacks are set for the call too (PyTorch's way); `strict`
    requires exactly the module's names."""
    values = _merged(parameter_and_buffer_dicts)
    if tie_weights:
        values = _untied(module, values)
    if strict:
        _check_names(module, values)
    for value in values.values():
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"{value} is not an instance of torch.Tensor")
    saved = []
    try:
        for name, value in values.items():
            owner_name, _, attribute = name.rpartition(".")
            owner = module.get_submodule(owner_name)
            chain = vars(owner).get("parametrizations")
            if chain is not None and attribute in chain:  # PyTorch sets a parametrized
                saved.append((chain[attribute], None, [  # tensor through its right_inverse
                    (t, t.detach().clone()) for t in chain[attribute].parameters(recurse=False)
                ] + [(t, t.detach().clone()) for t in chain[attribute].buffers(recurse=False)]))
                setattr(owner, attribute, value)
                continue
            saved.append((owner, attribute, vars(owner).get(attribute, _ABSENT)))
            vars(owner)[attribute] = value
        return module(*(args if isinstance(args, tuple) else (args,)), **(kwargs or {}))
    finally:
        for owner, attribute, original in reversed(saved):
            if attribute is None:  # a parametrization's originals, as they were
                for tensor, data in original:
                    tensor.data = data
            elif original is _ABSENT:
                del vars(owner)[attribute]
            else:
                vars(owner)[attribute] = original


_ABSENT = object()  # functional_call: a name the module did not have


def _merged(dicts: Any) -> dict:
    """functional_call's dicts as one; a name in two of them is ambiguous."""
    merged: dict = {}
    for d in dicts if isinstance(dicts, (tuple, list)) else (dicts,):
        repeated = sorted(set(merged) & set(d))
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             f"functional call is ambiguous")
        merged.update(d)
    return merged


def _tensor_names(module: Any) -> dict[int, list[str]]:
    """Every name of each parameter and buffer of `module` (several for a tied one), by id."""
    names: dict[int, list[str]] = {}
    for found in (module.named_parameters(remove_duplicate=False),
                  module.named_buffers(remove_duplicate=False)):
        for name, tensor in found:
            names.setdefault(id(tensor), []).append(name)
    return names


def _untied(module: Any, values: dict) -> dict:
    """`values` with the value given for a tied tensor under every one of its names; two
    different values for one tied tensor are an error (tie_weights=False unties them)."""
    untied = dict(values)
    for group in _tensor_names(module).values():
        given = [name for name in group if name in values]
        if len(group) < 2 or not given:
            continue
        if len({id(values[name]) for name in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(group)}, "
                             f"which are tied. Consider using tie_weights=False")
        untied.update(dict.fromkeys(group, values[given[0]]))
    return untied


def _check_names(module: Any, values: dict) -> None:
    """strict: the names given are exactly the module's parameters' and buffers'."""
    known = {name for group in _tensor_names(module).values() for name in group}
    unexpected, missing = sorted(set(values) - known), sorted(known - set(values))
    problems = ([f"Unexpected key(s): {', '.join(map(repr, unexpected))}."] if unexpected
                else []) + ([f"Missing key(s): {', '.join(map(repr, missing))}."] if missing
                            else [])
    if problems:
        raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t"
                           + "\n\t".join(problems))


def stack_module_state(models: Any) -> tuple[dict, dict]:
    """The parameters and buffers of same-shaped models, each name's tensors stacked along a
    new first dim (parameters as new leaves that require grad), for vmap over an ensemble."""
    models = list(models)
    params = {name: stack([dict(m.named_parameters())[name].detach() for m in models])
              .requires_grad_(True) for name, _ in models[0].named_parameters()}
    buffers = {name: stack([dict(m.named_buffers())[name] for m in models])
               for name, _ in models[0].named_buffers()}
    return params, buffers


def replace_all_batch_norm_modules_(root: Any) -> Any:
    """Every BatchNorm in `root` (itself included) made to use the batch's statistics, as
    PyTorch's: track_running_stats False and its running stats None (for vmap over models).
    Returns root, changed in place."""
    from tinygrad_np.nn.normalization import _BatchNorm  # noqa: PLC0415 (nn sits above func)

    for module in root.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.running_mean = module.running_var = module.num_batches_tracked = None
            module.track_running_stats = False
    return root


def functionalize(func: Callable[..., Any], *, remove: str = "mutations") -> Callable[..., Any]:
    """PyTorch's functionalize rewrites a function's in-place ops and views as out-of-place
    ones for its compilers; here every op already runs eagerly on NumPy, so the function's
    results are the same and func itself is returned."""
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(f"functionalize(f, remove='mutations'): `remove` should be either "
                           f"'mutations' or 'mutations_and_views', got {remove!r}")
    return func


def debug_unwrap(tensor: Any, *, recurse: bool = True) -> Any:
    """PyTorch's unwrapping of a transform's wrapper tensor; the transforms here wrap
    nothing, so the tensor itself."""
    return tensor
