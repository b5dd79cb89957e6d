"""Memory measurements.

Peak RSS needs one process per implementation (a process's peak never goes down, and the
three would mix), so `run.py` starts this file as a subprocess:

    python benchmarks/memory.py w2 IMPLEMENTATION STEPS
    python benchmarks/memory.py depth IMPLEMENTATION DEPTH[,DEPTH...]
    python benchmarks/memory.py mlp IMPLEMENTATION BATCH

Each prints one JSON line. RSS comes from /proc/self/statm (current) and the peak from
VmHWM in /proc/self/status, the high-water mark of this process's own address space.
`resource.getrusage(RUSAGE_SELF).ru_maxrss` is recorded too but not used: on Linux a child
inherits its parent's high-water mark through fork and exec, so when the parent (run.py,
holding the W1 data and PyTorch) is larger, ru_maxrss reports the parent's peak. The
"above setup" figures are the peak minus the RSS after imports and setup, so they hold the
workload's own memory.

`live_after_backward` (called in-process) uses tracemalloc instead: the bytes NumPy and
Python still hold after `backward()` while the loss is referenced, against the size of the
parameters and their gradients: once backward has run, the graph's saved arrays are freed.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def current_rss() -> int:
    """Resident set size now, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    """This process's highest resident set size so far, in bytes (VmHWM; see above)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return ru_maxrss()


def ru_maxrss() -> int:
    """getrusage's peak RSS in bytes (kB on Linux), which includes the parent's at fork."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _torch_if(implementation: str):
    if implementation != "pytorch":
        return None
    import harness

    torch = harness.import_torch()
    if torch is None:
        raise SystemExit("PyTorch is not installed")
    return torch


def w2_peak(implementation: str, steps: int) -> dict:
    """Peak RSS while running `steps` W2 training steps with one implementation; the
    baseline is taken after imports, data and model are set up, before the first step."""
    import mlp

    torch = _torch_if(implementation)
    step = mlp.w2_steps(128, 16, torch=torch, names=(implementation,))[0][implementation]
    baseline = current_rss()
    for _ in range(steps):
        step()
    peak = peak_rss()
    return {"implementation": implementation, "steps": steps, "baseline_rss": baseline,
            "peak_rss": peak, "peak_above_setup": peak - baseline, "ru_maxrss": ru_maxrss()}


def depth_peaks(implementation: str, depths: list[int]) -> dict:
    """Peak RSS above setup and time of one chain (forward + backward) for each depth, in
    increasing order (so each run's peak is the process's new high-water mark)."""
    import chains

    torch = _torch_if(implementation)
    make = {"tinygrad_np": chains.tinygrad_step, "numpy": chains.numpy_step,
            "pytorch": lambda ops: chains.torch_step(torch, ops)}[implementation]
    make(chains.chain_ops(100))()  # warm-up: imports, first allocations
    baseline = current_rss()
    results = []
    for depth in sorted(depths):
        step = make(chains.chain_ops(depth))
        start = time.perf_counter()
        step()
        elapsed = time.perf_counter() - start
        results.append({"depth": depth, "seconds": elapsed,
                        "peak_above_setup": peak_rss() - baseline})
    return {"implementation": implementation, "baseline_rss": baseline, "runs": results}


def mlp_forward_peak(implementation: str, batch: int) -> dict:
    """Peak RSS of one recorded forward pass of the 784-512-256-10 MLP (ReLU), loss held and
    not yet backpropagated: the memory the graph keeps for backward, against PyTorch's."""
    import numpy as np

    torch = _torch_if(implementation)
    rng = np.random.default_rng(0)
    x = rng.random((batch, 784), dtype=np.float32)
    labels = rng.integers(0, 10, batch)
    sizes = [784, 512, 256, 10]
    weights = [(rng.standard_normal((o, i)).astype(np.float32) * 0.05,
                np.zeros(o, np.float32)) for i, o in zip(sizes, sizes[1:])]
    if implementation == "pytorch":
        import torch.nn.functional as F

        params = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
                  for w, b in weights]
        inputs, target = torch.tensor(x), torch.tensor(labels)
    else:
        import tinygrad_np as tg
        import tinygrad_np.nn.functional as F

        params = [(tg.Tensor(w, requires_grad=True), tg.Tensor(b, requires_grad=True))
                  for w, b in weights]
        inputs, target = tg.Tensor(x), labels
    baseline = current_rss()
    h = inputs
    for layer, (w, b) in enumerate(params):
        h = F.linear(h, w, b)
        h = F.relu(h) if layer < len(params) - 1 else h
    loss = F.cross_entropy(h, target)
    peak = peak_rss()
    return {"implementation": implementation, "batch": batch, "loss": float(loss.item()),
            "peak_above_setup": peak - baseline}


def live_after_backward(batch: int = 128) -> dict:
    """tracemalloc: bytes still allocated after a W2 forward + backward, loss still held."""
    import numpy as np

    import tinygrad_np.nn as nn
    import tinygrad_np.nn.functional as F
    from tinygrad_np import Tensor

    rng = np.random.default_rng(0)
    x = Tensor(rng.random((batch, 784), dtype=np.float32))
    labels = rng.integers(0, 10, batch)
    tracemalloc.start()
    try:
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        F.cross_entropy(model(x), labels).backward()  # first step: anything created once
        model.zero_grad()
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    params = sum(p._data.nbytes for p in model.parameters())
    grads = sum(p.grad._data.nbytes for p in model.parameters())
    return {
        "parameters_bytes": params,
        "grads_bytes": grads,
        "before_forward": before,  # parameters (gradients reset)
        "after_backward": after,  # parameters + gradients + whatever the graph still holds
        "graph_leftover": after - before - grads,  # bytes beyond the new gradients
        "peak_during_step": peak,
        "loss": loss.item(),
    }


def main(argv: list[str]) -> None:
    mode, implementation, argument = argv
    if mode == "w2":
        result = w2_peak(implementation, int(argument))
    elif mode == "mlp":
        result = mlp_forward_peak(implementation, int(argument))
    elif mode == "depth":
        result = depth_peaks(implementation, [int(d) for d in argument.split(",")])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
