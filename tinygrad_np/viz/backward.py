"""What backward does, step by step: `trace_backward(loss)` and `graph_stats(t)`.

`trace_backward` walks the graph in the engine's own order (`topological_order`) and applies
each node's rule itself, as `backward(retain_graph=True)` would, writing down every step: the
upstream gradient a node receives, its rule in words (from the op's docstring: the text after
the `;` of `"y = exp(x);  dx = g * y."`), what it sends to each input, every sum of a
broadcast gradient back to its input's shape, and every accumulation where a tensor receives
its second, third... contribution. It changes no `.grad` and frees nothing.

The same walk (`replay`) gives the drawing the gradient of every intermediate tensor of a
micrograd-sized graph after a plain `backward()`: the drawing observer keeps what the rules of
such tiny nodes need (see `viz.trace`), so nothing is paid during `backward()` itself.
"""

from __future__ import annotations

import inspect
import weakref
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np

from tinygrad_np import hooks
from tinygrad_np.autograd import _seeds, unbroadcast
from tinygrad_np.function import Function, no_grad
from tinygrad_np.tensor import Tensor, given_backward_gradient
from tinygrad_np.viz.trace import topological_order

TINY = 6  # gradients with at most this many elements are shown in full


class GraphFreed(RuntimeError):
    """A node's rule needs arrays that backward() already freed (and that were not kept)."""


# ----------------------------------------------------------------------------- the walk
def _saved_for_replay(node: Function) -> tuple | None:
    """The node's saved values: still held, or kept by the drawing observer; None if gone."""
    saved = node.saved_tensors
    if saved is not None:
        for _, counter, version in node.saved_versions:
            if counter[0] != version:
                raise RuntimeError(
                    f"trace: a value {type(node).__name__} saved for backward was modified in "
                    "place since the forward pass")
        return saved
    small = getattr(node, "small", None)
    return None if small is None else small[2]


def _run_rule(node: Function, grad_output: Any) -> tuple:
    """The node's rule on `grad_output` (arrays), as a tuple with one entry per parent."""
    saved = _saved_for_replay(node)
    if saved is None:
        raise GraphFreed(
            f"the graph was freed by backward(): {type(node).__name__}'s saved arrays are gone. "
            "Trace before backward() (or call backward(retain_graph=True)); tiny graphs are "
            "kept and can be traced after backward() too.")
    held = node.saved_tensors
    node.saved_tensors = saved
    try:
        with no_grad(), np.errstate(all="ignore"):
            grads = type(node).backward(node, grad_output)
    finally:
        node.saved_tensors = held
    if type(grads) is not tuple:
        grads = tuple(grads) if isinstance(grads, list) else (grads,)
    return grads + (None,) * (len(node.parents) - len(grads))


def _shape_of(parent: Any) -> tuple:
    return parent.output_shape if isinstance(parent, Function) else parent.shape


def replay(root: Tensor, seed: Any = None, on_step: Any = None,
           with_hooks: bool = False) -> dict[Any, np.ndarray]:
    """Run backward's chain rule from `root` without touching `.grad` or freeing anything.

    Returns {node or leaf Tensor: gradient of its output}. A part of the graph whose rules
    cannot run any more (freed by backward()) is left out, with everything below it.
    `on_step(kind, **details)` is told every step (used by `trace_backward`). `with_hooks`
    runs the tensors' hooks where backward() runs them (module backward hooks included), so
    the gradients are the ones backward() gives.
    """
    if root.grad_fn is None:
        return {}
    if seed is None:
        if root._data.size != 1:
            raise RuntimeError(f"trace_backward: the output has shape {root.shape}; pass "
                               "gradient= (or trace a .sum())")
        seed = np.ones(root.shape, root.dtype)
    seed = np.asarray(seed._data if isinstance(seed, Tensor) else seed, dtype=root.dtype)
    report = on_step or (lambda kind, **details: None)
    report("seed", node=root.grad_fn, gradient=seed)
    pending: dict[Any, Any] = {root.grad_fn: seed}
    counts: Counter = Counter()
    done: dict[Any, Any] = {}
    lost: set = set()  # nodes and leaves whose gradient would be incomplete
    for node in topological_order([root.grad_fn]):
        grad_output = pending.pop(node, None)
        if node in lost:
            lost.update(p for p in node.parents if p is not None)
            continue
        if grad_output is None:  # its consumers' rules gave it no gradient
            continue
        if with_hooks and node.hooks:  # as the engine: an op output's hooks, then its rule
            grad_output = np.asarray(hooks.run_hooks(node, grad_output, False))
            report("hook", node=node, gradient=grad_output)
        done[node] = grad_output
        try:
            grads = _run_rule(node, grad_output)
        except GraphFreed:
            if on_step is not None:
                raise
            lost.update(p for p in node.parents if p is not None)
            continue
        report("rule", node=node, gradient=grad_output)
        for position, (parent, grad) in enumerate(zip(node.parents, grads)):
            if parent is None or grad is None:
                continue
            grad = np.asarray(grad._data if isinstance(grad, Tensor) else grad)
            report("send", node=node, position=position, target=parent, gradient=grad)
            shape = _shape_of(parent)
            if grad.shape != shape:
                before = grad.shape
                grad = np.asarray(unbroadcast(grad, shape, type(node).__name__))
                report("sum", node=node, position=position, target=parent, gradient=grad,
                       before=before)
            counts[parent] += 1
            if parent in pending:
                pending[parent] = pending[parent] + grad
                report("accumulate", node=node, target=parent, gradient=pending[parent],
                       count=counts[parent])
            else:
                pending[parent] = grad
    for key, grad in pending.items():  # what is left: the leaves
        if key not in lost:
            if with_hooks and getattr(key, "_hooks", ()):  # a leaf's, on its complete sum
                grad = np.asarray(hooks.run_hooks(key, grad, False))
                report("hook", node=key, gradient=grad)
            done[key] = grad
    return done


# ----------------------------------------------------------------------------- the table
_PER_OP: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # op -> (rule, names):
# read once per op class (inspect is slow: a 20,000-node graph asked 20,000 times)


def _per_op(op: type) -> tuple[str, tuple[str, ...]]:
    found = _PER_OP.get(op)
    if found is None:
        found = _PER_OP[op] = (_rule_in_words(op), tuple(_input_names(op)))
    return found


def rule_in_words(op: type) -> str:
    """The rule from an op's own docstring (not a base class's): the text after the first `;`
    of its first paragraph; for an op without one (a user's Function), its backward's name."""
    return _per_op(op)[0]


def input_names(op: type) -> list[str]:
    """The names of an op's forward arguments (after ctx): `["a", "b"]` for Add."""
    return list(_per_op(op)[1])


def _rule_in_words(op: type) -> str:
    doc = inspect.cleandoc(op.__dict__.get("__doc__") or "")
    first = " ".join(doc.split("\n\n")[0].split())
    if ";" not in first:
        return f"{op.__name__}.backward (no rule in its docstring)"
    return first.split(";", 1)[1].strip().rstrip(".")


def _input_names(op: type) -> list[str]:
    try:
        parameters = list(inspect.signature(op.forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return []
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return []
    return [p.name for p in parameters]


def summarize(array: Any) -> str:
    """A gradient in a few characters: its values when tiny, else shape and min/max/mean."""
    array = np.asarray(array)
    if array.size <= TINY:
        if array.ndim == 0:
            return f"{array.item():.4g}"
        return _nested(array.tolist())  # (not np.array2string: 30x slower, per table cell)
    data = array.astype(np.float64)
    return (f"{array.shape} min {np.min(data):.4g} max {np.max(data):.4g} "
            f"mean {np.mean(data):.4g}")


def _nested(values: Any) -> str:
    """`[[1, 2], [3, 4]]`: a tiny array's values on one line, each to 4 digits."""
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v) for v in values) + "]"
    return f"{values:.4g}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class TraceRow:
    """One step of backward.

    `step` numbers the node visits (the seed is 0, the leaves' results have None); `kind`
    is "seed", "hook" (a tensor's hooks gave `grad` as its gradient), "rule" (a node
    receives its upstream gradient `grad` and applies `text`, its rule), "send" (the rule's
    `text` gradient goes to tensor `to`), "sum" (a broadcast gradient summed back to `to`'s
    shape), "accumulate" (`to` receives another contribution: `grad` is its running total)
    or "leaf" (a leaf's final gradient).
    """

    step: int | None
    kind: str
    node: str
    op: str
    text: str
    to: str
    grad: str
    value: np.ndarray | None = field(default=None, compare=False, repr=False)

    def cells(self) -> tuple[str, ...]:
        return ("" if self.step is None else str(self.step), self.node, self.op, self.kind,
                self.text, self.to, self.grad)


HEADER = ("#", "node", "op", "step", "rule / what happens", "to", "gradient")


class BackwardTrace:
    """The rows of `trace_backward`, in the order backward visits the nodes.

    `print(trace)` (or `str`) gives an aligned table; Jupyter shows it as an HTML table.
    `trace.rows` are `TraceRow`s, `trace.grads` maps each leaf's name (or label) to its
    gradient, the same that `backward()` adds to `.grad`.
    """

    def __init__(self, rows: list[TraceRow], grads: dict[str, np.ndarray]) -> None:
        self.rows = rows
        self.grads = grads

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __str__(self) -> str:
        table = [HEADER] + [row.cells() for row in self.rows]
        widths = [max(len(cells[i]) for cells in table) for i in range(len(HEADER))]
        lines = []
        for index, cells in enumerate(table):
            lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{escape(h)}</th>" for h in HEADER)
        body = []
        for row in self.rows:
            style = {"rule": "font-weight:bold", "accumulate": "color:#b45309",
                     "sum": "color:#7c3aed", "leaf": "color:#2563eb"}.get(row.kind, "")
            cells = "".join(f"<td style='text-align:left'>{escape(c)}</td>" for c in row.cells())
            body.append(f"<tr style='{style}'>{cells}</tr>")
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}"
                "</tbody></table>")


class _Labels:
    """Names for the tensors of a graph: the user's name, else v1, v2... for intermediate
    results and leaf1, leaf2... for leaves, in forward order; a name already taken gets
    "#2", "#3"... (two leaves named "p" are "p" and "p#2")."""

    def __init__(self, root: Tensor) -> None:
        self.labels: dict[Any, str] = {}
        self.used: Counter = Counter()
        results = leaves = 0
        for node in reversed(topological_order([root.grad_fn])):
            for parent in node.parents:
                if isinstance(parent, Tensor) and parent not in self.labels:
                    leaves += 1
                    self._name(parent, _printable(parent.name) or f"leaf{leaves}")
            name = root.name if node is root.grad_fn else getattr(node, "output_name", None)
            results += 1
            self._name(node, _printable(name) or f"v{results}")

    def _name(self, key: Any, label: str) -> None:
        """`label`, or "label#2", "label#3"... for the second and later tensors so named."""
        self.used[label] += 1
        while self.used[label] > 1 and f"{label}#{self.used[label]}" in self.used:
            self.used[label] += 1
        unique = label if self.used[label] == 1 else f"{label}#{self.used[label]}"
        self.used[unique] += unique != label
        self.labels[key] = unique

    def __getitem__(self, key: Any) -> str:
        return self.labels[key]


def _printable(name: str | None) -> str | None:
    """A name on one line of the table: control characters written as escapes ("\\n")."""
    return None if name is None else "".join(
        c if c.isprintable() else repr(c)[1:-1] for c in name)


def trace_backward(output: Tensor, gradient: Any = None) -> BackwardTrace:
    """The table of what `output.backward(gradient)` does, in the order it does it.

    Rows: the seed; for every node, the upstream gradient it receives and its rule in words,
    the gradient it sends to each input, each broadcast sum ("summed axes (0,): (32, 10) ->
    (10,)") and each accumulation into a tensor that receives more than one contribution;
    finally every leaf's gradient. Gradients show their values when they have at most six
    elements, else their shape, min, max and mean.

    Nothing changes: no `.grad` is written and the graph is not freed (call it before
    `backward()`; a micrograd-sized graph can also be traced after a plain `backward()`).
    The tensors' hooks (and modules' backward hooks) run where backward() runs them, each
    a "hook" row, so the table's gradients are backward()'s; a hook with side effects (one
    that counts its calls or removes itself) sees the trace as one more pass.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"trace_backward: expected a Tensor, got {type(output).__name__}")
    if output.grad_fn is None:
        raise RuntimeError("trace_backward: this tensor has no graph (it is a leaf or was "
                           "computed without requires_grad)")
    if gradient is not None or output._data.size != 1:  # backward()'s checks, its errors
        gradient = _seeds([output], [given_backward_gradient(gradient)], False)[0]
    labels = _Labels(output)
    rows: list[TraceRow] = []
    step = [0]

    def on_step(kind: str, node: Function, gradient: np.ndarray, **details: Any) -> None:
        op = type(node).__name__
        if kind == "seed":
            rows.append(TraceRow(0, "seed", labels[node], op, f"d {labels[node]} / d "
                                 f"{labels[node]} = 1" if gradient.size == 1 and
                                 np.all(gradient == 1) else "the gradient given", "",
                                 summarize(gradient), gradient))
            return
        if kind == "hook":
            rows.append(TraceRow(step[0], "hook", labels[node], "", f"hooks of {labels[node]} "
                                 f"give its gradient", "", summarize(gradient), gradient))
            return
        if kind == "rule":
            step[0] += 1
            rows.append(TraceRow(step[0], "rule", labels[node], op, rule_in_words(type(node)),
                                 "", summarize(gradient), gradient))
            return
        target = labels[details["target"]]
        if kind == "send":
            names = input_names(type(node))
            position = details["position"]
            text = f"d{names[position]}" if position < len(names) else f"input {position}"
            rows.append(TraceRow(step[0], "send", labels[node], op, text, target,
                                 summarize(gradient), gradient))
        elif kind == "sum":
            before = details["before"]
            extra = len(before) - len(gradient.shape)
            axes = tuple(range(extra)) + tuple(
                extra + i for i, size in enumerate(gradient.shape)
                if size == 1 and before[extra + i] != 1)
            rows.append(TraceRow(step[0], "sum", labels[node], op,
                                 f"summed axes {axes}: {before} -> {gradient.shape}", target,
                                 summarize(gradient), gradient))
        else:
            rows.append(TraceRow(step[0], "accumulate", labels[node], op,
                                 f"{_ordinal(details['count'])} contribution, running total",
                                 target, summarize(gradient), gradient))

    grads = replay(output, gradient, on_step, with_hooks=True)
    leaf_grads = {}
    for key, grad in grads.items():
        if isinstance(key, Tensor):
            leaf_grads[labels[key]] = grad
            rows.append(TraceRow(None, "leaf", labels[key], "", f"{labels[key]}.grad", "",
                                 summarize(grad), grad))
    return BackwardTrace(rows, leaf_grads)


# ----------------------------------------------------------------------------- statistics
@dataclass
class GraphStats:
    """What `graph_stats` counts (see there)."""

    nodes: int
    depth: int
    ops: Counter
    parameters: int
    parameter_elements: int
    inputs: int
    saved_bytes: int
    reused: int

    def __str__(self) -> str:
        kinds = ", ".join(f"{op} ×{n}" for op, n in self.ops.most_common())
        return (f"{self.nodes} ops ({kinds}), depth {self.depth}; "
                f"{_count(self.parameters, 'parameter')} "
                f"({_count(self.parameter_elements, 'element')}); "
                f"{_count(self.inputs, 'constant input')}; "
                f"{self.saved_bytes:,} bytes saved for backward; {self.reused} tensors used "
                "by more than one op (their gradients are sums)")


def _count(number: int, noun: str) -> str:
    """"1 parameter", "2 parameters", "1,024 elements"."""
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def graph_stats(tensor: Tensor) -> GraphStats:
    """Counts of the graph behind `tensor`.

    `nodes`: ops; `depth`: the most ops on one path from a leaf to `tensor`; `ops`: a
    Counter by op name; `parameters` and `parameter_elements`: the leaves with
    requires_grad=True and their total size; `inputs`: array operands that need no gradient,
    while the graph holds them; `saved_bytes`: bytes of the distinct arrays the nodes hold
    for backward (saved values and array attributes such as masks); `reused`: tensors (op
    results and leaves) used more than once, reached by more than one path from `tensor`.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph_stats: expected a Tensor, got {type(tensor).__name__}")
    if tensor.grad_fn is None:
        leaf = int(tensor.requires_grad)
        return GraphStats(0, 0, Counter(), leaf, tensor._data.size * leaf, 0, 0, 0)
    order = topological_order([tensor.grad_fn])
    ops = Counter(type(node).__name__ for node in order)
    depth: dict[Any, int] = {}
    uses: Counter = Counter()
    leaves: dict[int, Tensor] = {}
    buffers: dict[int, int] = {}
    inputs: set[int] = set()

    def hold(array: Any) -> None:
        if isinstance(array, np.ndarray):
            base = array
            while isinstance(base.base, np.ndarray):
                base = base.base
            buffers[id(base)] = base.nbytes

    for node in reversed(order):  # producers first
        depth[node] = 1 + max((depth[p] for p in node.parents if isinstance(p, Function)),
                              default=0)
        for parent in node.parents:
            if parent is not None:
                uses[parent] += 1
            if isinstance(parent, Tensor):
                leaves[id(parent)] = parent
        for value in node.saved_tensors or ():
            hold(value)
        for slot, value in zip(node.saved_slots, node.saved_tensors or ()):
            if slot is not None and slot >= 0 and (slot >= len(node.parents)
                                                   or node.parents[slot] is None):
                if isinstance(value, np.ndarray):
                    inputs.add(id(value))
        for value in vars(node).values():
            hold(value)
    return GraphStats(
        nodes=len(order), depth=depth[tensor.grad_fn], ops=ops, parameters=len(leaves),
        parameter_elements=sum(leaf._data.size for leaf in leaves.values()), inputs=len(inputs),
        saved_bytes=sum(buffers.values()), reused=sum(1 for n in uses.values() if n > 1))
