"""A tiny net broken on purpose three ways, and the tool that finds each break.

    python examples/debugging.py

1. A custom op with a wrong backward (the weight gradient transposed): `tg.gradcheck` fails
   and its drill-down names the op and the line that created it.
2. `log(softmax(logits))` with large logits: softmax underflows to 0 and log gives -inf.
   Under `tg.detect_anomaly()` backward stops at the first NaN gradient, as PyTorch's, and
   names the op of the forward pass that made the first -inf: the log, with its inputs'
   ranges.
3. Standardising a feature whose variance is 0: a division by zero. `detect_anomaly` names
   the division; `tg.draw_graph` of the NaN loss marks where the NaN starts and its path.
"""

from __future__ import annotations

import numpy as np

import tinygrad_np as tg
from tinygrad_np import Tensor
from tinygrad_np.gradcheck import GradcheckError


class MyLinear(tg.Function):
    """y = x @ w;  dx = g @ w^T,  dw = x^T @ g (this one is broken: it returns (x^T @ g)^T)."""

    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        return grad_output @ w.T, (x.T @ grad_output).T  # bug: transposed


def data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, 3))
    x[:, 2] = 5.0  # a constant feature: its variance is 0
    return x, rng.integers(0, 3, size=4)


def net(x: Tensor, w1: Tensor, w2: Tensor) -> Tensor:
    h = MyLinear.apply(x, w1).tanh()       # break 1: the custom op
    return h @ w2


def find_wrong_op(x: np.ndarray, w1: Tensor, w2: Tensor) -> str:
    """Break 1, found by gradcheck's drill-down."""
    inputs = Tensor(x)
    try:
        tg.gradcheck(lambda w1, w2: net(inputs, w1, w2).sum(), [w1, w2])
    except GradcheckError as error:
        return str(error)
    return "gradcheck passed"


def find_underflow(x: np.ndarray, w1: Tensor, w2: Tensor) -> str:
    """Break 2, found by detect_anomaly: backward's NaN names the log of the forward pass."""
    logits = net(Tensor(x), w1, w2) * 1e4  # large logits: softmax underflows
    with tg.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        try:
            log_probabilities = logits.softmax(-1).log()   # break 2: use logits.log_softmax(-1)
            (-log_probabilities.mean()).backward()
        except RuntimeError as error:
            return str(error)
    return "no anomaly"


def standardise(feature: Tensor) -> Tensor:
    centred = feature - feature.mean()
    return centred / (centred * centred).mean().sqrt()   # break 3: add an epsilon


def find_zero_variance(x: np.ndarray) -> tuple[str, str]:
    """Break 3: detect_anomaly names the division; draw_graph marks the NaN's path."""
    feature = Tensor(x[:3, 2].copy(), requires_grad=True, name="feature")  # all 5.0
    with tg.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        try:
            standardise(feature).sum().backward()
            message = "no anomaly"
        except RuntimeError as error:
            message = str(error)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = standardise(feature).sum()
    return message, tg.draw_graph(loss).source


def main() -> dict[str, str]:
    x, _ = data()
    rng = np.random.default_rng(1)
    w1 = Tensor(rng.normal(size=(3, 3)), requires_grad=True, name="w1")
    w2 = Tensor(rng.normal(size=(3, 3)), requires_grad=True, name="w2")
    found = {"gradcheck": find_wrong_op(x, w1, w2), "forward anomaly": find_underflow(x, w1, w2)}
    found["zero variance"], found["drawing"] = find_zero_variance(x)
    for tool in ("gradcheck", "forward anomaly", "zero variance"):
        print(f"--- {tool}\n{found[tool]}\n")
    marked = found["drawing"].count('color="#dc2626"')
    print(f"--- draw_graph: the NaN starts at the red op; {marked} red marks on its path")
    return found


if __name__ == "__main__":
    main()
