"""Run every benchmark: tinygrad_np against hand-written NumPy and PyTorch (if installed).

    python benchmarks/run.py             # full run (~30 s here), writes benchmarks/results.json
    python benchmarks/run.py --quick     # smoke run (~15 s; small sizes; for CI), writes
                                         # benchmarks/results-quick.json
    python benchmarks/run.py --out FILE  # JSON somewhere else
    python benchmarks/run.py --malloc-defaults   # leave glibc's malloc thresholds alone

Prints Markdown tables: time per step (median of interleaved repetitions) and the ratio to
hand-written NumPy, matmul throughput against the machine's, memory, and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# NumPy's OpenBLAS and PyTorch's OpenMP each keep worker threads that spin for a while
# after every parallel region (OpenBLAS ~2^28 cycles). Running both libraries in turns in one
# process, the idle pool's spinning steals a core from the other one, and when another
# process holds a core the median W2 step went from 0.5 ms to 40 ms. Idle workers therefore
# sleep at once. Read when the libraries load, so set before the imports below;
# `--spinning-threads` keeps the libraries' defaults.
QUIET_THREADS = {"OPENBLAS_THREAD_TIMEOUT": "4", "OMP_WAIT_POLICY": "PASSIVE"}
if "--spinning-threads" not in sys.argv:
    for _key, _value in QUIET_THREADS.items():
        os.environ.setdefault(_key, _value)

import chains  # noqa: E402
import conv  # noqa: E402
import harness  # noqa: E402
import memory  # noqa: E402
import mlp  # noqa: E402

from tinygrad_np.allocator import keep_freed_memory  # noqa: E402

# Freed temporaries stay in the process (glibc mallopt; see tinygrad_np/allocator.py): every
# implementation then reuses its memory instead of faulting it in again on each step
# (W5: ~4,000 page faults per step otherwise). Process-wide, so all three get it alike;
# `--malloc-defaults` (or TINYGRAD_NP_KEEP_MEMORY=0) keeps glibc's defaults.
MALLOC = ("malloc: left at its defaults (--malloc-defaults)" if "--malloc-defaults" in sys.argv
          else keep_freed_memory())

IMPLEMENTATIONS = ("tinygrad_np", "numpy", "pytorch")
LABELS = {"tinygrad_np": "tinygrad_np", "numpy": "NumPy by hand", "pytorch": "PyTorch"}

FULL = {
    "w1_batch": 41_000, "w1_repeats": 30, "w1_warmup": 3,
    "w2_repeats": 1000, "w2_warmup": 50,
    "w3_length": 1_000, "w3_repeats": 100, "w3_warmup": 5,
    "w4_depths": (25_000, 50_000, 100_000), "w4_repeats": 5,
    "w5_repeats": 300, "w5_warmup": 30, "w5_split_steps": 200,
    "memory_steps": 100, "matmul_size": 2048, "mlp_batch": 4096,
}
QUICK = {
    "w1_batch": 4_100, "w1_repeats": 5, "w1_warmup": 1,
    "w2_repeats": 30, "w2_warmup": 5,
    "w3_length": 1_000, "w3_repeats": 10, "w3_warmup": 2,
    "w4_depths": (2_500, 5_000, 10_000), "w4_repeats": 1,
    "w5_repeats": 20, "w5_warmup": 3, "w5_split_steps": 20,
    "memory_steps": 10, "matmul_size": 1024, "mlp_batch": 512,
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed_workload(steps: dict, repeats: int, warmup: int, min_time: float = 0.0) -> dict:
    timings = harness.interleaved(steps, repeats=repeats, warmup=warmup, min_time=min_time)
    reference = timings["numpy"]["median"]
    for timing in timings.values():
        timing["ratio_to_numpy"] = timing["median"] / reference
    return timings


def run_w1(settings: dict, torch) -> dict:
    steps, meta = mlp.w1_steps(settings["w1_batch"], torch)
    losses = mlp.check_same_step(steps, "W1")
    timings = timed_workload(steps, settings["w1_repeats"], settings["w1_warmup"])
    return {**meta, "first_step_losses": losses, "timings": timings}


def run_w2(settings: dict, torch) -> dict:
    steps, meta = mlp.w2_steps(128, 16, torch, use_nn=False if settings["w2_raw"] else None)
    losses = mlp.check_same_step(steps, "W2")
    timings = timed_workload(steps, settings["w2_repeats"], settings["w2_warmup"])
    return {**meta, "first_step_losses": losses, "timings": timings}


def run_w3(settings: dict, torch) -> dict:
    ops = chains.chain_ops(settings["w3_length"])
    chains.check_gradients(ops, torch)
    counts = {"tinygrad_np": chains.recorded_ops_tinygrad(ops), "numpy": len(ops) + 1}
    if torch is not None:
        counts["pytorch"] = chains.recorded_ops_torch(torch, ops)
    timings = timed_workload(chains.steps(ops, torch), settings["w3_repeats"],
                             settings["w3_warmup"])
    for name, timing in timings.items():
        timing["recorded_ops"] = counts[name]
        timing["per_op"] = timing["median"] / counts[name]
    return {"length": len(ops), "timings": timings}


def run_w4(settings: dict, torch) -> dict:
    depth = max(settings["w4_depths"])
    ops = chains.chain_ops(depth)
    steps = chains.steps(ops, torch)
    for step in chains.steps(chains.chain_ops(1000), torch).values():
        step()  # warm-up on a short chain; a 100,000-op chain is timed from the first run
    timings = timed_workload(steps, settings["w4_repeats"], warmup=0)
    memory_runs = {}
    for name in steps:
        memory_runs[name] = subprocess_json(
            ["depth", name, ",".join(str(d) for d in settings["w4_depths"])])
    for run in memory_runs.values():
        runs = run["runs"]
        first, last = runs[0], runs[-1]
        run["bytes_per_op"] = ((last["peak_above_setup"] - first["peak_above_setup"])
                               / (last["depth"] - first["depth"]))
        for item in runs:
            item["bytes_per_op"] = item["peak_above_setup"] / item["depth"]
        # Linear in depth: every middle depth's peak lies on the line through the first
        # and the last (within 10% of the largest peak); a quadratic would sag below it.
        run["linear"] = all(
            abs(item["peak_above_setup"] - first["peak_above_setup"]
                - run["bytes_per_op"] * (item["depth"] - first["depth"]))
            <= 0.1 * max(last["peak_above_setup"], 1)
            for item in runs[1:-1])
    return {"depth": depth, "timings": timings, "memory": memory_runs}


def run_w5(settings: dict, torch) -> dict:
    steps, meta = conv.w5_steps(torch)
    losses = mlp.check_same_step(steps, "W5")
    timings = timed_workload(steps, settings["w5_repeats"], settings["w5_warmup"])
    split = {"tinygrad_np": conv.split_tinygrad(settings["w5_split_steps"]),
             "numpy": conv.split_numpy(settings["w5_split_steps"])}
    return {**meta, "first_step_losses": losses, "timings": timings, "split": split}


def run_memory(settings: dict, torch) -> dict:
    names = [name for name in IMPLEMENTATIONS if name != "pytorch" or torch is not None]
    peaks = {name: subprocess_json(["w2", name, str(settings["memory_steps"])])
             for name in names}
    forward = {name: subprocess_json(["mlp", name, str(settings["mlp_batch"])])
               for name in names if name != "numpy"}
    return {"w2_steps": settings["memory_steps"], "w2_peak": peaks, "mlp_forward": forward,
            "live_after_backward": memory.live_after_backward()}


def subprocess_json(arguments: list[str]) -> dict:
    command = harness.python_command() + [os.path.join(HERE, "memory.py"), *arguments]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ report
def summary(key: str, result: dict) -> str:
    """One progress line per part (stderr): median times and ratios to NumPy."""
    timings = result.get("timings")
    if not timings:
        return f"  {key} done"
    per = "per_op" if key == "W3" else "median"
    return "  " + ", ".join(f"{name} {format_time(timing[per])} ({timing['ratio_to_numpy']:.2f}x)"
                            for name, timing in timings.items())


def format_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def megabytes(count: float) -> str:
    return f"{count / 2**20:.1f} MB"


def report(results: dict) -> str:
    names = [name for name in IMPLEMENTATIONS if name in results["W1"]["timings"]]
    others = [name for name in names if name != "numpy"]
    lines = []
    header = ["workload", *(LABELS[n] for n in names),
              *(f"{LABELS[n]} ÷ NumPy" for n in others)]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))

    def row(title: str, timings: dict, key: str = "median", unit=format_time) -> None:
        cells = [title, *(unit(timings[n][key]) for n in names),
                 *(f"{timings[n][key] / timings['numpy'][key]:.2f}×" for n in others)]
        lines.append("| " + " | ".join(cells) + " |")

    w1, w2, w3, w4 = (results[key] for key in ("W1", "W2", "W3", "W4"))
    row(f"W1 MNIST 784-10-10, full batch {w1['batch']:,} (per step)", w1["timings"])
    row("W2 MLP 784-128-10, batch 128, SGD (per step)", w2["timings"])
    row(f"W3 {w3['length']:,}-op chain, forward + backward (per op)", w3["timings"], "per_op")
    row(f"W4 {w4['depth']:,}-op chain, forward + backward (total)", w4["timings"])
    w5 = results.get("W5")
    if w5:
        row(f"W5 LeNet-style CNN, batch {w5['batch']}, SGD (per step)", w5["timings"])

    gflops = results["matmul_gflops"]
    lines += ["", f"Matmul throughput (matmul FLOPs / time per step; machine: "
              f"{gflops:.0f} GFLOP/s on a {results['settings']['matmul_size']}² float32 "
              "NumPy matmul):", ""]
    lines.append("| workload | " + " | ".join(LABELS[n] for n in names) + " |")
    lines.append("|---|" + "---|" * len(names))
    for key, workload in (("W1", w1), ("W2", w2), ("W5", w5)):
        if not workload:
            continue
        cells = []
        for name in names:
            rate = workload["flops"] / workload["timings"][name]["median"] / 1e9
            cells.append(f"{rate:.1f} GFLOP/s ({100 * rate / gflops:.0f}%)")
        lines.append(f"| {key} ({workload['flops'] / 1e6:,.1f} MFLOP) | " + " | ".join(cells)
                     + " |")

    if w5:
        lines += ["", "W5 step split (seconds per step in each part; tinygrad_np: each op's "
                  "forward/backward timed, the rest is the engine, optimizer and loss glue):", ""]
        for name in ("tinygrad_np", "numpy"):
            lines.append(f"- {LABELS[name]}: {conv.format_split(w5['split'][name])}")

    memory_results = results["memory"]
    lines += ["", "Memory (peak RSS, VmHWM, of one subprocess per implementation; 'above "
              "setup' = peak minus the RSS after imports, data and model):", ""]
    lines.append("| measurement | " + " | ".join(LABELS[n] for n in names) + " |")
    lines.append("|---|" + "---|" * len(names))
    peaks = memory_results["w2_peak"]
    lines.append(f"| W2, {memory_results['w2_steps']} steps: peak RSS (above setup) | "
                 + " | ".join(f"{megabytes(peaks[n]['peak_rss'])} "
                              f"({megabytes(peaks[n]['peak_above_setup'])})" for n in names)
                 + " |")
    forward = memory_results.get("mlp_forward", {})
    if forward:
        lines.append(f"| 784-512-256-10 MLP forward, batch {results['settings']['mlp_batch']}: "
                     "peak above setup (target: at most PyTorch's) | " + " | ".join(
                         megabytes(forward[n]["peak_above_setup"]) if n in forward else "n/a"
                         for n in names) + " |")
    depth_memory = w4["memory"]
    for position, depth in enumerate(results["settings"]["w4_depths"]):
        cells = []
        for name in names:
            run = depth_memory[name]["runs"][position]
            cells.append(f"{megabytes(run['peak_above_setup'])} ({run['bytes_per_op']:.0f} B/op)")
        lines.append(f"| W4 chain of {depth:,} ops: peak above setup | " + " | ".join(cells)
                     + " |")
    lines.append("| W4 slope between depths (memory per op) | " + " | ".join(
        f"{depth_memory[n]['bytes_per_op']:.0f} B/op"
        f"{', linear' if depth_memory[n]['linear'] else ', NOT linear'}" for n in names) + " |")
    live = memory_results["live_after_backward"]
    lines += ["", f"Live memory after `backward()` (tracemalloc, W2 model, loss still "
              f"referenced): parameters {live['parameters_bytes']:,} B + gradients "
              f"{live['grads_bytes']:,} B; left over from the graph: "
              f"{live['graph_leftover']:,} B (peak during the step "
              f"{megabytes(live['peak_during_step'])})."]

    info = results["machine"]
    quiet = ", ".join(f"{key}={value}" for key, value in info["thread_settings"].items()
                      if key in QUIET_THREADS and value)
    lines += ["", f"Machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}; "
              f"NumPy {info['numpy']} ({info['blas']}, {info['blas_threads']} threads); "
              + (f"PyTorch {info['torch']} ({info['torch_threads']} threads, set equal to "
                 "NumPy's BLAS threads)" if info["torch"] else "PyTorch not installed")
              + (f"; idle BLAS/OpenMP threads sleep at once ({quiet})" if quiet else "")
              + f". {results.get('malloc', MALLOC)}. W2 tinygrad_np code: "
              f"{w2['tinygrad_np_code']}. float32 throughout; "
              "times are medians of interleaved repetitions after warm-up."]
    if results["other_load"] > 0.1:
        lines.append(f"**Other processes kept {results['other_load']:.2f} cores busy on "
                     "average during this run: they disturbed these timings.**")
    if results["settings"]["quick"]:
        lines.append("**Quick smoke run: small sizes, few repetitions; not for comparison.**")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, fast smoke run (CI)")
    parser.add_argument("--out", default=None,
                        help="where to write the JSON results (default: benchmarks/"
                        "results.json, or benchmarks/results-quick.json with --quick)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument("--spinning-threads", action="store_true",
                        help="keep the BLAS/OpenMP default of spinning idle threads (see "
                        "QUIET_THREADS)")
    parser.add_argument("--w2-raw", action="store_true",
                        help="write W2's tinygrad_np version with raw Tensor ops instead of "
                        "nn.Linear / optim.SGD / F.cross_entropy")
    parser.add_argument("--malloc-defaults", action="store_true",
                        help="leave glibc's malloc thresholds at their defaults (see MALLOC)")
    parser.add_argument("--only", default="W1,W2,W3,W4,W5,memory",
                        help="comma-separated parts to run (default: %(default)s; the table "
                        "is printed only when all run)")
    args = parser.parse_args(argv)
    if args.out is None:  # a quick run never overwrites the full run's results
        args.out = os.path.join(HERE, "results-quick.json" if args.quick else "results.json")
    if args.no_torch:
        os.environ["BENCH_NO_TORCH"] = "1"  # the memory subprocesses inherit it
    torch = harness.import_torch()
    settings = dict(QUICK if args.quick else FULL, quick=args.quick, w2_raw=args.w2_raw)
    started = time.perf_counter()
    snapshot = harness.cpu_snapshot()
    results: dict = {"machine": harness.machine_info(torch), "settings": settings,
                     "malloc": MALLOC}
    log(MALLOC)
    log(f"machine: {results['machine']['cpu']}, {results['machine']['cores']} cores")
    results["matmul_gflops"] = harness.matmul_gflops(settings["matmul_size"],
                                                     repeats=3 if args.quick else 10)
    parts = args.only.split(",")
    for key, run in (("W1", run_w1), ("W2", run_w2), ("W3", run_w3), ("W4", run_w4),
                     ("W5", run_w5), ("memory", run_memory)):
        if key in parts:
            log(f"running {key} ...")
            results[key] = run(settings, torch)
            log(summary(key, results[key]))
    results["seconds"] = time.perf_counter() - started
    # Cores that other processes kept busy meanwhile (machine CPU time minus this run's own).
    results["other_load"] = harness.other_load(snapshot, harness.cpu_snapshot())
    if all(key in results for key in ("W1", "W2", "W3", "W4", "memory")):
        table = report(results)
        print(table)
        results["table"] = table
    with open(args.out, "w") as out:
        json.dump(results, out, indent=2, default=str)
    log(f"wrote {args.out} ({results['seconds']:.0f} s; other processes used "
        f"{results['other_load']:.2f} cores meanwhile)")
    return results


if __name__ == "__main__":
    main()
