"""Writes `ops.pyi`, the type stubs of `medvox.ops`, from the op registry.

    python -m medvox._stubgen            # rewrite python/medvox/ops.pyi
    python -m medvox._stubgen --check    # exit 1 when the committed stubs differ
"""

from __future__ import annotations

import os
import sys

from .ops import _INFO, _pyname

HEADER = '''"""Type stubs of medvox.ops, generated from the op registry by
`python -m medvox._stubgen` (do not edit)."""

import builtins
from typing import Any, Literal, TypeVar

import numpy as np

from ._image import Image, Table

_T = TypeVar("_T", Image, np.ndarray)
_Aux = Image | np.ndarray
_Device = Literal["cpu", "gpu", "auto"]

def list() -> builtins.list[dict[str, Any]]: ...
def info(name: str) -> dict[str, Any]: ...
'''


def _type(k: dict) -> str:
    t = k["type"]
    if t == "bool":
        return "bool"
    if t in ("int", "u-int"):
        return "int"
    if t == "float":
        return "float"
    if t == "text":
        return "str"
    if t == "choice":
        return "Literal[" + ", ".join(repr(c) for c in k["of"]) + "]"
    inner = _type(k["of"])
    if t == "triple":
        return f"{inner} | tuple[{inner}, {inner}, {inner}]"
    if t == "list":
        return f"builtins.list[{inner}] | tuple[{inner}, ...]"
    if t == "optional":
        return f"{inner} | None"
    return "Any"


def _returns(o: dict) -> str:
    out = o.get("output")
    rep = o["report"]
    if out == "volume":
        return "tuple[_T, dict[str, Any]]" if rep else "_T"
    if out == "table":
        return "tuple[Table, dict[str, Any]]" if rep else "Table"
    if out == "report":
        return "dict[str, Any]"
    return "Any"


def stubs() -> str:
    names = ["list", "info"] + [_pyname(o["name"]) for o in _INFO]
    lines = [HEADER, "__all__ = [" + ", ".join(repr(n) for n in names) + "]", ""]
    for o in _INFO:
        args = ["input: _T", "/", "*"]
        args += [f"{p['name']}: {_type(p['kind'])} = ..." for p in o["params"]]
        args += [f"{a['name']}: _Aux | None = None" for a in o["aux"]]
        args += ["device: _Device | None = None", "threads: int | None = None"]
        first = o["doc"].splitlines()[0].replace('"""', "'''")
        lines.append(f"def {_pyname(o['name'])}({', '.join(args)}) -> {_returns(o)}:")
        lines.append(f'    """{first}"""')
        lines.append("    ...")
        lines.append("")
    return "\n".join(lines)


def main(argv: list) -> int:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops.pyi")
    text = stubs()
    if "--check" in argv:
        try:
            with open(path, encoding="utf-8") as f:
                old = f.read()
        except OSError:
            old = None
        if old != text:
            print(f"{path} is out of date: run python -m medvox._stubgen", file=sys.stderr)
            return 1
        return 0
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
