"""Harvest PyTorch's docstring examples and run them through torch and tinygrad_np (by hand).

    cd <repo> && .venv/bin/python tests/docex_harvest.py [--out docex.json] [--only SUBSTR]
        [--again EARLIER.json] [--cases tests/docex_cases.json]

Walks torch's public namespaces, extracts each docstring's ``>>>``/``...`` examples (one
block per docstring), and runs every block twice in fresh namespaces after ``manual_seed(0)``:
once with ``torch`` and once with ``torch`` (and ``nn``, ``F``, every ``import torch...``)
bound to tinygrad_np.  Each statement's echo (the repr of an expression statement, like
doctest) and printed output are compared, and exceptions by type.  Mismatches are sorted
into classes: 1 missing name/keyword, 2 wrong value/dtype/shape, 3 different error type,
4 printing format, 5 out of scope (complex, sparse, CUDA, fft, jit...: must refuse clearly).
Not a test: run by hand; tests/test_round21_docex.py keeps a curated set of matching blocks.
"""

from __future__ import annotations

import builtins
import contextlib
import doctest
import importlib
import inspect
import io
import json
import re
import signal
import sys
import warnings
from typing import Any

OUT_OF_SCOPE = re.compile(
    r"complex|cfloat|cdouble|\.real\b|\.imag\b|1j|sparse|to_sparse|quantiz|qint|cuda|"
    r"device=['\"]cuda|names=|refine_names|align_to|\bfft\b|torch\.fft|\bjit\b|torch\.compile|"
    r"torch\.export|vmap|nested|mps|xpu|bfloat16|float8|\bstft\b|istft|torch\.package|distributed|"
    r"named_tensor|torch\.func\b|functorch|onnx|fx\b|mkldnn|channels_last|pin_memory|"
    r"share_memory|storage|untyped|NamedTuple|sym_|torch\.library|torch\._",
)

NAMESPACES = [
    ("torch", None),
    ("torch.Tensor", None),
    ("torch.nn.functional", None),
    ("torch.nn", "classes"),
    ("torch.linalg", None),
    ("torch.special", None),
    ("torch.fft", None),
    ("torch.distributions", "classes"),
    ("torch.optim", "classes"),
    ("torch.optim.lr_scheduler", "classes"),
    ("torch.utils.data", None),
    ("torch.autograd", None),
    ("torch.nn.init", None),
    ("torch.nn.utils", None),
    ("torch.nn.utils.rnn", None),
    ("torch.nn.utils.parametrize", None),
    ("torch.nn.utils.parametrizations", None),
    ("torch.nn.utils.prune", "classes"),
    ("torch.autograd.functional", None),
    ("torch.autograd.forward_ad", None),
    ("torch.autograd.graph", "classes"),
    ("torch.utils.data", "classes"),
]


def _resolve(path: str) -> Any:
    parts = path.split(".")
    obj = importlib.import_module(parts[0])
    for index, part in enumerate(parts[1:], 1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[: index + 1]))
    return obj


def harvest() -> list[dict[str, Any]]:
    """Every (name, examples) block in the namespaces above, deduplicated by docstring text."""
    parser = doctest.DocTestParser()
    seen: set[str] = set()
    blocks: list[dict[str, Any]] = []
    for namespace, kind in NAMESPACES:
        module = _resolve(namespace)
        for name in sorted(dir(module)):
            if name.startswith("_"):
                continue
            try:
                obj = getattr(module, name)
            except Exception:  # noqa: BLE001 - lazy attributes may raise
                continue
            doc_owners = [(f"{namespace}.{name}", obj)]
            if kind == "classes" and inspect.isclass(obj):
                for method_name, method in vars(obj).items():
                    if not method_name.startswith("_") and callable(method):
                        doc_owners.append((f"{namespace}.{name}.{method_name}", method))
            for qualname, owner in doc_owners:
                doc = getattr(owner, "__doc__", None)
                if not isinstance(doc, str) or ">>>" not in doc or doc in seen:
                    continue
                seen.add(doc)
                try:
                    examples = parser.get_examples(doc)
                except ValueError:
                    continue
                if examples:
                    blocks.append({"name": qualname, "examples": [e.source for e in examples]})
    return blocks


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def _torch_import(real_import: Any) -> Any:
    def importer(name: str, globals_: Any = None, locals_: Any = None, fromlist: Any = (),
                 level: int = 0) -> Any:
        if level == 0 and (name == "torch" or name.startswith("torch.")):
            mapped = "tinygrad_np" + name[len("torch"):]
            if not fromlist:
                top = importlib.import_module("tinygrad_np")
                _resolve(mapped)  # fails like a missing submodule would
                return top
            return _resolve(mapped)
        return real_import(name, globals_, locals_, fromlist, level)

    return importer


def run_block(sources: list[str], use_tg: bool, timeout: int = 10) -> list[str]:
    """Run one block's statements: one outcome string per statement, up to the first error."""
    if use_tg:
        import tinygrad_np as lib
        tg_builtins = dict(vars(builtins))
        tg_builtins["__import__"] = _torch_import(builtins.__import__)
        namespace: dict[str, Any] = {"__builtins__": tg_builtins}
    else:
        import torch as lib
        namespace = {"__builtins__": builtins}
    namespace.update({"torch": lib, "nn": lib.nn, "F": lib.nn.functional, "__name__": "__docex__"})
    _reset(lib)
    outcomes: list[str] = []
    old_hook = sys.displayhook
    signal.signal(signal.SIGALRM, _alarm)
    for source in sources:
        buffer = io.StringIO()

        def hook(value: Any, buffer: io.StringIO = buffer) -> None:
            if value is not None:
                buffer.write(repr(value) + "\n")

        sys.displayhook = hook
        signal.alarm(timeout)
        try:
            with contextlib.redirect_stdout(buffer), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(source, "<docex>", "single"), namespace)
            outcomes.append("OK " + buffer.getvalue())
        except _Timeout:
            outcomes.append("TIMEOUT")
            break
        except BaseException as error:  # noqa: BLE001 - examples may raise anything
            kinds = ",".join(k.__name__.lstrip("_") for k in type(error).__mro__[:-2])
            outcomes.append(f"ERR {kinds}: {str(error)[:300]}")
            break
        finally:
            signal.alarm(0)
            sys.displayhook = old_hook
    _reset(lib)
    return outcomes


def _reset(lib: Any) -> None:
    """Undo the global settings an example may change (default dtype, device, printing...)."""
    for action in (
        lambda: lib.set_default_dtype(lib.float32),
        lambda: lib.set_default_device(None),  # (not "cpu": that is a mode in PyTorch)
        lambda: lib.set_printoptions(profile="default"),
        lambda: lib.set_grad_enabled(True),
        lambda: lib.use_deterministic_algorithms(False),
        lambda: lib.autograd.set_detect_anomaly(False),
    ):
        try:
            action()
        except Exception:  # noqa: BLE001 - a library may lack a setting
            pass
    lib.manual_seed(0)


_NUM = re.compile(r"-?\d+\.?\d*(?:e[+-]?\d+)?")


def _values_close(a: str, b: str) -> bool:
    """Same text once numbers are compared to 4 significant digits (printing rounding)."""
    na, nb = _NUM.findall(a), _NUM.findall(b)
    if len(na) != len(nb) or _NUM.sub("#", a) != _NUM.sub("#", b):
        return False
    return all(abs(float(x) - float(y)) <= 1e-4 * max(1.0, abs(float(x))) for x, y in zip(na, nb))


_ADDRESS = re.compile(r"<[^<>]* at 0x[0-9a-f]+>")


def _same(torch_outcome: str, tg_outcome: str) -> bool:
    """Errors compare by type (tinygrad_np's may subclass PyTorch's), objects without address."""
    if torch_outcome.startswith("ERR") and tg_outcome.startswith("ERR"):
        torch_kind = torch_outcome[4:].split(":")[0].split(",")[0]
        return torch_kind in tg_outcome[4:].split(":")[0].split(",")
    return _ADDRESS.sub("<object>", torch_outcome) == _ADDRESS.sub("<object>", tg_outcome)


def classify(block: dict[str, Any]) -> str:
    """'match' or one of the mismatch classes '1'...'5'."""
    torch_out, tg_out = block["torch"], block["tg"]
    if len(torch_out) == len(tg_out) and all(map(_same, torch_out, tg_out)):
        return "match"
    text = "\n".join(block["examples"])
    if OUT_OF_SCOPE.search(text) or block["name"].startswith("torch.fft"):
        return "5"
    for t_line, g_line in zip(torch_out, tg_out):
        if _same(t_line, g_line):
            continue
        if t_line.startswith("TIMEOUT") or g_line.startswith("TIMEOUT"):
            return "timeout"
        if g_line.startswith("ERR") and not t_line.startswith("ERR"):
            missing = r"ERR (AttributeError|ImportError|ModuleNotFoundError|NameError)"
            if re.match(missing, g_line) or "unexpected keyword" in g_line or (
                    "positional argument" in g_line):
                return "1"
            return "1?"
        if t_line.startswith("ERR"):
            return "3"
        if _values_close(t_line, g_line):
            return "4"
        stripped_t = re.sub(r"\s+", "", t_line)
        stripped_g = re.sub(r"\s+", "", g_line)
        if stripped_t == stripped_g:
            return "4"
        return "2"
    return "2"


_UNFIT = re.compile(r"save|load|open\(|tempfile|matplotlib|plt\.|num_workers|sleep|Thread|"
                    r"Process|print\(.*grad_fn|set_printoptions|profile")


def curate(blocks: list[dict[str, Any]], limit_seconds: float = 0.4) -> list[dict[str, Any]]:
    """The matching blocks fit for a fast test: in scope, no files, threads or plots, short
    outputs without object addresses, each run in under `limit_seconds` by both libraries."""
    import time

    chosen = []
    for block in blocks:
        text = "\n".join(block["examples"])
        outputs = "".join(block["torch"])
        if block["class"] != "match" or OUT_OF_SCOPE.search(text) or _UNFIT.search(text) or (
                " at 0x" in outputs or len(outputs) > 2000):
            continue
        seconds = []
        for use_tg in (False, True):
            start = time.perf_counter()
            outcome = run_block(block["examples"], use_tg=use_tg)
            seconds.append(time.perf_counter() - start)
        if max(seconds) < limit_seconds and len(outcome) == len(block["torch"]) and all(
                map(_same, block["torch"], outcome)):
            chosen.append({"name": block["name"], "examples": block["examples"],
                           "torch": block["torch"]})
    return chosen


def main() -> None:
    import os

    import torch

    here = os.path.dirname(os.path.abspath(__file__))  # this checkout's tinygrad_np, not an
    sys.path.insert(0, here if os.path.isdir(os.path.join(here, "tinygrad_np")) else  # installed
                    os.path.dirname(here))  # one

    torch.set_num_threads(1)
    out_path = "docex.json"
    only = None
    args = sys.argv[1:]
    if "--out" in args:
        out_path = args[args.index("--out") + 1]
    if "--only" in args:
        only = args[args.index("--only") + 1]
    blocks = harvest()
    if "--again" in args:  # only the blocks that did not match in an earlier run's file
        with open(args[args.index("--again") + 1]) as handle:
            again = {b["name"] for b in json.load(handle) if b["class"] != "match"}
        blocks = [b for b in blocks if b["name"] in again]
    if only:
        blocks = [b for b in blocks if only in b["name"]]
    counts: dict[str, int] = {}
    for block in blocks:
        block["torch"] = run_block(block["examples"], use_tg=False)
        block["tg"] = run_block(block["examples"], use_tg=True)
        block["class"] = classify(block)
        counts[block["class"]] = counts.get(block["class"], 0) + 1
    with open(out_path, "w") as handle:
        json.dump(blocks, handle, indent=1)
    print(f"{len(blocks)} blocks", dict(sorted(counts.items())))
    if "--cases" in args:  # the curated set, with PyTorch's outcomes, for the test file
        with open(args[args.index("--cases") + 1], "w") as handle:
            json.dump(curate(blocks), handle, indent=0)


if __name__ == "__main__":
    main()
