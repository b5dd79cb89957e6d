"""Turn the graph behind a tensor into plain nodes and edges, and shrink big graphs.

Nothing here knows about Graphviz: `trace` reads the engine's graph (each op node's
`parents`, and what it saved for backward) into a `Graph` of `Node`s, and `collapse` rewrites a
too-big `Graph` into a smaller one. `draw.py` only turns the result into DOT.

The drawn graph alternates tensors and ops, as one writes it on paper::

    w (leaf) --> MatMul --> (intermediate) --> Add --> ... --> out (output)
    x0 (input) --^              b (leaf) --------^

The engine keeps no intermediate Tensor objects, only op nodes, and a node keeps only what its
backward needs, so an intermediate tensor is drawn from the op that produced it (its output
array while the op holds it for backward, else its shape and dtype), and a constant operand
only while an op holds it.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from tinygrad_np.errors import TensorError
from tinygrad_np.function import Function
from tinygrad_np.observing import observe
from tinygrad_np.tensor import Tensor, named_tensors, write_observers


def topological_order(roots: Sequence[Function]) -> list[Function]:
    """Every node reachable from `roots`, consumers before producers: newest first, since
    every node was recorded after the nodes it consumes (`Function._sequence`), the order
    backward() takes them in. Iterative (a 100,000-op chain is fine) and deterministic."""
    seen, stack = set(roots), list(roots)
    while stack:
        for parent in stack.pop().parents:
            if isinstance(parent, Function) and parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return sorted(seen, key=lambda node: -node._sequence)


# Node kinds.
LEAF = "leaf"  # a tensor created with requires_grad=True: a parameter (gets a .grad)
INPUT = "input"  # an array operand that needs no gradient: data, a constant
INTERMEDIATE = "intermediate"  # the result of an op, on the way to the output
OUTPUT = "output"  # the tensor the graph was traced from
OP = "op"  # an op (a Function node): Add, MatMul, ...
COLLAPSED = "collapsed"  # many nodes drawn as one, to keep a big graph readable

TENSOR_KINDS = (LEAF, INPUT, INTERMEDIATE, OUTPUT)


@dataclass(eq=False, slots=True)
class Node:
    """One node of a traced graph.

    `id` is "n<k>" for the k-th node in walk order (producers before consumers), so the same
    graph gets the same ids on every run. Tensor nodes fill `name` (from `Tensor(name=)`),
    `shape`, `dtype`, and `data`/`grad` when the arrays still exist. Op nodes fill `op`.
    `problem` is a short text such as "NaN in data" when something is not finite; for an op
    it is set only where the first non-finite value appears (finite inputs, non-finite
    output), which is where to look for the cause. A COLLAPSED node counts what it hides.
    """

    id: str
    kind: str
    name: str | None = None
    op: str | None = None
    shape: tuple[int, ...] | None = None
    dtype: np.dtype | None = None
    data: np.ndarray | None = None
    grad: np.ndarray | None = None
    problem: str = ""
    hidden_ops: Counter | None = None  # COLLAPSED only (a Counter per node would be slow)
    hidden_inputs: int = 0
    constants: str = ""  # OP only: its Python-number operands, "b = 2"
    on_path: bool = False  # on the way from where a NaN/Inf starts to the output


class Graph(NamedTuple):
    """Nodes in walk order (producers first: the output is last) and (source, target) edges.

    An edge from a tensor to an op means "is an input of"; from an op to a tensor, "produces".
    An op that uses the same tensor twice (`x * x`) has two edges from it.
    """

    nodes: list[Node]
    edges: list[tuple[str, str]]


def _non_finite(array: Any) -> str:
    """"NaN", "Inf" or "NaN/Inf" when a float array has such values, else ""."""
    if not isinstance(array, (np.ndarray, np.generic, float)):
        return ""
    array = np.asarray(array)
    if array.dtype.kind != "f":
        return ""
    # Most arrays in long chains are scalars; math.isfinite is much cheaper for them.
    if math.isfinite(array.item()) if array.size == 1 else np.isfinite(array).all():
        return ""
    has_nan, has_inf = bool(np.isnan(array).any()), bool(np.isinf(array).any())
    return "NaN/Inf" if has_nan and has_inf else ("NaN" if has_nan else "Inf")


def _tensor_problem(data: Any, grad: Any) -> str:
    problems = []
    for what, array in (("data", data), ("grad", grad)):
        kind = _non_finite(array) if array is not None else ""
        if kind:
            problems.append(f"{kind} in {what}")
    return ", ".join(problems)


def _grad_array(tensor: Tensor) -> np.ndarray | None:
    """A leaf's gradient as an array (it is a Tensor, possibly one with its own graph)."""
    grad = tensor._grad
    return None if grad is None else np.asarray(grad._data)


# Drawing keeps the values of micrograd-sized results (at most SMALL_RESULT elements: scalars
# and tiny vectors), and their constant operands of at most SMALL elements, so such a graph
# shows every value even after backward() freed what the ops saved; bigger values are shown
# only while an op holds them for its backward. An observer of the engine keeps them (the
# engine stores nothing for drawing); for any bigger result it returns at once.
SMALL = 16
SMALL_RESULT = 3


def _keep_small_values(ctx: Function, arrays: list, output: np.ndarray) -> None:
    """A micrograd-sized op (result of at most SMALL_RESULT elements, array operands of at
    most SMALL) keeps its operands, result and saved values in `ctx.small`: enough to draw it
    and to replay its rule after backward() (the drawing shows intermediate gradients, the
    trace works after backward()). A bigger result returns at once."""
    if output.size > SMALL_RESULT:
        return
    for array in arrays:
        if type(array) is np.ndarray and array.size > SMALL:
            break
    else:
        saved = ctx.saved_tensors
        if saved and None in ctx.saved_slots and not all(
                type(value) is not np.ndarray or value.size <= SMALL for value in saved):
            saved = None  # a big derived value: not kept, the rule cannot be replayed
        ctx.small = (arrays, output, saved)
        return
    kept = {-1: output}
    parents = ctx.parents
    for position, array in enumerate(arrays):
        if type(array) is np.ndarray and array.size <= SMALL and (
                position >= len(parents) or parents[position] is None):
            kept[position] = array
    ctx.small_values = kept


observe(_keep_small_values)


def _keep_values_written_over(tensors: tuple, array: np.ndarray) -> None:
    """Before an in-place write through a view changes memory that kept results share (the
    base's and the views' results, and the view ops between them), each keeps a copy: the
    picture shows every result as its op made it, not as later writes left its memory."""
    todo = [t.grad_fn for t in tensors if isinstance(t.grad_fn, Function)]
    seen: set[int] = set()
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        small, kept = getattr(node, "small", None), getattr(node, "small_values", None)
        if small is not None and np.may_share_memory(small[1], array):
            node.small = (small[0], small[1].copy(), small[2])
        elif kept and -1 in kept and np.may_share_memory(kept[-1], array):
            node.small_values = {**kept, -1: kept[-1].copy()}
        else:
            continue  # memory of its own: the ops before it made other memory
        todo.extend(p for p in node.parents if isinstance(p, Function))


write_observers.append(_keep_values_written_over)


def _held_values(function: Function) -> dict[int, Any]:
    """What is still known of a node's operands (by position) and output (-1)."""
    saved = function.saved_tensors or ()
    held = {slot: value for slot, value in zip(function.saved_slots, saved) if slot is not None}
    small = getattr(function, "small", None)
    if small is not None:
        kept = dict(enumerate(small[0]))
        kept[-1] = small[1]
    else:
        kept = getattr(function, "small_values", {})
    return {**kept, **held}


# Ops whose Python-number arguments are operands (`x * 2`), shown in the op's label.
NUMBER_OPERANDS = {"Add", "Sub", "Mul", "Div", "Pow", "Atan2", "LogAddExp", "Hypot", "Fmod",
                   "Remainder", "FloorDivide"}
MAX_REPLAY = 500  # graphs up to this many ops get their intermediate gradients replayed


def _constants(function: Function) -> str:
    """`"b = 2"` for `x * 2`: the Python numbers a tiny arithmetic op took as operands."""
    small = getattr(function, "small", None)
    if small is None or type(function).__name__ not in NUMBER_OPERANDS:
        return ""
    from tinygrad_np.viz.backward import input_names

    names, parents = input_names(type(function)), function.parents
    parts = []
    for position, value in enumerate(small[0]):  # (a 0-d tensor in the graph is no constant)
        if _is_number(value) and position < len(names) and parents[position] is None:
            parts.append(f"{names[position]} = {float(value):.4g}")
    return ", ".join(parts)


def _is_number(value: Any) -> bool:
    """A Python number operand (`x * 2`); a float with a float32 tensor arrives as the
    read-only 0-d float32 array `tensor._operand` made of it."""
    return type(value) in (int, float) or (type(value) is np.ndarray and value.ndim == 0
                                           and not value.flags.writeable)


def _constant_name(array: np.ndarray) -> str | None:
    """The name of the named constant Tensor holding `array`, if there is one."""
    for tensor in list(named_tensors.values()):
        if tensor._data is array and tensor.grad_fn is None:
            return tensor.name
    return None


def _intermediate_grads(tensor: Tensor, order: list[Function]) -> dict[Any, np.ndarray]:
    """Gradients of the intermediate results after a plain backward() of a small graph.

    backward() keeps only the leaves' gradients; for a micrograd-sized graph its chain rule
    is replayed from what the drawing observer kept (`viz.backward.replay`). They are shown
    only if the replay gives every leaf exactly the `.grad` it holds, that is, when the
    picture is of one backward() from this output.
    """
    if tensor._data.size != 1 or len(order) > MAX_REPLAY:
        return {}
    leaves = {id(p): p for node in order for p in node.parents if isinstance(p, Tensor)}
    if not leaves or any(leaf.grad is None for leaf in leaves.values()):
        return {}
    from tinygrad_np.viz.backward import replay

    try:
        grads = replay(tensor)
    except Exception:  # a rule that cannot run again: no intermediate gradients
        return {}
    for leaf in leaves.values():
        grad = grads.get(leaf)
        if grad is None or grad.shape != leaf.shape or not np.allclose(
                leaf.grad._data, grad, rtol=1e-6, atol=1e-12, equal_nan=True):
            return {}
    return grads


def trace(tensor: Tensor) -> Graph:
    """The graph that produced `tensor`, as nodes and edges (see `Graph` and `Node`).

    The walk is iterative (the engine's `topological_order`), so a 100,000-op chain is fine,
    and deterministic: node ids are a counter in walk order, never `id()`, so tracing two
    identical graphs gives identical results.

    Array operands that need no gradient (data such as `x0` in `x0 @ w`) are INPUT nodes
    while the graph still holds them: before `backward()`, or after
    `backward(retain_graph=True)`. A plain `backward()` frees them and they are left out.
    Python numbers (`2 * x`) and non-array arguments (an axis, a shape) are not drawn.
    """
    nodes: list[Node] = []
    edges: list[tuple[str, str]] = []
    by_id: dict[str, Node] = {}

    def add(kind: str, **fields: Any) -> Node:
        node = Node(id=f"n{len(nodes)}", kind=kind, **fields)
        nodes.append(node)
        by_id[node.id] = node
        return node

    root = tensor.grad_fn
    if root is None:  # a leaf or a constant: the graph is the tensor alone
        grad = _grad_array(tensor)
        add(LEAF if tensor.requires_grad else INPUT, name=tensor.name, shape=tensor.shape,
            dtype=tensor.dtype, data=tensor._data, grad=grad,
            problem=_tensor_problem(tensor._data, grad))
        return Graph(nodes, edges)

    produced: dict[int, str] = {}  # id(op node) -> id of the tensor node it outputs
    sources: dict[int, str] = {}  # id(leaf Tensor) or id(input array) -> its node id
    order = topological_order([root])
    grads = _intermediate_grads(tensor, order)
    packers: list[str] = []
    # Producers first, so every input of an op already has a node when the op is added.
    for function in reversed(order):
        held = _held_values(function)
        input_ids = []
        for position, parent in enumerate(function.parents):
            if isinstance(parent, Function):
                input_ids.append(produced[id(parent)])
            elif isinstance(parent, Tensor):
                if id(parent) not in sources:
                    grad = _grad_array(parent)
                    sources[id(parent)] = add(
                        LEAF, name=parent.name, shape=parent.shape, dtype=parent.dtype,
                        data=parent._data, grad=grad, problem=_tensor_problem(parent._data, grad),
                    ).id
                input_ids.append(sources[id(parent)])
            elif isinstance(held.get(position), np.ndarray) and not _is_number(held[position]):
                array = held[position]
                # Keyed by the array itself: `x0` used by two ops is one node.
                if id(array) not in sources:
                    sources[id(array)] = add(
                        INPUT, name=_constant_name(array), shape=array.shape,
                        dtype=array.dtype, data=array,
                        problem=_tensor_problem(array, None),
                    ).id
                input_ids.append(sources[id(array)])

        output = held.get(-1)
        output_problem = _non_finite(output) if output is not None else ""
        op_problem = ""
        # The first non-finite value appears here if every input is known to be finite
        # (an input whose values are not kept any more cannot vouch for itself).
        inputs_known_finite = all(  # (their values: a gradient's Inf is no input's)
            by_id[i].data is not None and "in data" not in by_id[i].problem
            for i in input_ids)
        if output_problem and inputs_known_finite:
            op_problem = f"{output_problem} starts here"
        op = add(OP, op=type(function).__name__, problem=op_problem,
                 constants=_constants(function))
        edges.extend((input_id, op.id) for input_id in input_ids)

        name = getattr(function, "output_name", None)
        grad = grads.get(function)
        if function is root:
            grad = _grad_array(tensor) if grad is None else grad
            result = add(OUTPUT, name=tensor.name, shape=tensor.shape, dtype=tensor.dtype,
                         data=tensor._data, grad=grad, problem=_tensor_problem(tensor._data, grad))
        elif output is not None:
            result = add(INTERMEDIATE, name=name, shape=output.shape, dtype=output.dtype,
                         data=output, grad=grad, problem=_tensor_problem(output, grad))
        else:  # not held (or freed by backward): its shape and dtype
            result = add(INTERMEDIATE, name=name, shape=function.output_shape,
                         dtype=function.output_dtype)
        produced[id(function)] = result.id
        edges.append((op.id, result.id))
        if len(getattr(function, "_outputs", ())) > 1 or op.op in PACKING_OPS:
            packers.append(op.id)
    nodes, edges = _fold_unpacking(nodes, edges, packers)
    _mark_paths(nodes, edges)
    return Graph(nodes, edges)


# Ops whose several results travel as one packed array, cut apart by view ops (a
# torch.autograd.Function returning a tuple is found by its ctx._outputs).
PACKING_OPS = {"SVD", "Eigh"}
UNPACKING_OPS = ("GetItem", "Reshape", "Clone", "Cast")  # in this order, each at most once


def _fold_unpacking(nodes: list[Node], edges: list[tuple[str, str]], packers: list[str]
                    ) -> tuple[list[Node], list[tuple[str, str]]]:
    """An op with several outputs drawn as one op with an arrow to each output: the packed
    array and the GetItem/Reshape/Clone ops that cut it apart are the engine's plumbing (a
    learner's two-output Function is one ellipse, as in PyTorch's graph)."""
    if not packers:
        return nodes, edges
    kinds = {node.id: node for node in nodes}
    consumers: dict[str, list[str]] = {}
    sources: dict[str, list[str]] = {}
    for source, target in edges:
        consumers.setdefault(source, []).append(target)
        sources.setdefault(target, []).append(source)

    def unpacking(op_id: str, tensor_id: str, after: int = -1) -> bool:
        """Whether op_id cuts tensor_id alone, as the next step after UNPACKING_OPS[after]
        (so a user's own `s[0]` or reshape after the cut stays drawn)."""
        op = kinds[op_id].op
        return (op in UNPACKING_OPS and UNPACKING_OPS.index(op) > after
                and sources.get(op_id) == [tensor_id])

    gone: set[str] = set()
    shortcuts: dict[str, str] = {}  # packed tensor -> op, and each output's first cut -> op
    for packer in packers:
        (packed,) = consumers.get(packer, [None])
        cuts = consumers.get(packed, [])
        if not cuts or not all(kinds[cut].op == "GetItem" and unpacking(cut, packed)
                               for cut in cuts):
            continue
        gone.add(packed)
        for cut in cuts:
            op, result = cut, consumers[cut][0]
            while True:
                gone.add(op)
                following = consumers.get(result, [])
                if len(following) != 1 or not unpacking(
                        following[0], result, UNPACKING_OPS.index(kinds[op].op)):
                    break
                gone.add(result)
                op, result = following[0], consumers[following[0]][0]
            shortcuts[result] = packer
    if not gone:
        return nodes, edges
    kept = [(source, target) for source, target in edges
            if source not in gone and target not in gone]
    for result, packer in shortcuts.items():
        kept.append((packer, result))
    order = {node.id: position for position, node in enumerate(nodes)}
    kept.sort(key=lambda edge: (order[edge[1]], order[edge[0]]))  # walk order, as before
    return [node for node in nodes if node.id not in gone], kept


def _mark_paths(nodes: list[Node], edges: list[tuple[str, str]]) -> None:
    """Mark every node on a path from an op where a NaN/Inf starts to the output."""
    starts = [node.id for node in nodes if node.kind == OP and "starts here" in node.problem]
    if not starts:
        return
    following: dict[str, list[str]] = {}
    for source, target in edges:
        following.setdefault(source, []).append(target)
    by_id = {node.id: node for node in nodes}
    stack = list(starts)
    while stack:
        node = by_id[stack.pop()]
        if not node.on_path:
            node.on_path = True
            stack.extend(following.get(node.id, ()))


# ----------------------------------------------------------------------------- collapsing


def collapse(graph: Graph, max_nodes: int, keep_ends: int = 2) -> Graph:
    """A version of `graph` with at most `max_nodes` nodes (returned as is if it fits).

    First, long linear runs of ops (each op's only producer is the previous op, which has
    no other consumer) become one COLLAPSED node between the run's first input and last
    output, keeping `keep_ends` ops visible at each end for context; the longest runs go
    first, and only as many as needed. If that is not enough the runs are collapsed whole.
    If the graph is still too big (it is wide, not deep), the nodes farthest from the output
    are gathered into one COLLAPSED node, so the part nearest the result stays readable.
    """
    if max_nodes < 2:
        raise TensorError(f"max_nodes must be at least 2, got {max_nodes}")
    if len(graph.nodes) <= max_nodes:
        return graph
    inputs, outputs = _neighbours(graph)
    runs = _linear_runs(graph, inputs, outputs)
    for keep in dict.fromkeys((keep_ends, 0)):  # try keeping context first
        smaller = _collapse_runs(graph, inputs, outputs, runs, max_nodes, keep)
        if len(smaller.nodes) <= max_nodes:
            return smaller
    return _collapse_far_nodes(smaller, max_nodes)


def _neighbours(graph: Graph) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    inputs: dict[str, list[str]] = {node.id: [] for node in graph.nodes}
    outputs: dict[str, list[str]] = {node.id: [] for node in graph.nodes}
    for source, target in graph.edges:
        outputs[source].append(target)
        inputs[target].append(source)
    return inputs, outputs


def _linear_runs(graph: Graph, inputs: dict, outputs: dict) -> list[list[str]]:
    """Maximal runs of ops each fed only by the previous one (which feeds nothing else)."""
    kinds = {node.id: node.kind for node in graph.nodes}
    producers: dict[str, set[str]] = {}  # (once per op: a wide op, `stack` of 5,000 results,
    # is every one of its producers' consumer, and rebuilding its set each time was quadratic)

    def producer_ops(op: str) -> set[str]:
        if op not in producers:
            producers[op] = {inputs[tensor][0] for tensor in inputs[op] if inputs[tensor]}
        return producers[op]

    def consumer_ops(op: str) -> set[str]:
        return {consumer for tensor in outputs[op] for consumer in outputs[tensor]}

    following: dict[str, str] = {}
    for node in graph.nodes:
        if node.kind != OP:
            continue
        consumers = consumer_ops(node.id)
        if len(consumers) == 1:
            (consumer,) = consumers
            if kinds[consumer] == OP and producer_ops(consumer) == {node.id}:
                following[node.id] = consumer
    preceded = set(following.values())
    runs = []
    for node in graph.nodes:  # walk order, so runs come out in a stable order
        if node.kind == OP and node.id not in preceded:
            run = [node.id]
            while run[-1] in following:
                run.append(following[run[-1]])
            runs.append(run)
    return runs


def _collapse_runs(
    graph: Graph, inputs: dict, outputs: dict, runs: list[list[str]], max_nodes: int, keep: int
) -> Graph:
    kinds = {node.id: node.kind for node in graph.nodes}
    runs = sorted(runs, key=len, reverse=True)  # stable: ties keep walk order
    groups: list[set[str]] = []
    size = len(graph.nodes)
    output = graph.nodes[-1].id
    last_op = inputs[output][0] if inputs[output] else None
    for run in runs:
        # The op that makes the output always stays visible: hiding it (with the leaves only
        # the run uses, 1,000 stacked scalars say) would leave a picture of one box.
        end = len(run) - max(keep, run[-1] == last_op)
        hidden_ops = run[keep:end]
        if len(hidden_ops) < 2 or size <= max_nodes:
            continue
        hidden = set(hidden_ops)
        hidden.update(outputs[op][0] for op in hidden_ops[:-1])  # tensors inside the run
        # Leaves and inputs that only the hidden ops use go too; shared ones stay visible.
        for op in hidden_ops:
            for source in inputs[op]:
                if kinds[source] in (LEAF, INPUT) and set(outputs[source]) <= hidden:
                    hidden.add(source)
        groups.append(hidden)
        size -= len(hidden) - 1
    return _merge(graph, groups)


def _collapse_far_nodes(graph: Graph, max_nodes: int) -> Graph:
    """Keep the `max_nodes - 1` nodes nearest the output (breadth-first); merge the rest."""
    inputs, _ = _neighbours(graph)
    output = graph.nodes[-1].id
    near = {output: None}
    queue = deque([output])
    while queue and len(near) < max_nodes - 1:
        for source in inputs[queue.popleft()]:
            if source not in near and len(near) < max_nodes - 1:
                near[source] = None
                queue.append(source)
    far = {node.id for node in graph.nodes} - near.keys()
    return _merge(graph, [far])


def _merge(graph: Graph, groups: list[set[str]]) -> Graph:
    """Replace each group of node ids by one COLLAPSED node, keeping edges across groups."""
    if not groups:
        return graph
    group_of = {node_id: index for index, group in enumerate(groups) for node_id in group}
    first = sum(node.kind == COLLAPSED for node in graph.nodes)  # ids not yet taken
    merged = [
        Node(id=f"c{first + index}", kind=COLLAPSED, hidden_ops=Counter())
        for index in range(len(groups))
    ]
    placed: set[int] = set()
    nodes: list[Node] = []
    for node in graph.nodes:
        index = group_of.get(node.id)
        if index is None:
            nodes.append(node)
            continue
        collapsed = merged[index]
        if index not in placed:  # where its first hidden node was, to keep the order
            placed.add(index)
            nodes.append(collapsed)
        if node.kind == COLLAPSED:  # merging an already collapsed node: add up its counts
            collapsed.hidden_ops.update(node.hidden_ops)
            collapsed.hidden_inputs += node.hidden_inputs
        elif node.kind == OP:
            collapsed.hidden_ops[node.op] += 1
        elif node.kind in (LEAF, INPUT):
            collapsed.hidden_inputs += 1
        if node.problem and not collapsed.problem:
            collapsed.problem = "NaN/Inf inside"

    def representative(node_id: str) -> str:
        index = group_of.get(node_id)
        return node_id if index is None else merged[index].id

    edges: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for source, target in graph.edges:
        edge = (representative(source), representative(target))
        if edge[0] == edge[1]:
            continue
        if edge == (source, target):  # between visible nodes: keep duplicates (x * x)
            edges.append(edge)
        elif edge not in seen:  # into or out of a collapsed node: once is enough
            seen.add(edge)
            edges.append(edge)
    return Graph(nodes, edges)
