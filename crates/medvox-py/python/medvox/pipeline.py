"""TOML pipelines from Python: the same files `medvox pipeline run` takes.

    results = medvox.pipeline.run("steps.toml", inputs={"ct": img_or_path})
    results["bone"]          # a step's output (Image, (Image, report), Table or report)
    results.report           # the run report: each step's parameters, report, seconds, device
"""

from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np

from . import _medvox, _settings
from ._image import Image, Table, _image, as_voxels
from .ops import _BY_NAME


class Results(dict):
    """Every step's output by name, in the convention of `medvox.ops` (a volume,
    `(volume, report)` for ops that report, a Table, or a report dict); `report`
    is the run report (`medvox pipeline run --report`)."""

    report: dict


def _input(v: Any):
    if isinstance(v, (str, os.PathLike)):
        return os.fspath(v)
    if isinstance(v, Image):
        return v._raw()
    a = as_voxels(v)
    return (a if a.ndim == 3 else a[np.newaxis]), _settings.UNIT


def _run(text: str, base: str, inputs, outputs, device, threads) -> Results:
    raw = {k: _input(v) for k, v in (inputs or {}).items()}
    outs = {k: os.fspath(v) for k, v in (outputs or {}).items()}
    results, report = _medvox.run_pipeline(
        text,
        base,
        raw,
        outs,
        threads if threads is not None else _settings.state["threads"],
        device or _settings.state["device"],
    )
    ops = {s["output"]: s["op"] for s in report["steps"]}
    out = Results()
    for name, (data, rep) in results.items():
        has_report = _BY_NAME[ops[name]]["report"]
        if isinstance(data, tuple):
            value = _image(data)
        elif isinstance(data, dict):
            value = Table(data["columns"], data["rows"])
        else:
            out[name] = rep
            continue
        out[name] = (value, rep) if has_report else value
    out.report = report
    return out


def run(
    path: str | os.PathLike,
    inputs: Mapping[str, Any] | None = None,
    outputs: Mapping[str, str | os.PathLike] | None = None,
    *,
    device: str | None = None,
    threads: int | None = None,
) -> Results:
    """Runs the pipeline file `path`. `inputs` gives or overrides `[input]`
    entries (an Image, a numpy array, or a path); `outputs` adds files to write
    (name -> path); the `[output]` files of the pipeline are written too. Errors
    name the step and key, as the CLI's."""
    p = os.fspath(path)
    try:
        with open(p, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        from .errors import FormatError

        raise FormatError(f"{p}: {e.strerror or e}") from None
    return _run(text, os.path.dirname(os.path.abspath(p)), inputs, outputs, device, threads)


def run_string(
    text: str,
    inputs: Mapping[str, Any] | None = None,
    outputs: Mapping[str, str | os.PathLike] | None = None,
    *,
    base: str | os.PathLike = ".",
    device: str | None = None,
    threads: int | None = None,
) -> Results:
    """Runs pipeline TOML text; relative paths in it are resolved against `base`."""
    return _run(text, os.fspath(base), inputs, outputs, device, threads)
