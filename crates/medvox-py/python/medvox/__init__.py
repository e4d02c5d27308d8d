"""medvox: parallel and GPU-accelerated medical image processing.

    import medvox
    ct = medvox.read("ct.nii.gz")                  # or a DICOM folder, .nrrd, .mha…
    smooth = medvox.ops.gaussian(ct, sigma=1.5)    # every registry op, same names as the CLI
    mask, report = medvox.ops.otsu(smooth)
    labels, counts = medvox.ops.components(mask, connectivity=26)
    medvox.write(labels, "labels.nii.gz")
    sitk_img = labels.to_sitk()                    # and Image.from_sitk / to_nibabel / from_nibabel

`medvox.Image` is a numpy array (z, y, x) with spacing, origin and direction in
ITK/LPS convention (x, y, z order), as SimpleITK. Reads, writes and ops release
the GIL and run on every core (`medvox.set_threads(n)` or `threads=` per call);
`device="gpu"` / `"auto"` runs the ops that have a GPU kernel on the GPU.
"""

from __future__ import annotations

from . import errors, ops, pipeline
from ._image import DTYPES, Image, Table, read, read_volumes, write
from ._medvox import __version__
from ._medvox import get_threads as _get_threads
from ._medvox import set_threads as _set_threads
from ._settings import state as _state
from .errors import DeviceError, FormatError, GeometryError, MedvoxError, ParameterError


def set_threads(threads: int | None) -> None:
    """Threads for calls that do not pass `threads=` (None: every core)."""
    _set_threads(threads)
    _state["threads"] = threads


def get_threads() -> int | None:
    """The default of `threads=` (None: every core)."""
    return _get_threads()


def set_device(device: str) -> None:
    """Device for calls that do not pass `device=`: "cpu" (default), "gpu" (an
    error for an op without a GPU kernel) or "auto" (the GPU where it can, else the CPU)."""
    if device not in ("cpu", "gpu", "auto"):
        raise ParameterError(f"device: `{device}` is not one of cpu, gpu, auto")
    _state["device"] = device


def get_device() -> str:
    """The default of `device=`."""
    return _state["device"]


__all__ = [
    "Image",
    "Table",
    "DTYPES",
    "read",
    "read_volumes",
    "write",
    "ops",
    "pipeline",
    "errors",
    "MedvoxError",
    "FormatError",
    "ParameterError",
    "GeometryError",
    "DeviceError",
    "set_threads",
    "get_threads",
    "set_device",
    "get_device",
    "__version__",
]
