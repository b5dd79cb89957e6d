"""Pictures of the computation graph: `trace` reads it, `draw_graph` draws it, `render` saves it.

    from tinygrad_np.viz import draw_graph, render
    loss.backward()
    draw_graph(loss)                     # a graphviz.Digraph; Jupyter shows it inline
    render(loss, "graph.svg")            # or .png; needs the Graphviz program `dot`

Tracing (`trace.py`, plain nodes and edges) is separate from drawing (`draw.py`, Graphviz),
so the graph can be inspected or tested without Graphviz installed. `trace_backward(loss)`
(`backward.py`) is the step-by-step table of what backward() does; `graph_stats(t)` counts.
"""

from tinygrad_np.tensor import tool_hooks
from tinygrad_np.viz.backward import BackwardTrace, GraphStats, graph_stats, trace_backward
from tinygrad_np.viz.draw import draw_graph, make_dot, render
from tinygrad_np.viz.trace import Graph, Node, collapse, trace

tool_hooks["draw_graph"] = draw_graph  # `t.draw_graph()` and Jupyter's display of a Tensor

__all__ = ["BackwardTrace", "Graph", "GraphStats", "Node", "collapse", "draw_graph",
           "graph_stats", "make_dot", "render", "trace", "trace_backward"]
