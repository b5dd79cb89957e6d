"""The engine's size budget, as teenygrad keeps its line count in view: prints code lines (no
blank lines, comments or docstrings) per engine file, and exits 1 when the machinery
(function.py: Function/apply and the grad modes; autograd.py: backward and tg.grad, with
every guarantee) passes MACHINERY_BUDGET lines or one primitive op class passes OP_BUDGET.

    python scripts/size_budget.py
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from pathlib import Path

MACHINERY_BUDGET = 300
OP_BUDGET = 25
PACKAGE = Path(__file__).resolve().parent.parent / "tinygrad_np"
MACHINERY = ("function.py", "autograd.py")
ENGINE = MACHINERY + ("tensor.py", "hooks.py", "paths.py", "node_api.py", "xp.py", "dtypes.py")
# Fused ops (a layer or a loss as one op, each file saying why) are not primitives.
FUSED = ("linear.py", "loss.py", "norm.py", "conv.py")
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENDMARKER}


def code_lines(source: str) -> set[int]:
    """The numbers of the lines that hold code (not docstrings, comments or blanks)."""
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str):
            docstrings.update(range(first.lineno, first.end_lineno + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in SKIPPED:
            lines.update(range(token.start[0], token.end[0] + 1))
    return lines - docstrings


def op_classes(path: Path) -> list[tuple[str, int]]:
    """(name, code lines) of every Function subclass defined in an ops file."""
    source = path.read_text()
    lines = code_lines(source)
    return [(node.name, len([n for n in lines if node.lineno <= n <= node.end_lineno]))
            for node in ast.parse(source).body
            if isinstance(node, ast.ClassDef) and any(
                getattr(base, "id", getattr(base, "attr", "")) == "Function"
                for base in node.bases)]


def main() -> int:
    failures = []
    print(f"{'engine file':<28} code lines")
    machinery = 0
    for name in ENGINE:
        count = len(code_lines((PACKAGE / name).read_text()))
        machinery += count if name in MACHINERY else 0
        print(f"{name:<28} {count:>5}{'   (machinery)' if name in MACHINERY else ''}")
    print(f"{'machinery total':<28} {machinery:>5}   budget {MACHINERY_BUDGET}")
    if machinery > MACHINERY_BUDGET:
        failures.append(f"the machinery has {machinery} code lines, over {MACHINERY_BUDGET}")
    paths = sorted(path for path in (PACKAGE / "ops").glob("*.py") if path.name not in FUSED)
    ops = sorted((cls for path in paths for cls in op_classes(path)), key=lambda item: -item[1])
    print(f"{len(ops)} primitive op classes (fused ones, in {', '.join(FUSED)}, not counted); "
          "the largest: "
          + ", ".join(f"{name} {count}" for name, count in ops[:5]) + f"   budget {OP_BUDGET}")
    failures += [f"op {name} has {count} code lines, over {OP_BUDGET}"
                 for name, count in ops if count > OP_BUDGET]
    for failure in failures:
        print("size budget:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
