"""What PyTorch users read off a graph node: `grad_fn.name()`, `grad_fn.next_functions`.

A recorded node (`Function`, through this mixin) names itself after its op, PyTorch-style
(`Mul` -> `"MulBackward0"`; the op names are tinygrad_np's, so a fused op has its own name:
`F.linear` records `LinearFunctionBackward0` where PyTorch records `AddmmBackward0`), and
lists where the gradient of each input goes: `(node, 0)` for an input computed by an op,
`(AccumulateGrad, 0)` for a leaf that requires grad (its `.variable` is the leaf), and
`(None, 0)` for a constant before the last graph input. Introspection only: the backward
pass does not use any of it, except to word its error about a saved value changed in place.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from tinygrad_np.dtypes import torch_dtype

# id(leaf) -> weak reference to its AccumulateGrad, which holds the leaf (as in PyTorch: the
# node keeps its tensor, the tensor only finds the node while somebody holds it)
_ACCUMULATORS: dict[int, weakref.ref] = {}
# The same op, spelled differently: PyTorch's node names (what `print(loss)` shows, as
# `grad_fn=<NllLossBackward0>`) for ops recorded here as one node of another name.
_PYTORCH_SPELLING = {
    "ReLU": "Relu", "GELU": "Gelu", "ELU": "Elu", "LeakyReLU": "LeakyRelu",
    "HardTanh": "Hardtanh", "Log1p": "Log1P", "AMax": "Amax", "AMin": "Amin",
    "LogAddExp": "Logaddexp", "LogCumSumExp": "Logcumsumexp", "Pinv": "LinalgPinv",
    "Xlog1py": "SpecialXlog1Py", "Entr": "SpecialEntr", "Erfcx": "SpecialErfcx",
    "Ndtri": "SpecialNdtri", "I0e": "SpecialI0E", "I1": "SpecialI1", "I1e": "SpecialI1E",
    "LogAbsDet": "LinalgSlogdet", "Solve": "LinalgSolveEx", "Zeta": "SpecialZeta",
    "SolveTriangular": "LinalgSolveTriangular", "LU": "LinalgLuFactorEx",
    "CrossEntropy": "NllLoss",  # (PyTorch's cross_entropy is log_softmax + nll_loss)
    "Norm2": "LinalgVectorNorm", "Cast": "ToCopy", "Windows": "Unfold", "Det": "LinalgDet",
    "Inv": "LinalgInvEx", "Cholesky": "LinalgCholeskyEx", "CDist": "Cdist",
    "Conv2d": "Convolution", "ConvTranspose2d": "Convolution",
    "MaxPool2d": "MaxPool2DWithIndices", "AvgPool2d": "AvgPool2D", "EmbeddingLookup": "Embedding",
    "Irfftn": "FftC2R",  # (fft.py: irfft, hfft and their n-dimensional forms)
    "Transpose": "Permute", "Reshape": "View",  # (t(), transpose(), unsqueeze()... rename)
    "ReciprocalTimes": "Mul",  # (`2 / x`: PyTorch's reciprocal() * 2 is one MulBackward0)
}
# Which forward arguments PyTorch's node has as inputs (what grad_fn.register_hook's hooks
# see). Trailing constants are settings (`x.sum(0)`: the 0), left off; except for these ops,
# whose every argument is an operand (PyTorch wraps a number operand in a tensor: `x * 2`
# has two inputs, the second None).
_OPERAND_OPS = frozenset({"Add", "Sub", "Mul", "Div", "Pow", "Xlogy", "Atan2", "LogAddExp",
                          "Hypot", "Fmod", "Remainder", "FloorDivide", "Maximum", "Fmax",
                          "Zeta"})
_LEADING_CONSTANTS = {"Where": 1}  # the bool condition is no input of PyTorch's node
# Ops whose PyTorch node lists a constant operand (a number is wrapped as a tensor) in
# next_functions as (None, 0); others (pow, fmod, ...) have a scalar overload without it.
_LISTS_CONSTANTS = frozenset({"Add", "Sub", "Mul", "Div", "Maximum", "Minimum", "Atan2",
                              "Hypot", "LogAddExp", "Fmax", "Fmin", "Where"})


def pytorch_named(tensor: Any, name: str) -> Any:
    """`tensor` (returned), its node named `name` (PyTorch's node for the op composed here of
    several: `x.mean()` ends in a Div here, PyTorch's node is `MeanBackward0`). Display only."""
    node = tensor.grad_fn
    if node is not None:
        node._pytorch_name = name
    return tensor


def several_outputs(outputs: Any, name: str | None = None, node: Any = None) -> Any:
    """`outputs` (returned) shown as PyTorch's one node of several outputs, though each has
    its own node here: output k's `output_nr`, `get_gradient_edge` and the `next_functions`
    entries pointing at it read `(node, k)`, with `node` the op's own (a custom Function's
    ctx, svd's packed node) or output 0's node, each node is named `name`, and each output's
    node lists `node`'s next_functions (the op's inputs). Display only (and the edges'
    way back to output k's node for grad)."""
    nodes = [getattr(t, "grad_fn", None) for t in outputs]
    group = node if node is not None else nodes[0] if nodes else None
    if group is None or len(nodes) < 2:
        return outputs
    group._pieces = tuple(None if n is None else weakref.ref(n) for n in nodes)
    if name is not None and node is not None:
        group._pytorch_name = name
    for k, piece in enumerate(nodes):
        if piece is not None:
            piece._output_nr = k
            if piece is not group:  # (no reference to itself: the graph frees by refcount)
                piece._group = group
            if name is not None:
                piece._pytorch_name = name
    return outputs


def edge_of(node: Any) -> tuple[Any, int]:
    """(node, output number) as PyTorch's graph shows `node`'s output (see several_outputs)."""
    found = getattr(node, "__dict__", {})
    return found.get("_group", node), found.get("_output_nr", 0)


def output_node(node: Any, output_nr: int) -> Any:
    """The node here of output `output_nr` of `node` (itself for output 0 of one-output ops);
    None if there is no such output, or it is gone."""
    pieces = getattr(node, "__dict__", {}).get("_pieces")
    if pieces is None:
        return node if output_nr == 0 else None
    reference = pieces[output_nr] if 0 <= output_nr < len(pieces) else None
    return None if reference is None else reference()


class AccumulateGrad:
    """The end of a path in `next_functions`: the leaf whose `.grad` receives the gradient
    (one object per leaf, as in PyTorch)."""

    next_functions: tuple = ()

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    @property
    def metadata(self) -> dict:
        """A dict for your own notes on this node (kept while the node is)."""
        return self.__dict__.setdefault("_metadata", {})

    def register_prehook(self, hook: Any) -> Any:
        """hook((grad,)) with the leaf's complete gradient; a 1-tuple it returns replaces it."""
        from tinygrad_np import hooks  # noqa: PLC0415 (hooks imports this module)

        return hooks.register_node_prehook(self, hook)

    def register_hook(self, hook: Any) -> Any:
        """hook((), (grad,)) with the leaf's complete gradient (what it returns is ignored)."""
        from tinygrad_np import hooks  # noqa: PLC0415

        return hooks.register_node_posthook(self, hook)

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


class NodeInfo:
    """Mixin of `Function`: a node's PyTorch-style name and its `next_functions`."""

    parents: tuple = ()

    def name(self) -> str:
        """The node's name as PyTorch spells it: the op's class name + "Backward0", or the
        name of the PyTorch op whose result it is (see `pytorch_named`)."""
        named = self.__dict__.get("_pytorch_name") or self._pytorch_node()
        if named is not None:
            return named
        return f"{_PYTORCH_SPELLING.get(type(self).__name__, type(self).__name__)}Backward0"

    def _pytorch_node(self) -> str | None:
        """PyTorch's node name where it depends on the arguments (an op overrides this:
        indexing is SelectBackward0 or SliceBackward0, a product MmBackward0 or BmmBackward0,
        ...); None: the class's name. Read from what the node keeps, costing forward nothing."""
        return None

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """One `(node, 0)` pair per forward argument: the node that produced it, an
        `AccumulateGrad` for a leaf that requires grad, or None for a constant. Arithmetic
        (`2 * x`, `x * ones`, where's branches) lists its constant operand as PyTorch does;
        other ops list arguments up to the last one in the graph (a node here does not know
        which constants were tensors, so the settings after it are left off)."""
        group = self.__dict__.get("_group")
        if group is not None:  # one output of several: the inputs of their op (PyTorch's node)
            return group.next_functions
        parents, name = list(self.parents), type(self).__name__
        if name in _LISTS_CONSTANTS:
            parents = parents[_LEADING_CONSTANTS.get(name, 0):]
        while name not in _LISTS_CONSTANTS and parents and parents[-1] is None:
            parents.pop()
        return tuple((_accumulator(p), 0) if p is not None and not isinstance(p, NodeInfo) else
                     edge_of(p) for p in parents)

    def _input_positions(self) -> range:
        """The positions of the forward arguments PyTorch's node has as inputs: up to the last
        one in the graph (a node here does not know which constants were tensors, so the
        settings after it are left off), every one for arithmetic, without where's
        condition. (next_functions keeps its own, older rule.)"""
        parents, name = self.parents, type(self).__name__
        end = len(parents)
        if name not in _OPERAND_OPS:
            while end and parents[end - 1] is None:
                end -= 1
        start = _LEADING_CONSTANTS.get(name, 0)
        start = start if end > start and all(p is None for p in parents[:start]) else 0
        return range(start, end)

    def __getstate__(self) -> dict:
        """pickle and deepcopy of a graph: the saved tensors' version counters without the weak
        references to their views, and no retain_grad() references (a copied graph has
        versions and tensors of its own, as a copied tensor has)."""
        state = dict(self.__dict__)
        if state.get("saved_versions"):
            state["saved_versions"] = tuple((index, counter[:1], version)
                                            for index, counter, version in state["saved_versions"])
        state.pop("retained", None)
        return state

    @property
    def metadata(self) -> dict:
        """A dict for your own notes on this node, as PyTorch's `grad_fn.metadata`."""
        return self.__dict__.setdefault("_metadata", {})

    def register_prehook(self, hook: Any) -> Any:
        """hook(grad_outputs) before this node's rule (after the hooks registered on its
        output tensor); a tuple it returns replaces grad_outputs. Returns a handle."""
        from tinygrad_np import hooks  # noqa: PLC0415 (hooks imports tensor, which imports this)

        return hooks.register_node_prehook(self, hook)

    def register_hook(self, hook: Any) -> Any:
        """hook(grad_inputs, grad_outputs) after this node's rule; a tuple it returns
        replaces grad_inputs (one per tensor input, None where there is none)."""
        from tinygrad_np import hooks  # noqa: PLC0415

        return hooks.register_node_posthook(self, hook)

    def _saved(self, slot: int) -> Any:
        """The value saved for backward from argument `slot` (-1: the output), as a Tensor;
        PyTorch's `_saved_self`, `_saved_other`, `_saved_result` (an AttributeError if the
        op did not save it, or backward freed it). A leaf input is itself (as PyTorch's);
        a number operand of arithmetic (`x * 2`) a 0-d tensor. After backward freed it,
        PyTorch's RuntimeError ("Trying to backward through the graph a second time")."""
        from tinygrad_np.tensor import Tensor  # noqa: PLC0415 (tensor imports this)

        if self.saved_tensors is None and slot in self.saved_slots:  # freed: PyTorch's error
            from tinygrad_np.errors import FREED_GRAPH  # noqa: PLC0415

            raise RuntimeError(FREED_GRAPH.format(op=self.name()))
        saved = self.saved_tensors or ()
        for value, where in zip(saved, self.saved_slots):
            if where == slot and value is not None:
                parent = self.parents[slot] if 0 <= slot < len(self.parents) else None
                if isinstance(parent, Tensor) and _same_memory(value, parent._data):
                    return parent
                return Tensor._make(value, None)
        number = saved[slot] if type(self).__name__ in _OPERAND_OPS and 0 <= slot < len(
            saved) and self.parents[slot] is None else None
        if isinstance(number, (int, float, np.number)) and not isinstance(number, bool):
            return Tensor._make(np.asarray(number), None)
        raise AttributeError(f"{self.name()} has no saved value for "
                             f"{ {-1: 'its result', 0: 'self', 1: 'other'}[slot]} (not saved, or "
                             "freed by backward(); use retain_graph=True)")

    @property
    def _saved_exponent(self) -> Any:
        """pow's saved exponent, as PyTorch's PowBackward: the number, or a Tensor."""
        if type(self).__name__ != "Pow":
            raise AttributeError(f"{self.name()} has no attribute '_saved_exponent'")
        if hasattr(self, "exponent"):  # (a Python number: ops/power.py's Pow keeps it)
            return self.exponent
        saved = self.saved_tensors  # (pow saves base, exponent, result)
        if not saved:
            return self._saved(1)  # (freed by backward: its error)
        if not hasattr(saved[1], "shape"):
            return saved[1]
        from tinygrad_np.tensor import Tensor  # noqa: PLC0415 (tensor imports this)

        return Tensor._make(saved[1], None)

    _saved_self = property(lambda self: self._saved(0))
    _saved_other = property(lambda self: self._saved(1))
    _saved_result = property(lambda self: self._saved(-1))
    _raw_saved_self = property(lambda self: SavedTensor(self._saved(0)))
    _raw_saved_other = property(lambda self: SavedTensor(self._saved(1)))
    _raw_saved_result = property(lambda self: SavedTensor(self._saved(-1)))

    @property
    def _input_metadata(self) -> tuple:
        """PyTorch's metadata of this node's inputs (the gradients it takes: one per output
        of the op, here always one): shape, dtype, device."""
        return (InputMetadata(self.output_shape, self.output_dtype),)

    def __call__(self, *grad_outputs: Any) -> Any:
        """This node's rule on the gradient of its output, as PyTorch's `grad_fn(grad)`: the
        gradients of its inputs (None for a constant; as the rule gives them, before a
        broadcast input's sum), one Tensor or a tuple of them."""
        from tinygrad_np import autograd  # noqa: PLC0415 (autograd imports this module)
        from tinygrad_np.tensor import Tensor  # noqa: PLC0415

        if len(grad_outputs) != 1:
            raise TypeError(f"expected 1 arguments, got {len(grad_outputs)} instead")
        grad = grad_outputs[0]
        grad = np.asarray(grad._data if isinstance(grad, Tensor) else grad, self.output_dtype)
        if grad.shape != tuple(self.output_shape):
            raise RuntimeError(f"{self.name()}: the gradient given has shape {grad.shape}, the "
                               f"op's output {tuple(self.output_shape)}")
        grads = autograd._run_rule(self, grad)
        found = [grads[i] if self.parents[i] is not None and i < len(grads) else None
                 for i in self._input_positions()]
        found = [None if g is None else Tensor._make(np.array(g), None) for g in found]
        return found[0] if len(found) == 1 else tuple(found)

    def stale_error(self, index: int, now: int, saved: int) -> RuntimeError:
        """The error for saved value `index`, changed in place (version `saved` -> `now`)."""
        slot, name, parents = self.saved_slots[index], type(self).__name__, self.parents
        leaf = parents[slot] if slot in range(len(parents)) else None  # a leaf has its name
        what = (f"input {slot} {leaf.name!r}" if leaf is not None and not isinstance(
            leaf, NodeInfo) and leaf.name else {-1: "its output", None: "a view of an input or "
                                                "output"}.get(slot, f"input {slot}"))
        shape = tuple(getattr(self.saved_tensors[index], "shape", ()))
        return RuntimeError(  # (PyTorch's words first)
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: a tensor {name} saved for backward ({what}, shape {shape}) was "
            f"modified by an in-place operation: it is at version {now}; expected version "
            f"{saved} instead. Change it after backward(), or use an out-of-place op (t = t + x).")

    def __repr__(self) -> str:  # (NodeInfo.name: an op may keep its own `ctx.name`)
        return f"<{NodeInfo.name(self).rpartition('::')[2]} object at {id(self):#x}>"


def _same_memory(a: Any, b: Any) -> bool:
    """Are arrays a and b the same elements (b itself, or a view of all of it)?"""
    return a is b or (isinstance(a, np.ndarray) and a.shape == b.shape and
                      a.strides == b.strides and a.dtype == b.dtype and
                      a.__array_interface__["data"] == b.__array_interface__["data"])


class InputMetadata:
    """What PyTorch's `grad_fn._input_metadata` entries tell: shape, dtype, device."""

    is_nested_tensor = is_cpp_nested_tensor = False

    def __init__(self, shape: tuple, dtype: Any) -> None:
        self.shape, self.dtype = list(shape), torch_dtype(dtype)  # (a list, as PyTorch's)

    @property
    def device(self) -> Any:
        from tinygrad_np.device import device  # noqa: PLC0415

        return device("cpu")

    def __repr__(self) -> str:
        return f"InputMetadata(shape={tuple(self.shape)}, dtype={self.dtype.name})"


class SavedTensor:
    """PyTorch's `grad_fn._raw_saved_*`: the saved value, as `.data` (and `unpack()`).
    Hooks on one saved tensor are not supported: use autograd.graph.saved_tensors_hooks."""

    def __init__(self, value: Any) -> None:
        self.data = value

    def unpack(self) -> Any:
        return self.data

    def register_hooks(self, pack_hook: Any, unpack_hook: Any) -> None:
        raise NotImplementedError("SavedTensor.register_hooks: hooks on one saved tensor are "
                                  "not supported in tinygrad_np; use "
                                  "autograd.graph.saved_tensors_hooks(pack, unpack)")


def _accumulator(leaf: Any) -> AccumulateGrad:
    key = id(leaf)
    reference = _ACCUMULATORS.get(key)
    found = reference() if reference is not None else None
    if found is None:
        found = AccumulateGrad(leaf)

        def forget(dead: weakref.ref, key: int = key) -> None:
            if _ACCUMULATORS.get(key) is dead:
                del _ACCUMULATORS[key]

        _ACCUMULATORS[key] = weakref.ref(found, forget)
    return found
