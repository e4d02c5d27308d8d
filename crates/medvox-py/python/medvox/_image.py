"""medvox.Image: a numpy array with its place in the patient, and the readers,
writers and converters around it."""

from __future__ import annotations

import os
import warnings
from typing import Any, Iterable, Sequence

import numpy as np

from . import _medvox
from .errors import ParameterError

#: numpy dtypes medvox runs on (bool arrays are taken as uint8).
DTYPES = tuple(
    np.dtype(t) for t in ("uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64")
)
_PIXEL_TYPE = {d: n for d, n in zip(DTYPES, ("u8", "i8", "u16", "i16", "u32", "i32", "f32", "f64"))}
_IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


def as_voxels(array: Any) -> np.ndarray:
    """The array medvox runs on: 2D or 3D, C-contiguous, aligned, native byte order,
    a supported dtype. No copy when `array` already is one; a bool array is viewed
    as uint8; a strided or byte-swapped array is copied once. Other dtypes raise
    TypeError (convert with `astype`: medvox does not pick a type for you)."""
    a = np.asarray(array)
    if a.ndim not in (2, 3):
        raise TypeError(
            f"expected a 2D (y, x) or 3D (z, y, x) array, got {a.ndim}D with shape {a.shape}"
            + ("; pass one volume of a 4D array at a time (a[t])" if a.ndim == 4 else "")
        )
    if a.size == 0:
        raise ParameterError(f"array of shape {a.shape} has no voxels")
    if a.dtype == np.bool_:
        a = np.ascontiguousarray(a).view(np.uint8)
    dt = a.dtype.newbyteorder("=") if a.dtype.byteorder not in ("=", "|") else a.dtype
    if dt not in _PIXEL_TYPE:
        raise TypeError(
            f"dtype {a.dtype} is not supported; use one of "
            + ", ".join(d.name for d in DTYPES)
            + f" (e.g. array.astype(np.{'int32' if a.dtype.kind in 'iu' else 'float32'}))"
        )
    if dt != a.dtype or not a.flags.c_contiguous or not a.flags.aligned:
        a = np.ascontiguousarray(a, dtype=dt)
    return a


def _triple(name: str, v: Any, fill: float, n2: int) -> tuple:
    t = tuple(float(x) for x in np.asarray(v, dtype=np.float64).ravel())
    if len(t) == n2 == 2:
        t = t + (fill,)
    if len(t) != 3:
        raise ParameterError(f"{name}: expected 3 values (x, y, z), got {len(t)}")
    return t


def _direction(v: Any) -> tuple:
    d = np.asarray(v, dtype=np.float64)
    if d.size == 4:  # 2D (SimpleITK's 2x2 of a 2D image)
        d = np.array([[d.flat[0], d.flat[1], 0.0], [d.flat[2], d.flat[3], 0.0], [0.0, 0.0, 1.0]])
    if d.size != 9:
        raise ParameterError(f"direction: expected 9 values (row-major 3x3), got {d.size}")
    return tuple(float(x) for x in d.ravel())


class Image:
    """A 3D (or 2D) image: `array` in (z, y, x) order, as SimpleITK's
    `GetArrayFromImage`, plus `spacing`, `origin` and `direction` in ITK/LPS
    convention and (x, y, z) order, as SimpleITK's `GetSpacing()`, `GetOrigin()`,
    `GetDirection()` (row-major; column c is the direction of index axis c).

    The array is held, not copied: changing it changes the image."""

    __slots__ = ("array", "spacing", "origin", "direction")

    def __init__(
        self,
        array: Any,
        spacing: Sequence[float] = (1.0, 1.0, 1.0),
        origin: Sequence[float] = (0.0, 0.0, 0.0),
        direction: Sequence[float] = _IDENTITY,
    ):
        a = as_voxels(array)
        self.array = a
        n2 = a.ndim
        self.spacing = _triple("spacing", spacing, 1.0, n2)
        self.origin = _triple("origin", origin, 0.0, n2)
        self.direction = _direction(direction)

    @classmethod
    def from_numpy(
        cls,
        array: Any,
        spacing: Sequence[float] = (1.0, 1.0, 1.0),
        origin: Sequence[float] = (0.0, 0.0, 0.0),
        direction: Sequence[float] = _IDENTITY,
    ) -> "Image":
        """An image of `array` (z, y, x) with this geometry (x, y, z order); no copy
        when the array is C-contiguous and of a supported dtype."""
        return cls(array, spacing, origin, direction)

    # -- properties ---------------------------------------------------------
    @property
    def pixel_type(self) -> str:
        """medvox's name of the pixel type: u8, i8, u16, i16, u32, i32, f32, f64."""
        return _PIXEL_TYPE[self.array.dtype]

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def shape(self) -> tuple:
        """The array's shape (z, y, x)."""
        return self.array.shape

    @property
    def size(self) -> tuple:
        """Voxels along (x, y, z), as SimpleITK's `GetSize()` (3 values, also for 2D)."""
        s = self.array.shape
        return (s[-1], s[-2], s[0] if self.array.ndim == 3 else 1)

    @property
    def geometry(self) -> tuple:
        """(spacing, origin, direction)."""
        return (self.spacing, self.origin, self.direction)

    @property
    def affine(self) -> np.ndarray:
        """4x4 index (x, y, z) to physical LPS (mm) matrix."""
        a = np.eye(4)
        a[:3, :3] = np.asarray(self.direction).reshape(3, 3) * np.asarray(self.spacing)
        a[:3, 3] = self.origin
        return a

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype) != self.array.dtype:
            return self.array.astype(dtype)
        return self.array.copy() if copy else self.array

    def __repr__(self) -> str:
        return (
            f"medvox.Image(shape={self.array.shape}, pixel_type={self.pixel_type}, "
            f"spacing={self.spacing}, origin={self.origin}, direction={self.direction})"
        )

    def same_geometry(self, other: "Image", tol: float = 1e-6) -> bool:
        """Same grid size and geometry (within `tol`)."""
        return self.size == other.size and all(
            np.allclose(a, b, rtol=0, atol=tol) for a, b in zip(self.geometry, other.geometry)
        )

    def with_array(self, array: Any) -> "Image":
        """A new image of `array` on this image's grid."""
        return Image(array, self.spacing, self.origin, self.direction)

    # -- the Rust side's view --------------------------------------------------
    def _raw(self) -> tuple:
        a = self.array
        return (a if a.ndim == 3 else a[np.newaxis]), self.geometry

    # -- SimpleITK -------------------------------------------------------------
    def to_sitk(self):
        """A SimpleITK image (voxels copied by SimpleITK; geometry exact)."""
        import SimpleITK as sitk

        img = sitk.GetImageFromArray(self.array)
        if self.array.ndim == 2:
            d = self.direction
            img.SetSpacing(self.spacing[:2])
            img.SetOrigin(self.origin[:2])
            img.SetDirection((d[0], d[1], d[3], d[4]))
        else:
            img.SetSpacing(self.spacing)
            img.SetOrigin(self.origin)
            img.SetDirection(self.direction)
        return img

    @classmethod
    def from_sitk(cls, image) -> "Image":
        """An image from a SimpleITK image (voxels copied out of SimpleITK; a
        vector image raises TypeError)."""
        import SimpleITK as sitk

        if image.GetNumberOfComponentsPerPixel() != 1:
            raise TypeError("vector (multi-component) SimpleITK images are not supported")
        if image.GetDimension() not in (2, 3):
            raise TypeError(f"{image.GetDimension()}D SimpleITK images are not supported")
        return cls(sitk.GetArrayFromImage(image), image.GetSpacing(), image.GetOrigin(), image.GetDirection())

    # -- nibabel ----------------------------------------------------------------
    def to_nibabel(self):
        """A nibabel Nifti1Image: data in (x, y, z) order (a transposed view, no
        copy) and the RAS affine (LPS -> RAS flips x and y)."""
        import nibabel as nib

        a = self.array if self.array.ndim == 3 else self.array[np.newaxis]
        ras = np.diag([-1.0, -1.0, 1.0, 1.0]) @ self.affine
        img = nib.Nifti1Image(a.transpose(2, 1, 0), ras)
        img.header.set_xyzt_units("mm", "sec")
        return img

    @classmethod
    def from_nibabel(cls, image) -> "Image":
        """An image from a nibabel spatial image (3D, or 4D with one volume): data
        transposed to (z, y, x) (a view when nibabel's array is Fortran-ordered),
        RAS affine to LPS spacing/origin/direction. Scaled data (scl_slope) comes
        as nibabel gives it (float)."""
        data = np.asanyarray(image.dataobj)
        if data.ndim == 4 and data.shape[3] == 1:
            data = data[..., 0]
        if data.ndim == 2:
            data = data[:, :, np.newaxis]
        if data.ndim != 3:
            raise TypeError(f"expected a 3D nibabel image, got shape {data.shape}")
        lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ np.asarray(image.affine, dtype=np.float64)
        m = lps[:3, :3]
        spacing = np.sqrt((m * m).sum(axis=0))
        return cls(data.transpose(2, 1, 0), spacing, lps[:3, 3], (m / spacing).ravel())


class Table:
    """A table an op returns (label statistics, radiomics features): `columns`
    and `rows` (one list of values per row)."""

    __slots__ = ("columns", "rows")

    def __init__(self, columns: Iterable[str], rows: Iterable[Sequence[Any]]):
        self.columns = list(columns)
        self.rows = [list(r) for r in rows]

    def to_dicts(self) -> list:
        """One dict per row."""
        return [dict(zip(self.columns, r)) for r in self.rows]

    def column(self, name: str) -> list:
        """The values of one column."""
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def to_pandas(self):
        """A pandas DataFrame (pandas must be installed)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"medvox.Table({len(self.rows)} rows x {len(self.columns)} columns: {', '.join(self.columns[:6])}{'…' if len(self.columns) > 6 else ''})"


def _image(raw: tuple, ndim: int = 3) -> Image:
    a, (spacing, origin, direction) = raw
    if ndim == 2 and a.shape[0] == 1:
        a = a[0]
    img = Image.__new__(Image)
    img.array = a
    img.spacing = tuple(spacing)
    img.origin = tuple(origin)
    img.direction = tuple(direction)
    return img


def _warn(ws: list) -> None:
    for w in ws:
        warnings.warn(f"medvox: {w}", stacklevel=3)


def read(path: str | os.PathLike, series: str | None = None) -> Image:
    """Reads an image: NIfTI (.nii, .nii.gz), NRRD, MetaImage, Analyze, or DICOM
    (a file, a folder or a DICOMDIR; `series` picks one by UID, id or 1-based
    number when there are several). A file with several volumes (4D) raises
    FormatError: use `read_volumes`. DICOM warnings are issued as Python warnings."""
    vols, fmt, ws = _medvox.read(os.fspath(path), series)
    _warn(ws)
    if len(vols) != 1:
        from .errors import FormatError

        raise FormatError(f"{os.fspath(path)} holds {len(vols)} volumes ({fmt}); use medvox.read_volumes")
    return _image(vols[0])


def read_volumes(path: str | os.PathLike, series: str | None = None) -> list:
    """Reads every volume of a file or DICOM series (a 4D image: one Image per
    time point or component, in file order)."""
    vols, _, ws = _medvox.read(os.fspath(path), series)
    _warn(ws)
    return [_image(v) for v in vols]


def write(
    image: Image | Sequence[Image],
    path: str | os.PathLike,
    *,
    level: int | None = None,
    compress: bool | None = None,
) -> None:
    """Writes an image (or a list of volumes as one 4D file) to `path`; the format
    comes from the extension (.nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd, .hdr).
    `level` is the compression level 1-9; `compress` compresses NRRD/MetaImage.
    The file appears whole or not at all (written to a temporary, then renamed)."""
    imgs = [image] if isinstance(image, Image) else list(image)
    if not imgs or not all(isinstance(i, Image) for i in imgs):
        raise TypeError("write() takes a medvox.Image or a list of them")
    _medvox.write([i._raw() for i in imgs], os.fspath(path), level, compress)
