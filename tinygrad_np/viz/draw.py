"""Draw a traced graph with Graphviz: `draw_graph` (a `graphviz.Digraph`) and `render` (a file).

The `graphviz` Python package is imported inside the functions, so `import tinygrad_np`
works without it; rendering a picture also needs the Graphviz program `dot`.
"""

from __future__ import annotations

import math
import os
import re
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_np.errors import TensorError
from tinygrad_np.tensor import Tensor
from tinygrad_np.viz.trace import (
    COLLAPSED,
    INPUT,
    INTERMEDIATE,
    LEAF,
    OP,
    OUTPUT,
    Node,
    collapse,
    trace,
)

if TYPE_CHECKING:
    import graphviz

# (fill, border) per node kind; see the legend in draw_graph's docstring.
COLOURS = {
    LEAF: ("#dbeafe", "#2563eb"),  # blue: parameters, the tensors that get a .grad
    INPUT: ("#f3f4f6", "#9ca3af"),  # grey: data and constants
    INTERMEDIATE: ("#ffffff", "#9ca3af"),  # white: results on the way
    OUTPUT: ("#dcfce7", "#16a34a"),  # green: the tensor the graph was drawn from
    OP: ("#fef3c7", "#d97706"),  # amber ellipse: an op
    COLLAPSED: ("#ede9fe", "#7c3aed"),  # violet, dashed: many nodes drawn as one
}
PROBLEM_COLOURS = ("#fee2e2", "#dc2626")  # red: NaN or Inf
GRAD_COLOUR = "#b45309"
META_COLOUR = "#4b5563"
DEFAULT_TITLES = {LEAF: "leaf", INPUT: "input", OUTPUT: "output"}

SMALL = 6  # tensors with at most this many elements show their values
PREVIEW = 10  # show_data: 1-D tensors up to this size in full, else the ends
LONGEST_NAME = 80  # longer names and op names are cut, with "…", to keep boxes readable
RANKDIRS = ("LR", "TB", "RL", "BT")
_PLAIN_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # an op name that needs no escaping


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "drawing the graph needs the graphviz Python package: pip install graphviz "
            "(and, to render pictures, the Graphviz program: apt-get install graphviz, "
            "brew install graphviz or conda install -c conda-forge graphviz)"
        ) from None
    return graphviz


def _text(text: str, limit: int | None = LONGEST_NAME) -> str:
    """`text` made safe inside a Graphviz HTML-like label, shown as written.

    Control characters and lone surrogates show as Python escapes (a newline as `\\n`),
    `& < > "` become entities and a backslash is doubled: Graphviz expands `\\N`, `\\G`, ...
    even inside HTML-like labels (and after decoding entities).
    """
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)
    return escape(text, quote=True).replace("\\", "\\\\")


def _op_label(op: str) -> str:
    """An op's class name as a label: plain when it is a plain identifier, else escaped."""
    return op if _PLAIN_ID.fullmatch(op) else f"<{_text(op)}>"


def _values(array: np.ndarray) -> str:
    """The values on one line: all of them when few, else the ends of each axis."""
    if array.size <= SMALL or (array.ndim <= 1 and array.size <= PREVIEW):
        threshold, edgeitems = array.size + 1, 3
    else:
        # One item per end of each axis of a matrix keeps the label short: [[a, …], …, [… z]].
        threshold, edgeitems = 0, 3 if array.ndim <= 1 else 1
    # 4 significant digits, no padding: "[0.1, -0.6929, 1.476e+05]" (NumPy pads columns).
    text = np.array2string(
        np.asarray(array), separator=", ", threshold=threshold, edgeitems=edgeitems,
        max_line_width=10**9, formatter={"float_kind": _number},
    )
    return " ".join(text.split()).replace("...", "…")


def _wrap(text: str, width: int = 44) -> str:
    """Break a long list of values after commas into even lines: keeps boxes narrow."""
    if len(text) <= width:
        return text
    pieces = text.split(", ")
    per_line = math.ceil(len(pieces) / math.ceil(len(text) / width))
    lines = [", ".join(pieces[i : i + per_line]) for i in range(0, len(pieces), per_line)]
    return ",<BR/>".join(lines)


def _number(value: float) -> str:
    return f"{value:.4g}"


def _norm(array: np.ndarray) -> str:
    return _number(np.sqrt(np.sum(np.square(array, dtype=np.float64))))


def _tensor_label(node: Node, show_data: bool, show_grad: bool) -> str:
    lines = []
    if node.name is not None and not isinstance(node.name, str):
        raise TypeError(f"draw_graph: a tensor's name must be a str (or None), got "
                        f"{node.name!r} of type {type(node.name).__name__}")
    title = node.name or DEFAULT_TITLES.get(node.kind)
    if title:
        lines.append(f"<B>{_text(title)}</B>")
    # "scalar" rather than "()", which reads as a typo to a newcomer.
    shape = str(tuple(node.shape)) if node.shape else "scalar"
    meta = _text(f"{shape} {node.dtype.name}", None)
    lines.append(f'<FONT COLOR="{META_COLOUR}" POINT-SIZE="10">{meta}</FONT>')
    if node.data is not None and (node.data.size <= SMALL or show_data):
        lines.append(_wrap(_text(f"data {_values(node.data)}", None)))
    if show_grad and node.grad is not None:
        grad = node.grad
        if grad.size <= SMALL:
            text = _wrap(_text(f"grad {_values(grad)}", None))
        elif show_data:
            text = _wrap(_text(f"grad {_values(grad)}", None)) + f"<BR/>‖grad‖ {_norm(grad)}"
        else:
            text = f"‖grad‖ {_norm(grad)}"
        lines.append(f'<FONT COLOR="{GRAD_COLOUR}">{text}</FONT>')
    if node.problem:
        lines.append(f'<FONT COLOR="{PROBLEM_COLOURS[1]}"><B>{node.problem}</B></FONT>')
    return "<" + "<BR/>".join(lines) + ">"


def _collapsed_label(node: Node) -> str:
    count = sum(node.hidden_ops.values())
    kinds = ", ".join(f"{_text(op)} ×{n:,}" for op, n in node.hidden_ops.most_common())
    if not count:  # only tensors (the far end of a wide fan-in: 1,000 stacked leaves)
        lines = [f"<B>… {node.hidden_inputs:,} more leaf or input tensors …</B>"]
    else:
        lines = [f"<B>… {count:,} op{'s' if count != 1 else ''} …</B>"]
        if kinds:
            lines.append(_wrap(f"({kinds})"))
        if node.hidden_inputs:
            lines.append(f"and {node.hidden_inputs:,} leaf or input tensors")
    if node.problem:
        lines.append(f'<FONT COLOR="{PROBLEM_COLOURS[1]}"><B>{node.problem}</B></FONT>')
    return "<" + "<BR/>".join(lines) + ">"


def _node_attributes(node: Node, show_data: bool, show_grad: bool) -> dict[str, str]:
    fill, border = PROBLEM_COLOURS if node.problem else COLOURS[node.kind]
    attributes = {"fillcolor": fill, "color": border}
    if node.problem:
        attributes["penwidth"] = "2.5"
    if node.on_path and not node.problem:  # between where a NaN/Inf starts and the output
        attributes["color"], attributes["penwidth"] = PROBLEM_COLOURS[1], "2"
    if node.kind == OP:
        attributes["shape"] = "ellipse"
        if node.problem:
            attributes["label"] = (
                f'<<B>{_text(node.op)}</B><BR/><FONT POINT-SIZE="10" '
                f'COLOR="{PROBLEM_COLOURS[1]}">{node.problem}</FONT>>')
        elif node.constants:
            attributes["label"] = (f'<{_text(node.op)}<BR/><FONT POINT-SIZE="10" '
                                   f'COLOR="{META_COLOUR}">{_text(node.constants)}</FONT>>')
        else:
            attributes["label"] = _op_label(node.op)
    elif node.kind == COLLAPSED:
        attributes["shape"] = "box"
        attributes["style"] = "rounded,filled,dashed"
        attributes["label"] = _collapsed_label(node)
    else:
        attributes["shape"] = "box"
        attributes["label"] = _tensor_label(node, show_data, show_grad)
    return attributes


def draw_graph(
    tensor: Tensor,
    show_data: bool = False,
    show_grad: bool = True,
    max_nodes: int = 200,
    rankdir: str = "LR",
) -> graphviz.Digraph:
    """The graph that produced `tensor`, as a `graphviz.Digraph` (shown inline in Jupyter).

    Tensors are boxes: name (from `Tensor(..., name=)` or `t.name = ...`, also on
    intermediate results and constants), else its role, shape and dtype, the values of
    tensors with at most 6 elements (`show_data=True`: of every tensor, shortened), and
    after `backward()` the gradient of each leaf (its values when small, its L2 norm ‖grad‖
    when large; `show_grad=False` hides them). In a micrograd-sized graph (results of at
    most 3 elements, operands of at most 16) every value stays known after a plain
    `backward()`, and the intermediate results and the output show their gradients too.
    Ops are ellipses, with the Python numbers they took as operands (`x * 2`: "b = 2").

    Colour legend:
      blue box            a leaf with requires_grad=True: a parameter, it gets a .grad
      grey box            an input or constant: an array that needs no gradient (drawn only
                          while the graph holds it: before backward(), or with retain_graph)
      white box           an intermediate result
      green box           the output, the tensor the graph was drawn from
      amber ellipse       an op
      violet dashed box   many nodes drawn as one, with how many ops of each kind it hides
      red (thick border)  NaN or Inf in a tensor's data or grad; a red op is where the first
                          non-finite value appeared (its inputs were finite), and red edges
                          and borders its path to the output

    Past `max_nodes` nodes, long chains of ops are collapsed into one violet node (keeping
    a few ops at each end), then, if the graph is still too big, the nodes farthest from
    the output are. `rankdir` is Graphviz's direction: "LR" (left to right) or "TB".

    Names (of tensors and of op classes) are shown as written, whatever characters they hold:
    quotes, `<`, `&`, braces, backslashes and newlines are escaped, names past 80 characters
    cut. A name that is not a str is a TypeError, as is a `tensor` that is not a Tensor.

    Returns the Digraph: `.source` is the DOT text (needs no Graphviz program); to write a
    picture use `tinygrad_np.viz.render`.
    """
    _check_draw_arguments(tensor, show_data, show_grad, max_nodes, rankdir)
    graphviz = _import_graphviz()
    graph = collapse(trace(tensor), max_nodes)
    dot = _drawing_class(graphviz)(
        "graph",
        graph_attr={
            "rankdir": rankdir,
            # A white background, not transparent: the labels stay readable in dark themes.
            "bgcolor": "white",
            "fontname": "Helvetica",
            "nodesep": "0.25",
            "ranksep": "0.35",
        },
        node_attr={"style": "rounded,filled", "fontname": "Helvetica", "fontsize": "12",
                   "margin": "0.12,0.06"},
        edge_attr={"color": "#4b5563", "arrowsize": "0.7"},
    )
    for node in graph.nodes:
        dot.node(node.id, **_node_attributes(node, show_data, show_grad))
    on_path = {node.id for node in graph.nodes if node.on_path}
    for source, target in graph.edges:
        if source in on_path and target in on_path:
            dot.edge(source, target, color=PROBLEM_COLOURS[1], penwidth="2")
        else:
            dot.edge(source, target)
    return dot


def make_dot(var: Tensor, params: dict[str, Tensor] | None = None, show_attrs: bool = False,
             show_saved: bool = False, max_attr_chars: int = 50,
             **draw_options: Any) -> graphviz.Digraph:
    """torchviz's `make_dot(y, params=dict(model.named_parameters()))`: `draw_graph(var)` with
    each tensor in `params` labelled by its key (for this drawing only; a tensor that has a
    name keeps it elsewhere). `show_attrs`, `show_saved` and `max_attr_chars` are torchviz's
    and change nothing (draw_graph shows the numbers an op took; `show_data=True` values)."""
    if not isinstance(var, Tensor):
        raise TypeError(f"make_dot: expected a Tensor (the result whose graph to draw), got "
                        f"{type(var).__name__}; for several outputs draw each one")
    if params is not None and not isinstance(params, dict):
        raise TypeError(f"make_dot: params must be a dict of name -> Tensor (e.g. "
                        f"dict(model.named_parameters())), got {type(params).__name__}")
    named = list((params or {}).items())
    for key, value in named:
        if not isinstance(key, str) or not isinstance(value, Tensor):
            raise TypeError(f"make_dot: params must map str names to Tensors, got "
                            f"{type(key).__name__} -> {type(value).__name__} for {key!r}")
    before = [(value, value.name) for _, value in named]
    try:
        for key, value in named:
            value.name = key
        return draw_graph(var, **draw_options)
    finally:
        for value, name in reversed(before):
            value.name = name


_DRAWING: list[type] = []  # the Digraph subclass below, made once graphviz is imported


def _drawing_class(graphviz: Any) -> type:
    """graphviz.Digraph whose display in Jupyter, when the Graphviz program `dot` is not on
    PATH, is a line saying how to install it instead of graphviz's traceback (the DOT text,
    `.source`, needs no program)."""
    if not _DRAWING:
        class Drawing(graphviz.Digraph):
            def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                                  **kwargs: Any) -> dict:
                try:
                    return super()._repr_mimebundle_(include, exclude, **kwargs)
                except graphviz.ExecutableNotFound:
                    return {"text/plain": "(this graph is drawn by the Graphviz program `dot`, "
                                          "which is not on PATH. " + INSTALL_ADVICE + ")"}

        Drawing.__name__ = Drawing.__qualname__ = "Digraph"  # (pickle finds it by this name:
        _DRAWING.append(Drawing)  # the module's __getattr__ below)
    return _DRAWING[0]


def __getattr__(name: str) -> Any:
    if name == "Digraph":
        return _drawing_class(_import_graphviz())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check_draw_arguments(tensor: Any, show_data: Any, show_grad: Any, max_nodes: Any,
                          rankdir: Any) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor (the result whose graph to draw), got "
                        f"{type(tensor).__name__}")
    for argument, value in (("show_data", show_data), ("show_grad", show_grad)):
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"draw_graph: {argument} must be True or False, got {value!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int | np.integer):
        raise TypeError(f"draw_graph: max_nodes must be an int, got {type(max_nodes).__name__}")
    if rankdir not in RANKDIRS:
        raise TensorError(f"draw_graph: rankdir must be one of {', '.join(RANKDIRS)}, got "
                          f"{rankdir!r}")


INSTALL_ADVICE = (
    "Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), `conda install -c conda-forge graphviz`, "
    "or see https://graphviz.org/download/ (Windows). The DOT text does not need it: "
    "draw_graph(t).source."
)


def render(
    tensor_or_graph: Tensor | graphviz.Digraph,
    path: str | Path,
    format: str | None = None,
    **draw_options: Any,
) -> str:
    """Write the picture of a graph to `path` and return the path written.

    `tensor_or_graph` is a Tensor (drawn with `draw_graph(tensor, **draw_options)`) or a
    Digraph. `format` is "svg", "png" or another Graphviz format; by default it comes from
    the file suffix, else "svg" (a missing suffix is then added). "dot" and "gv" write the
    DOT source as it is; other formats need the Graphviz program `dot`, and without it this
    raises RuntimeError saying how to install it.
    """
    graphviz = _import_graphviz()
    if not isinstance(tensor_or_graph, Tensor | graphviz.Graph | graphviz.Digraph):
        raise TypeError(f"render: expected a Tensor or a graphviz.Digraph, got "
                        f"{type(tensor_or_graph).__name__}")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"render: path must be a str or a Path, got {type(path).__name__}")
    if format is not None and not isinstance(format, str):
        raise TypeError(f"render: format must be a str such as 'svg', got {format!r}")
    path = Path(path)
    if format is None:
        format = path.suffix[1:].lower() or "svg"
    if not path.suffix:
        path = path.with_suffix(f".{format}")
    graph = draw_graph(tensor_or_graph, **draw_options) if isinstance(
        tensor_or_graph, Tensor) else tensor_or_graph
    if format in ("dot", "gv"):  # the DOT text itself: no Graphviz program needed
        path.write_text(graph.source)
        return str(path)
    try:
        # pipe() rather than Digraph.render(): it writes no DOT source file next to the
        # picture, and the picture lands at exactly `path`.
        picture = graph.pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise RuntimeError(
            f"rendering to {format} needs the Graphviz program `dot`, which is not on PATH. "
            + INSTALL_ADVICE
        ) from None
    path.write_bytes(picture)
    return str(path)
