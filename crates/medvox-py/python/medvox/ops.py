"""Every medvox op as a function, generated from the op registry at import.

Names are the registry's with `-` -> `_` (`medvox.ops.fill_holes`,
`medvox.ops.label_stats`); keyword arguments are the op's parameters (the CLI's
long options with `-` -> `_`, same defaults) and its auxiliary inputs (`mask=`,
`markers=`, `image=`, `reference=`, `moving=`: Images, or arrays on the input's
grid). Every op also takes `device=` ("cpu", "gpu", "auto"; default
`medvox.get_device()`) and `threads=` (default `medvox.get_threads()`).

The first argument is a `medvox.Image` (the result is an Image with the output
grid's geometry) or a numpy array (z, y, x) taken as unit spacing (the result is
an array). What comes back:

* an op with a volume output and no report: the volume;
* an op with a report (a threshold chosen, component counts…): `(volume, report)`;
* a table op (`label_stats`, `radiomics`): a `medvox.Table`;
* a report-only op (`label_compare`): the report dict.

`medvox.ops.list()` describes every op (parameters with types, defaults, docs);
the GIL is released while an op runs.
"""

from __future__ import annotations

import builtins
import inspect
import json
from typing import Any

import numpy as np

from . import _medvox, _settings
from ._image import Image, Table, _image, as_voxels

_INFO: list = json.loads(_medvox.ops_json())
_BY_NAME: dict = {o["name"]: o for o in _INFO}


def list() -> builtins.list:  # noqa: A001 - the issue's name: medvox.ops.list()
    """Every op: name, Python name, group, doc, parameters (name, kind, default,
    doc), auxiliary inputs, whether it reports, its output and the devices that run it."""
    return [dict(o, python_name=_pyname(o["name"])) for o in _INFO]


def info(name: str) -> dict:
    """One op's description (by registry or Python name)."""
    o = _BY_NAME.get(name) or _BY_NAME.get(name.replace("_", "-"))
    if o is None:
        raise KeyError(f"unknown op {name!r}")
    return dict(o, python_name=_pyname(o["name"]))


def _pyname(name: str) -> str:
    return name.replace("-", "_")


def _kind_text(k: dict) -> str:
    t = k["type"]
    if t in ("triple", "list", "optional"):
        inner = _kind_text(k["of"])
        return {"triple": f"{inner} or (x, y, z)", "list": f"list of {inner}", "optional": f"{inner}, optional"}[t]
    if t == "choice":
        return " | ".join(repr(c) for c in k["of"])
    return {"u-int": "int >= 0", "int": "int", "float": "float", "bool": "bool", "text": "str"}.get(t, t)


def _docstring(o: dict) -> str:
    lines = [o["doc"], "", "Parameters", "----------"]
    lines.append("input : Image or numpy array (z, y, x)")
    for p in o["params"]:
        lines.append(f"{p['name']} : {_kind_text(p['kind'])}, default {p['default']!r}")
        lines.append(f"    {p['doc']}")
    for a in o["aux"]:
        lines.append(f"{a['name']} : Image{'' if a['required'] else ', optional'}")
        lines.append(f"    {a['doc']}")
    lines.append("device : 'cpu' | 'gpu' | 'auto', optional")
    lines.append(f"    Devices with a kernel: {', '.join(o['devices'])}.")
    lines.append("threads : int, optional")
    lines.append("")
    lines.append("Returns")
    lines.append("-------")
    lines.append(_returns_text(o))
    return "\n".join(lines)


def _returns_text(o: dict) -> str:
    out = o.get("output")
    if out == "table":
        return "Table" + (" and report dict" if o["report"] else "")
    if out == "report":
        return "dict (the report)"
    return "Image (array for an array input)" + (", and the report dict: (volume, report)" if o["report"] else "")


def _frozen(v: Any) -> Any:
    """A JSON default as a signature shows it: lists as tuples (immutable)."""
    return tuple(_frozen(x) for x in v) if isinstance(v, builtins.list) else v


def _aux_raw(name: str, value: Any, main_geom: tuple) -> tuple:
    if isinstance(value, Image):
        return value._raw()
    a = as_voxels(value)
    return (a if a.ndim == 3 else a[np.newaxis]), main_geom


def _make(o: dict):
    name = o["name"]
    pyname = _pyname(name)
    params = frozenset(p["name"] for p in o["params"])
    aux_names = frozenset(a["name"] for a in o["aux"])
    valid = ", ".join(sorted(params | aux_names | {"device", "threads"}))
    has_report = o["report"]
    run = _medvox.run_op
    settings = _settings.state

    def op(input, /, *, device=None, threads=None, **kwargs):
        if isinstance(input, Image):
            raw = input._raw()
            ndim = input.array.ndim
            as_array = False
        else:
            a = as_voxels(input)
            ndim = a.ndim
            raw = (a if ndim == 3 else a[np.newaxis]), _settings.UNIT
            as_array = True
        aux = {}
        p = kwargs
        if kwargs.keys() - params:
            p = {}
            for k, v in kwargs.items():
                if k in params:
                    p[k] = v
                elif k in aux_names:
                    if v is not None:
                        aux[k] = _aux_raw(k, v, raw[1])
                else:
                    raise TypeError(f"{pyname}() got an unexpected keyword argument {k!r}; valid: {valid}")
        data, report, _device = run(
            name,
            p,
            raw[0],
            raw[1],
            aux,
            threads if threads is not None else settings["threads"],
            device or settings["device"],
        )
        if isinstance(data, tuple):
            img = _image(data, ndim)
            result = img.array if as_array else img
        elif isinstance(data, dict):
            result = Table(data["columns"], data["rows"])
        else:
            return report
        return (result, report) if has_report else result

    op.__name__ = op.__qualname__ = pyname
    op.__module__ = __name__
    op.__doc__ = _docstring(o)
    sig = [inspect.Parameter("input", inspect.Parameter.POSITIONAL_ONLY)]
    for prm in o["params"]:
        sig.append(inspect.Parameter(prm["name"], inspect.Parameter.KEYWORD_ONLY, default=_frozen(prm["default"])))
    for a in o["aux"]:
        sig.append(inspect.Parameter(a["name"], inspect.Parameter.KEYWORD_ONLY, default=None))
    sig.append(inspect.Parameter("device", inspect.Parameter.KEYWORD_ONLY, default=None))
    sig.append(inspect.Parameter("threads", inspect.Parameter.KEYWORD_ONLY, default=None))
    op.__signature__ = inspect.Signature(sig)
    return op


__all__ = ["list", "info"]
for _o in _INFO:
    globals()[_pyname(_o["name"])] = _make(_o)
    __all__.append(_pyname(_o["name"]))
del _o
