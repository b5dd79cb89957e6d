"""Draw the graph of one neuron, sigmoid(x0 @ w + b), after backward.

Writes docs/images/neuron_graph.svg and .png (needs the Graphviz program `dot`):

    python examples/draw_neuron_graph.py
"""

from pathlib import Path

import numpy as np

from tinygrad_np import Tensor
from tinygrad_np.viz import draw_graph, render

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


def neuron() -> Tensor:
    """The lesson-2 neuron on the first patient (rounded to 4 decimals); returns its output.

    As in the lesson (examples/neuron.py): float64, and x0 requires grad too, so the picture
    shows d out/d x0 next to d out/d w and d out/d b.
    """
    x0 = np.array([0.6399, 0.8483, 0.1496, 0.9073, -0.6929, 0.2040, 0.4685, 1.4260])
    w = np.array([0.10, 0.40, -0.20, 0.05, -0.10, 0.30, 0.15, 0.25])
    x0 = Tensor(x0, requires_grad=True, name="x0")
    w = Tensor(w, requires_grad=True, name="w")
    b = Tensor(np.float64(-0.5), requires_grad=True, name="b")
    return (x0 @ w + b).sigmoid()


def main() -> None:
    out = neuron()
    out.name = "out"
    # retain_graph keeps the arrays the graph saved, so the picture also shows the
    # intermediate values (w.x0 and z); a plain backward() frees them.
    out.backward(retain_graph=True)
    graph = draw_graph(out, show_data=True)
    graph.attr(label="out = sigmoid(x0 @ w + b), with the gradients from backward()", labelloc="t",
               fontsize="15")
    IMAGES.mkdir(parents=True, exist_ok=True)
    print(render(graph, IMAGES / "neuron_graph.svg"))
    graph.attr(dpi="150")  # a sharper bitmap for notes and slides
    print(render(graph, IMAGES / "neuron_graph.png"))


if __name__ == "__main__":
    main()
