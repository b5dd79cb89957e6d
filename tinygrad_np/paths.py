"""Which nodes `tg.grad` and `backward(inputs=...)` run: those on a path to an input.

PyTorch's engine runs only the nodes between the outputs and the tensors asked for; the
others keep their saved values (a second backward through them still works) and their
retained gradients stay unset, and their hooks (and those of leaves not asked for) do not
run: no gradient reaches them. `leading_to` finds them once, before the pass: every node
reachable from the outputs, then, oldest first (a node's inputs were recorded before it),
those with an input that is asked for or leads to one.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from tinygrad_np.function import Function as Node


def leading_to(outputs: Sequence[Any], keys: Sequence[Any]) -> tuple[set, set]:
    """The nodes below `outputs` whose rule a gradient of `keys` (leaf Tensors or the nodes
    of non-leaf inputs) needs (an input's own node is not among them unless another input
    lies below it), and the ids of those nodes and keys: where a gradient may go."""
    seen, stack = set(), [output.grad_fn for output in outputs]
    while stack:  # (written for speed: half the time of a clearer loop on a long graph)
        node = stack.pop()
        if node not in seen and isinstance(node, Node):
            seen.add(node)
            stack += node.parents
    wanted, needed = {id(key) for key in keys}, set()
    for node in sorted(seen, key=attrgetter("_sequence")):
        for parent in node.parents:
            if id(parent) in wanted:
                needed.add(node)
                wanted.add(id(node))
                break
    return needed, wanted


def running(nodes: Any, needed: tuple[set, set] | None) -> Any:
    """Those of `nodes` (the ones that called retain_grad()) whose rule runs in the pass: all
    of them when `needed` (leading_to's) is None (a whole backward())."""
    return nodes if needed is None else [node for node in nodes if node in needed[0]]
