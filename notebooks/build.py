"""Regenerate the notebooks: each `NN_name.ipynb` from its plain-text source `NN_name.py`.

    python notebooks/build.py              # sync and execute all (./run.sh notebooks)
    python notebooks/build.py 01 05        # only the notebooks whose names start so
    python notebooks/build.py --out DIR    # write the results into DIR (used by the tests)

The `.py` files (jupytext's percent format) are the sources: edit those, then run this to
rewrite the `.ipynb` files with fresh outputs (graphs as SVG, plots as PNG). The kernel is
this interpreter (`sys.executable`) with this checkout first on its path, so no user-wide
Jupyter kernel is needed. `tests/test_notebooks.py` runs this script with `--out`.

Two lists say what cannot run yet, until the branches that provide it are merged:
  NOT_EXECUTED   notebooks only synced (their stored outputs are kept), never executed;
  PENDING_TAGS   cells carrying one of these tags are left unexecuted (outputs kept).
Delete an entry once its feature is on main, and run this again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KERNEL_NAME = "tinygrad-np-notebooks"
CELL_TIMEOUT = 120  # seconds per cell; the slowest cell takes a few seconds on 2 cores

NOT_EXECUTED: dict[str, str] = {}
PENDING_TAGS: dict[str, str] = {}


def sources() -> list[Path]:
    """The notebook sources, in lesson order."""
    return sorted(HERE.glob("[0-9][0-9]_*.py"))


def read_source(path: Path) -> nbformat.NotebookNode:
    """The notebook described by a jupytext percent-format `.py` file (no outputs)."""
    return jupytext.read(path)


class _Client(NotebookClient):
    """nbclient, leaving cells with a pending tag as they are."""

    async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any,
                                 **kwargs: Any) -> Any:
        if set(cell.get("metadata", {}).get("tags", [])) & set(PENDING_TAGS):
            return cell
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)


def _kernel_manager(kernel_dir: Path) -> AsyncKernelManager:
    """A kernel running this interpreter, with this checkout first on PYTHONPATH."""
    spec_dir = kernel_dir / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    # One BLAS thread (see examples/mnist.py): spinning OpenBLAS threads are ~10x slower
    # on a busy 2-core machine, and these arrays are small.
    if not {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"} & set(os.environ):
        env["OPENBLAS_NUM_THREADS"] = "1"
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "tinygrad_np notebooks", "language": "python", "env": env}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(kernel_dir)], ensure_native_kernel=False)
    # IPC sockets in the temporary folder: nothing listens on a network port.
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs,
                              transport="ipc", ip=str(kernel_dir / "kernel"))


def execute(notebook: nbformat.NotebookNode, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """Run every code cell (except pending ones) in a fresh kernel; outputs go into `notebook`.

    The working directory is `notebooks/`. A cell that raises stops the run with
    nbclient's CellExecutionError, which shows the cell and the traceback.
    """
    with tempfile.TemporaryDirectory() as kernel_dir:
        client = _Client(notebook, km=_kernel_manager(Path(kernel_dir)), timeout=timeout,
                         record_timing=False, resources={"metadata": {"path": str(HERE)}})
        client.execute()
    return notebook


def build(path: Path, out: Path | None = None) -> Path:
    """Write `path`'s `.ipynb` (into `out`, default beside it): synced from the source,
    executed unless NOT_EXECUTED.

    A notebook that is not executed keeps the outputs its stored `.ipynb` already has for
    unchanged cells; so do pending cells.
    """
    stored = path.with_suffix(".ipynb")
    target = stored if out is None else out / stored.name
    notebook = read_source(path)
    old = nbformat.read(stored, as_version=4) if stored.exists() else None
    _stable_ids(notebook, old)
    if old is not None:  # keep the outputs of cells that will not run now
        kept = {cell.source: cell for cell in old.cells if cell.cell_type == "code"}
        for cell in notebook.cells:
            if cell.cell_type == "code" and cell.source in kept:
                cell.outputs = kept[cell.source].get("outputs", [])
                cell.execution_count = kept[cell.source].get("execution_count")
    if path.stem not in NOT_EXECUTED:
        for cell in notebook.cells:
            pending = set(cell.get("metadata", {}).get("tags", [])) & set(PENDING_TAGS)
            if cell.cell_type == "code" and not pending:
                cell.outputs, cell.execution_count = [], None
        execute(notebook)
    nbformat.write(notebook, target)
    return target


def _stable_ids(notebook: nbformat.NotebookNode, old: nbformat.NotebookNode | None) -> None:
    """Cell ids that change only with the cell (jupytext draws new random ones on every read,
    so each rebuild rewrote every id): the stored id of a cell with the same type and
    source, else one made from them and the cell's position."""
    stored = {(cell.cell_type, cell.source): cell.get("id") for cell in old.cells} \
        if old is not None else {}
    used: set[str] = set()
    for position, cell in enumerate(notebook.cells):
        made = hashlib.sha1(f"{position}:{cell.cell_type}:{cell.source}".encode()).hexdigest()
        found = stored.get((cell.cell_type, cell.source))
        cell.id = found if found and found not in used else made[:8]  # (ids are unique)
        used.add(cell.id)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only the notebooks whose names start so")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the executed notebooks here, not over the stored ones")
    args = parser.parse_args(argv)
    if shutil.which("dot") is None:  # the graphs would be stored as a note, not a picture
        sys.exit("notebooks/build.py: the notebooks draw graphs with the Graphviz program "
                 "`dot`, which is not on PATH: install Graphviz (apt-get install graphviz, "
                 "brew install graphviz, conda install -c conda-forge graphviz) and run again")
    for path in sources():
        if args.prefixes and not any(path.stem.startswith(p) for p in args.prefixes):
            continue
        note = f"  (not executed: {NOT_EXECUTED[path.stem]})" if path.stem in NOT_EXECUTED else ""
        print(f"{path.name} -> {path.with_suffix('.ipynb').name}{note}", flush=True)
        build(path, args.out)
    for tag, why in PENDING_TAGS.items():
        print(f"cells tagged {tag!r} were not executed: {why}")


if __name__ == "__main__":
    main()
