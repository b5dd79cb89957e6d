"""Pictures of the computation graph: `trace` reads it, `draw_graph` draws it, `render` saves it.

    from tinygrad_np.viz import draw_graph, render
    loss.backward()
    draw_graph(loss)                     # a graphviz.Digraph; Jupyter shows it inline
    render(loss, "graph.svg")            # or .png; needs the Graphviz program `dot`

Tracing (`trace.py`, plain nodes and edges) is separate from drawing (`draw.py`, Graphviz),
so the graph can be inspected or tested without Graphviz installed.
"""

from tinygrad_np.tensor import tool_hooks
from tinygrad_np.viz.draw import draw_graph, render
from tinygrad_np.viz.trace import Graph, Node, collapse, trace

tool_hooks["draw_graph"] = draw_graph  # `t.draw_graph()` and Jupyter's display of a Tensor

__all__ = ["Graph", "Node", "collapse", "draw_graph", "render", "trace"]
