"""Draw the graph of one neuron, sigmoid(x0 @ w + b), after a plain backward().

Writes docs/images/neuron_graph.svg and .png (needs the Graphviz program `dot`):

    python examples/draw_neuron_graph.py

`neuron_graph()` is the README's code block, line for line, so the picture there is exactly
what that block draws (tests/test_tools.py checks it).
"""

from pathlib import Path

import numpy as np

import tinygrad_np as tg
from tinygrad_np import Tensor
from tinygrad_np.viz import render

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


def neuron() -> Tensor:
    """The lesson-2 neuron on the first patient (rounded to 4 decimals); returns its output.

    As in the lesson (examples/neuron.py): float64, and x0 requires grad too, so the picture
    shows d out/d x0 next to d out/d w and d out/d b.
    """
    x0 = tg.tensor([0.6399, 0.8483, 0.1496, 0.9073, -0.6929, 0.2040, 0.4685, 1.4260],
                   dtype=np.float64, requires_grad=True, name="x0")
    w = tg.tensor([0.10, 0.40, -0.20, 0.05, -0.10, 0.30, 0.15, 0.25], dtype=np.float64,
                  requires_grad=True, name="w")
    b = tg.tensor(-0.5, dtype=np.float64, requires_grad=True, name="b")
    wx = x0 @ w
    wx.name = "x0 @ w"                   # names on intermediate results show too
    z = wx + b
    z.name = "z"
    out = z.sigmoid()
    out.name = "out"
    return out


def neuron_graph():
    """The picture: every value and gradient, after a plain backward()."""
    out = neuron()
    out.backward()                       # a plain backward: the picture keeps every value
    graph = tg.draw_graph(out, show_data=True)   # and every gradient of this small graph
    return graph


def main() -> None:
    graph = neuron_graph()
    IMAGES.mkdir(parents=True, exist_ok=True)
    print(render(graph, IMAGES / "neuron_graph.svg"))
    graph.attr(dpi="150")  # a sharper bitmap for notes and slides
    print(render(graph, IMAGES / "neuron_graph.png"))


if __name__ == "__main__":
    main()
