//! NIfTI-1 and NIfTI-2 reading, NIfTI-1 writing; the header parser that
//! [`crate::analyze`] shares.
//!
//! # What is read
//!
//! * NIfTI-1 single files (`.nii`, `.nii.gz`) and pairs (`.hdr` + `.img`, either
//!   or both gzipped; the `.img` name may be given instead of the `.hdr`), NIfTI-2
//!   (same layouts, 540-byte header) and Analyze 7.5 (`.hdr` + `.img`, no NIfTI
//!   magic), little- or big-endian. Header extensions are skipped (`vox_offset`).
//! * Pixel types u8, i8, u16, i16, u32, i32, f32, f64. Other datatypes (binary,
//!   int64, uint64, float128, complex, RGB, RGBA) are an [`IoError::Unsupported`]
//!   that names the datatype.
//! * `dim[0] = 1` or `2` gives a volume one row or one slice deep. Every dimension
//!   after the third (`t`, then the vector/component dimension 5, then 6 and 7) is
//!   flattened in file order into a sequence of 3D volumes sharing one geometry:
//!   a 4D file gives one volume per time point, a 5D vector file (SimpleITK reads
//!   it as a vector image) gives one volume per component and time point, `t` fastest.
//! * `scl_slope`/`scl_inter` (NIfTI only; Analyze files are never scaled) are
//!   applied exactly as ITK does: only when `slope ≠ 0` and (`slope ≠ 1` or
//!   `inter ≠ 0`); integer data then become f32 (each value is first converted to
//!   f32, then `f32(v·slope + inter)` is computed in f64), f32 and f64 data keep
//!   their type. A non-finite slope or intercept counts as 0, as in nifti_clib.
//! * NaN and ±inf voxels of f32/f64 data are kept, as nibabel does (statistical
//!   maps use NaN for "outside"); nifti_clib, hence SimpleITK, reads them as 0.
//!
//! # Geometry: ITK 5.4 `NiftiImageIO` (SimpleITK 2.5)
//!
//! Spacing, origin and direction are those SimpleITK 2.5.7 reports; the rules
//! come from `Modules/IO/NIFTI/src/itkNiftiImageIO.cxx`
//! (`SetImageIOOrientationFromNIfTI`) and nifti_clib's `nifti_convert_nhdr2nim`:
//!
//! 1. Neither qform nor sform (`qform_code = sform_code = 0`, and every Analyze
//!    file): origin 0, identity direction (ITK's default `ITK4Warning` Analyze
//!    flavour ignores the Analyze `orient` byte).
//! 2. Otherwise the sform is used when `sform_code > 0` and its 3×3 part is a
//!    rotation times a scale (columns orthonormal after normalisation, tolerance
//!    1e-4) **and** either `qform_code = 0`, or `sform_code = 1`
//!    (`NIFTI_XFORM_SCANNER_ANAT`), or the qform describes the same rotation,
//!    scales and offset (tolerance 1e-4). In every other case the qform is used
//!    (quaternion, `qfac = sign(pixdim[0])`, offsets).
//! 3. ITK refuses a file whose sform is not a rotation times a scale when
//!    `qform_code = 0` ("ITK only supports orthonormal direction cosines"). medvox
//!    reads it with the sform's exact affine instead (direction = normalised
//!    sform columns, possibly non-orthogonal; spacing = column lengths), which is
//!    what nibabel's affine says.
//! 4. RAS → LPS: origin `(-m03, -m13, m23)`, direction column `j` is the
//!    normalised column `(-m0j, -m1j, m2j)`.
//! 5. Spacing is `|pixdim[1..3]|` scaled by `xyzt_units` (m → ×1000, µm → ×0.001),
//!    never the sform's column lengths; a negative pixdim flips that direction
//!    column (as ITK's reader does); a zero pixdim counts as 1 (nifti_clib). The
//!    origin is scaled by the same unit factor.
//! 6. NIfTI-1 matrices are computed as nifti_clib does, in f32; NIfTI-2 (which
//!    SimpleITK 2.5 cannot read) uses the same rules in f64.
//!
//! For 2D files ITK makes a 2D image with a 2×2 direction; medvox keeps the
//! third column and origin coordinate of the same matrix (equal to ITK's
//! 2D geometry for in-plane orientations).
//!
//! # Writing
//!
//! NIfTI-1, little-endian, by extension: `.nii`, `.nii.gz` (header and data
//! compressed together as one gzip member by [`gz::gzip`]), `.hdr`/`.img` pairs
//! (`.hdr.gz`/`.img.gz` compressed). Like ITK: `qform_code = sform_code = 1`, the
//! qform is the quaternion of the RAS rotation (polar-orthogonalised, `qfac =
//! pixdim[0] = -1` for an improper rotation), the sform the full affine
//! `R · diag(spacing)` with the origin as translation, `xyzt_units` mm + s,
//! `scl_slope = 1`, `vox_offset = 352`. Every file is written atomically.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use medvox_core::geometry::{det3, inverse3};
use medvox_core::{AnyVolume, Geometry, Mat3, Pixel, PixelType, Volume};
use nifti::NiftiType;
use rayon::prelude::*;

use crate::error::{IoError, Result, WithPath};
use crate::{
    atomic, gz, raw, Format, Image, ReadOptions, VolumeReader, VolumeWriter, WriteOptions,
};

const NIFTI1_HEADER: usize = 348;
const NIFTI2_HEADER: usize = 540;
/// `vox_offset` of single files written by medvox: header + 4-byte extension flag.
const WRITE_VOX_OFFSET: usize = NIFTI1_HEADER + 4;
/// `NIFTI_XFORM_SCANNER_ANAT`.
const XFORM_SCANNER_ANAT: i32 = 1;
/// `NIFTI_UNITS_MM | NIFTI_UNITS_SEC`, what ITK writes.
const UNITS_MM_SEC: u8 = 2 | 8;

/// The NIfTI format (NIfTI-1/2 read, NIfTI-1 write).
#[derive(Debug, Clone, Copy, Default)]
pub struct Nifti;

impl Format for Nifti {
    fn name(&self) -> &'static str {
        "nifti"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[".nii.gz", ".hdr.gz", ".img.gz", ".nii", ".hdr", ".img"]
    }
    fn sniff(&self, head: &[u8]) -> bool {
        matches!(detect(head), Ok((Flavor::Nifti1 | Flavor::Nifti2, _)))
    }
}

impl VolumeReader for Nifti {
    fn read(&self, path: &Path, opts: &ReadOptions) -> Result<Image> {
        read_image(path, opts)
    }
}

impl VolumeWriter for Nifti {
    fn write(&self, path: &Path, volume: &AnyVolume, opts: &WriteOptions) -> Result<()> {
        write_volumes(path, std::slice::from_ref(volume), opts)
    }
    fn write_series(&self, path: &Path, volumes: &[AnyVolume], opts: &WriteOptions) -> Result<()> {
        write_volumes(path, volumes, opts)
    }
}

// ---------------------------------------------------------------------------
// Header parsing (shared with Analyze 7.5)
// ---------------------------------------------------------------------------

/// The kind of header a file starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// Analyze 7.5: a 348-byte header without NIfTI magic.
    Analyze,
    /// NIfTI-1 (`n+1` / `ni1`).
    Nifti1,
    /// NIfTI-2 (`n+2` / `ni2`).
    Nifti2,
}

impl Flavor {
    fn format_name(self) -> &'static str {
        match self {
            Flavor::Analyze => "analyze",
            Flavor::Nifti1 | Flavor::Nifti2 => "nifti",
        }
    }
}

/// A header of any flavour, fields widened to i64/f64. For Analyze files the
/// NIfTI-only fields (codes, scaling, units) are zero.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Header {
    pub flavor: Flavor,
    pub big_endian: bool,
    /// Data in the header's own file (`n+1`/`n+2` magic), else in the `.img`.
    pub single_file: bool,
    pub dim: [i64; 8],
    pub datatype: i16,
    pub pixdim: [f64; 8],
    pub vox_offset: f64,
    pub scl_slope: f64,
    pub scl_inter: f64,
    pub xyzt_units: i32,
    pub qform_code: i32,
    pub sform_code: i32,
    pub quatern: [f64; 3],
    pub qoffset: [f64; 3],
    pub srow: Affine,
}

/// The upper 3×4 part of a 4×4 affine (the last row is always 0 0 0 1).
type Affine = [[f64; 4]; 3];

/// Reads fixed-offset fields in one byte order; callers check the length first.
struct Fields<'a> {
    b: &'a [u8],
    big: bool,
}

impl Fields<'_> {
    fn bytes<const N: usize>(&self, off: usize) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.b[off..off + N]);
        if self.big {
            a.reverse();
        }
        a
    }
    fn i16(&self, off: usize) -> i16 {
        i16::from_le_bytes(self.bytes(off))
    }
    fn i32(&self, off: usize) -> i32 {
        i32::from_le_bytes(self.bytes(off))
    }
    fn i64(&self, off: usize) -> i64 {
        i64::from_le_bytes(self.bytes(off))
    }
    fn f32(&self, off: usize) -> f64 {
        f32::from_le_bytes(self.bytes(off)) as f64
    }
    fn f64(&self, off: usize) -> f64 {
        f64::from_le_bytes(self.bytes(off))
    }
    /// `N` consecutive values read by `get`, `size` bytes apart.
    fn array<T, const N: usize>(
        &self,
        off: usize,
        size: usize,
        get: fn(&Self, usize) -> T,
    ) -> [T; N] {
        std::array::from_fn(|i| get(self, off + i * size))
    }
}

/// The flavour and byte order (`true` = big-endian) of a header, or why it is none.
///
/// NIfTI-2 is recognised by `sizeof_hdr = 540` and its magic; NIfTI-1 by its
/// magic at byte 344; Analyze by `sizeof_hdr = 348`. The byte order of 348-byte
/// headers follows nifti_clib: the one that puts `dim[0]` in 1..7, else the one
/// that makes `sizeof_hdr` 348.
pub(crate) fn detect(b: &[u8]) -> std::result::Result<(Flavor, bool), String> {
    if b.len() < 4 {
        return Err(format!("{} bytes is too short for a header", b.len()));
    }
    let word = [b[0], b[1], b[2], b[3]];
    let (size_le, size_be) = (i32::from_le_bytes(word), i32::from_be_bytes(word));
    if b.len() >= 8
        && (size_le == NIFTI2_HEADER as i32 || size_be == NIFTI2_HEADER as i32)
        && matches!(&b[4..8], b"n+2\0" | b"ni2\0")
    {
        if b.len() < NIFTI2_HEADER {
            return Err(format!(
                "NIfTI-2 header truncated: {} of {NIFTI2_HEADER} bytes",
                b.len()
            ));
        }
        return Ok((Flavor::Nifti2, size_le != NIFTI2_HEADER as i32));
    }
    let sized_348 = size_le == NIFTI1_HEADER as i32 || size_be == NIFTI1_HEADER as i32;
    if b.len() < NIFTI1_HEADER {
        return Err(if sized_348 {
            format!("header truncated: {} of {NIFTI1_HEADER} bytes", b.len())
        } else {
            format!(
                "not a NIfTI or Analyze header (sizeof_hdr = {size_le}, {} bytes)",
                b.len()
            )
        });
    }
    let nifti1 = matches!(&b[344..348], b"n+1\0" | b"ni1\0");
    if !nifti1 && !sized_348 {
        return Err(format!(
            "not a NIfTI or Analyze header: sizeof_hdr is {size_le} (not 348 or 540) and there is no NIfTI magic"
        ));
    }
    let d0 = [b[40], b[41]];
    let (d0_le, d0_be) = (i16::from_le_bytes(d0), i16::from_be_bytes(d0));
    let big = if (1..=7).contains(&d0_le) {
        false
    } else if (1..=7).contains(&d0_be) {
        true
    } else if d0_le == 0 && sized_348 {
        size_le != NIFTI1_HEADER as i32
    } else {
        return Err(format!(
            "dim[0] is {d0_le} ({d0_be} byte-swapped): not a number of dimensions in 1..7"
        ));
    };
    Ok((
        if nifti1 {
            Flavor::Nifti1
        } else {
            Flavor::Analyze
        },
        big,
    ))
}

/// Parses a NIfTI-1, NIfTI-2 or Analyze 7.5 header from the first bytes of a file.
pub(crate) fn parse_header(b: &[u8]) -> std::result::Result<Header, String> {
    let (flavor, big_endian) = detect(b)?;
    let f = Fields { b, big: big_endian };
    let h = match flavor {
        Flavor::Nifti2 => Header {
            flavor,
            big_endian,
            single_file: b[5] == b'+',
            datatype: f.i16(12),
            dim: f.array(16, 8, Fields::i64),
            pixdim: f.array(104, 8, Fields::f64),
            vox_offset: f.i64(168) as f64,
            scl_slope: f.f64(176),
            scl_inter: f.f64(184),
            qform_code: f.i32(344),
            sform_code: f.i32(348),
            quatern: f.array(352, 8, Fields::f64),
            qoffset: f.array(376, 8, Fields::f64),
            srow: [
                f.array(400, 8, Fields::f64),
                f.array(432, 8, Fields::f64),
                f.array(464, 8, Fields::f64),
            ],
            xyzt_units: f.i32(500),
        },
        Flavor::Nifti1 | Flavor::Analyze => {
            let nifti = flavor == Flavor::Nifti1;
            // Analyze keeps other things (orient, originator, funused1) where
            // NIfTI-1 has its codes and scaling: ITK ignores them, so do we.
            let only_nifti = |v: f64| if nifti { v } else { 0.0 };
            Header {
                flavor,
                big_endian,
                single_file: nifti && b[345] == b'+',
                dim: f.array::<i16, 8>(40, 2, Fields::i16).map(i64::from),
                datatype: f.i16(70),
                pixdim: f.array(76, 4, Fields::f32),
                vox_offset: f.f32(108),
                scl_slope: only_nifti(f.f32(112)),
                scl_inter: only_nifti(f.f32(116)),
                xyzt_units: if nifti { i32::from(b[123]) } else { 0 },
                qform_code: if nifti { i32::from(f.i16(252)) } else { 0 },
                sform_code: if nifti { i32::from(f.i16(254)) } else { 0 },
                quatern: f.array(256, 4, Fields::f32),
                qoffset: f.array(268, 4, Fields::f32),
                srow: [
                    f.array(280, 4, Fields::f32),
                    f.array(296, 4, Fields::f32),
                    f.array(312, 4, Fields::f32),
                ],
            }
        }
    };
    Ok(h)
}

/// The voxel array a header describes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Layout {
    /// `[nx, ny, nz]`.
    pub size: [usize; 3],
    /// Number of 3D volumes (product of `dim[4..=dim[0]]`).
    pub count: usize,
    pub pixel: PixelType,
}

impl Header {
    fn format(&self) -> &'static str {
        self.flavor.format_name()
    }

    fn header_error(&self, path: &Path, reason: impl Into<String>) -> IoError {
        IoError::Header {
            path: path.to_path_buf(),
            format: self.format(),
            reason: reason.into(),
        }
    }

    /// Number of dimensions, `dim[0]`, checked to be in 1..7.
    fn ndim(&self, path: &Path) -> Result<usize> {
        match self.dim[0] {
            d @ 1..=7 => Ok(d as usize),
            d => Err(self.header_error(path, format!("dim[0] = {d}: not in 1..7"))),
        }
    }

    /// Checks dimensions and datatype.
    pub(crate) fn layout(&self, path: &Path) -> Result<Layout> {
        let ndim = self.ndim(path)?;
        let mut size = [1usize; 3];
        let mut count = 1usize;
        for i in 1..=ndim {
            let d = self.dim[i];
            if d < 1 {
                return Err(self.header_error(path, format!("dim[{i}] = {d}: must be at least 1")));
            }
            let d = usize::try_from(d)
                .map_err(|_| self.header_error(path, format!("dim[{i}] = {d} is too large")))?;
            if i <= 3 {
                size[i - 1] = d;
            } else {
                count = count.checked_mul(d).ok_or_else(|| {
                    self.header_error(path, "the number of volumes overflows".to_string())
                })?;
            }
        }
        let pixel = pixel_type(self.datatype).map_err(|(supported, reason)| {
            if supported {
                IoError::Unsupported {
                    path: path.to_path_buf(),
                    format: self.format(),
                    reason,
                }
            } else {
                self.header_error(path, reason)
            }
        })?;
        Ok(Layout { size, count, pixel })
    }

    /// Byte offset of the voxel data in the data file (nifti_clib: at least the
    /// header size for single files).
    fn data_offset(&self, path: &Path) -> Result<u64> {
        let v = self.vox_offset;
        if !(0.0..=1e18).contains(&v) {
            return Err(self.header_error(path, format!("vox_offset = {v} is not a valid offset")));
        }
        let v = v as u64;
        Ok(if self.single_file {
            let min = match self.flavor {
                Flavor::Nifti2 => NIFTI2_HEADER,
                _ => NIFTI1_HEADER,
            };
            v.max(min as u64)
        } else {
            v
        })
    }

    /// `(slope, intercept)` when ITK would rescale the voxels, else `None`.
    pub(crate) fn rescale(&self) -> Option<(f64, f64)> {
        if self.flavor == Flavor::Analyze {
            return None;
        }
        let eps = f64::EPSILON;
        let mut slope = finite_or_zero(self.scl_slope);
        if slope.abs() < eps {
            slope = 1.0;
        }
        let inter = finite_or_zero(self.scl_inter);
        ((slope - 1.0).abs() > eps || inter.abs() > eps).then_some((slope, inter))
    }

    /// The geometry SimpleITK reports (see the module documentation).
    pub(crate) fn geometry(&self, path: &Path) -> Result<Geometry> {
        let ndim = self.ndim(path)?;
        let nifti = self.flavor != Flavor::Analyze;
        let unit = match self.xyzt_units & 7 {
            1 if nifti => 1e3,
            3 if nifti => 1e-3,
            _ => 1.0,
        };
        // Grid spacings as nifti_clib fixes them: 0 → 1; medvox rejects NaN/inf.
        let mut pix = [1.0f64; 3];
        for (i, p) in pix.iter_mut().enumerate() {
            let v = self.pixdim[i + 1];
            if i < ndim && !v.is_finite() {
                return Err(
                    self.header_error(path, format!("pixdim[{}] = {v} is not finite", i + 1))
                );
            }
            if v.is_finite() && v != 0.0 {
                *p = v;
            }
        }
        // nifti_clib keeps NIfTI-1 matrices in f32.
        let round = |m: Affine| -> Affine {
            if self.flavor == Flavor::Nifti2 {
                m
            } else {
                m.map(|r| r.map(|v| v as f32 as f64))
            }
        };
        let has_q = nifti && self.qform_code > 0;
        let has_s = nifti && self.sform_code > 0;
        let qto = round(if has_q {
            self.qform_matrix(pix)
        } else {
            [
                [pix[0], 0.0, 0.0, 0.0],
                [0.0, pix[1], 0.0, 0.0],
                [0.0, 0.0, pix[2], 0.0],
            ]
        });
        let sto = if has_s {
            round(self.srow.map(|r| r.map(finite_or_zero)))
        } else {
            [[0.0; 4]; 3]
        };

        let (matrix, spacing) = if !has_q && !has_s {
            (None, pix)
        } else {
            let mut prefer_sform = nearly_equal(&sto, &qto);
            if (!prefer_sform || has_s) && is_rotation_and_scale(&sto) {
                if has_s && (!has_q || self.sform_code == XFORM_SCANNER_ANAT) {
                    prefer_sform = true;
                } else if has_q && has_s {
                    prefer_sform = same_rotation_scale_offset(&sto, &qto);
                }
            }
            if prefer_sform {
                (Some(sto), pix)
            } else if has_q {
                (Some(qto), pix)
            } else {
                // ITK gives up here (sheared sform, no qform): keep the exact affine.
                let lengths = split_columns(&sto).1;
                (
                    Some(sto),
                    std::array::from_fn(|c| if lengths[c] > 0.0 { lengths[c] } else { pix[c] }),
                )
            }
        };
        let mut origin = [0.0; 3];
        let mut direction = Geometry::IDENTITY;
        if let Some(m) = matrix {
            let lps = flip_xy(&m);
            origin = [0, 1, 2].map(|r| lps[r][3] * unit);
            direction = split_columns(&lps).0;
            if ndim < 3 {
                complete_basis(&mut direction);
            }
        }
        let mut spacing = spacing.map(|s| s * unit);
        for (c, s) in spacing.iter_mut().enumerate() {
            if *s < 0.0 {
                *s = -*s;
                for row in direction.iter_mut() {
                    row[c] = -row[c];
                }
            }
        }
        // `+ 0.0` turns the -0.0 of sign flips into 0.0.
        let direction = direction.map(|r| r.map(|v| v + 0.0));
        Geometry::new(spacing, origin.map(|v| v + 0.0), direction).at(path)
    }

    /// nifti_clib's `nifti_quatern_to_mat44` (in f64).
    fn qform_matrix(&self, pix: [f64; 3]) -> Affine {
        let [mut b, mut c, mut d] = self.quatern.map(finite_or_zero);
        let mut a = 1.0 - (b * b + c * c + d * d);
        if a < 1e-7 {
            let n = 1.0 / (b * b + c * c + d * d).sqrt();
            b *= n;
            c *= n;
            d *= n;
            a = 0.0;
        } else {
            a = a.sqrt();
        }
        let [xd, yd, mut zd] = pix.map(|p| if p > 0.0 { p } else { 1.0 });
        if self.pixdim[0] < 0.0 {
            zd = -zd;
        }
        let [qx, qy, qz] = self.qoffset.map(finite_or_zero);
        [
            [
                (a * a + b * b - c * c - d * d) * xd,
                2.0 * (b * c - a * d) * yd,
                2.0 * (b * d + a * c) * zd,
                qx,
            ],
            [
                2.0 * (b * c + a * d) * xd,
                (a * a + c * c - b * b - d * d) * yd,
                2.0 * (c * d - a * b) * zd,
                qy,
            ],
            [
                2.0 * (b * d - a * c) * xd,
                2.0 * (c * d + a * b) * yd,
                (a * a + d * d - c * c - b * b) * zd,
                qz,
            ],
        ]
    }
}

fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

fn column(m: &Affine, c: usize) -> [f64; 3] {
    [m[0][c], m[1][c], m[2][c]]
}

fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// `v / |v|`, or `v` unchanged when it is zero (ITK's `Normalize`).
fn normalized(v: [f64; 3]) -> [f64; 3] {
    let n = norm(v);
    if n == 0.0 {
        v
    } else {
        v.map(|x| x / n)
    }
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Replaces zero direction columns of a 1D/2D file by unit vectors completing a
/// right-handed basis (a 2D sform may leave its third column empty).
fn complete_basis(d: &mut Mat3) {
    let col = |d: &Mat3, c: usize| [d[0][c], d[1][c], d[2][c]];
    let set = |d: &mut Mat3, c: usize, v: [f64; 3]| {
        for r in 0..3 {
            d[r][c] = v[r];
        }
    };
    for c in 0..3 {
        if norm(col(d, c)) == 0.0 {
            let (a, b) = (col(d, (c + 1) % 3), col(d, (c + 2) % 3));
            let mut v = normalized(cross(a, b));
            if norm(v) == 0.0 {
                // Two empty columns (1D): any axis not along the other one.
                let other = if norm(a) > 0.0 { a } else { b };
                let axis = if other[0].abs() < 0.9 {
                    [1.0, 0.0, 0.0]
                } else {
                    [0.0, 1.0, 0.0]
                };
                v = normalized(cross(other, axis));
                if norm(v) == 0.0 {
                    v = [0.0; 3];
                    v[c] = 1.0;
                }
            }
            set(d, c, v);
        }
    }
}

/// ITK's first test: sform and qform equal element by element (rotation/scale
/// within 1e-5, translation within 1e-7).
fn nearly_equal(s: &Affine, q: &Affine) -> bool {
    let rot = (0..3).all(|r| (0..3).all(|c| (s[r][c] - q[r][c]).abs() <= 1e-5));
    let shift: f64 = (0..3).map(|r| (s[r][3] - q[r][3]).abs()).sum();
    rot && shift <= 1e-7
}

/// Columns normalised: the rotation part of `R · diag(scale)`, and the scales.
fn split_columns(m: &Affine) -> (Mat3, [f64; 3]) {
    let units: [[f64; 3]; 3] = std::array::from_fn(|c| normalized(column(m, c)));
    (
        std::array::from_fn(|r| std::array::from_fn(|c| units[c][r])),
        std::array::from_fn(|c| norm(column(m, c))),
    )
}

/// `diag(-1, -1, 1) · m`: RAS ↔ LPS.
fn flip_xy(m: &Affine) -> Affine {
    std::array::from_fn(|r| m[r].map(|v| if r < 2 { -v } else { v }))
}

/// `a · bᵀ` is the identity within 1e-4 (elementwise, as vnl's `is_identity`).
fn rotations_match(a: &Mat3, b: &Mat3) -> bool {
    (0..3).all(|i| {
        (0..3).all(|j| {
            let v: f64 = (0..3).map(|k| a[i][k] * b[j][k]).sum();
            (v - if i == j { 1.0 } else { 0.0 }).abs() <= 1e-4
        })
    })
}

/// ITK's "sform decomposable without skew": invertible, columns orthonormal
/// once normalised (tolerance 1e-4).
fn is_rotation_and_scale(m: &Affine) -> bool {
    let (r, scale) = split_columns(m);
    scale.iter().all(|s| *s > 0.0 && s.is_finite()) && rotations_match(&r, &r)
}

/// ITK's "sform and qform are very similar" (it compares SVDs; for matrices that
/// are rotations times scales this is: same rotation, same scales, same offset,
/// each within 1e-4).
fn same_rotation_scale_offset(s: &Affine, q: &Affine) -> bool {
    let (rs, mut ss) = split_columns(s);
    let (rq, mut sq) = split_columns(q);
    ss.sort_by(|a, b| b.total_cmp(a));
    sq.sort_by(|a, b| b.total_cmp(a));
    rotations_match(&rs, &rq)
        && ss.iter().zip(&sq).all(|(a, b)| (a - b).abs() <= 1e-4)
        && (0..3).all(|r| (s[r][3] - q[r][3]).abs() <= 1e-4)
}

/// The pixel type of a NIfTI/Analyze datatype code; `Err((true, _))` for a known
/// but unsupported datatype, `Err((false, _))` for an unknown code.
fn pixel_type(code: i16) -> std::result::Result<PixelType, (bool, String)> {
    let known = nifti::NiftiHeader {
        datatype: code,
        ..Default::default()
    }
    .data_type();
    Ok(match known {
        Ok(NiftiType::Uint8) => PixelType::U8,
        Ok(NiftiType::Int8) => PixelType::I8,
        Ok(NiftiType::Uint16) => PixelType::U16,
        Ok(NiftiType::Int16) => PixelType::I16,
        Ok(NiftiType::Uint32) => PixelType::U32,
        Ok(NiftiType::Int32) => PixelType::I32,
        Ok(NiftiType::Float32) => PixelType::F32,
        Ok(NiftiType::Float64) => PixelType::F64,
        Ok(other) => {
            return Err((
                true,
                format!(
                    "datatype {code} ({other:?}) is not supported (medvox reads u8, i8, u16, i16, u32, i32, f32, f64)"
                ),
            ))
        }
        Err(_) if code == 1 => {
            return Err((true, "datatype 1 (binary, 1 bit per voxel) is not supported".into()))
        }
        Err(_) => return Err((false, format!("unknown datatype {code}"))),
    })
}

/// The NIfTI datatype of a pixel type.
fn nifti_type(pt: PixelType) -> NiftiType {
    match pt {
        PixelType::U8 => NiftiType::Uint8,
        PixelType::I8 => NiftiType::Int8,
        PixelType::U16 => NiftiType::Uint16,
        PixelType::I16 => NiftiType::Int16,
        PixelType::U32 => NiftiType::Uint32,
        PixelType::I32 => NiftiType::Int32,
        PixelType::F32 => NiftiType::Float32,
        PixelType::F64 => NiftiType::Float64,
    }
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// A file's bytes: raw ones are read straight into the voxel buffer, gzip ones
/// are held compressed in memory and inflated into it.
enum Source {
    Raw { file: File, len: u64 },
    Gzip(Vec<u8>),
}

impl Source {
    /// Opens a file and returns it with its first (decompressed) bytes.
    fn open(path: &Path, head_len: usize) -> Result<(Source, Vec<u8>)> {
        let mut file = File::open(path).at(path)?;
        let len = file.metadata().at(path)?.len();
        let mut head = Vec::with_capacity(head_len);
        (&mut file)
            .take(head_len as u64)
            .read_to_end(&mut head)
            .at(path)?;
        if gz::is_gzip(&head) {
            let mut all = Vec::with_capacity(usize::try_from(len).unwrap_or(0).max(head.len()));
            all.extend_from_slice(&head);
            file.read_to_end(&mut all).at(path)?;
            let head = gz::gunzip_prefix_lossy(&all, head_len);
            Ok((Source::Gzip(all), head))
        } else {
            Ok((Source::Raw { file, len }, head))
        }
    }

    /// `(bytes available, compressed)` for [`crate::Limits::check`], after `offset`.
    fn available(&self, path: &Path, offset: u64) -> Result<(u64, bool)> {
        match self {
            Source::Raw { len, .. } if offset > *len => Err(IoError::Data {
                path: path.to_path_buf(),
                reason: format!(
                    "vox_offset {offset} lies beyond the end of the file ({len} bytes)"
                ),
            }),
            Source::Raw { len, .. } => Ok((len - offset, false)),
            Source::Gzip(bytes) => Ok((bytes.len() as u64, true)),
        }
    }

    /// The voxels that start at byte `offset`, as `count` volumes (limits already checked).
    fn volumes(
        self,
        path: &Path,
        offset: u64,
        layout: Layout,
        geometry: Geometry,
        big_endian: bool,
    ) -> Result<Vec<AnyVolume>> {
        let Layout { size, count, pixel } = layout;
        match self {
            Source::Raw { mut file, .. } => {
                raw::decode_volumes(path, pixel, size, count, geometry, big_endian, |buf| {
                    file.seek(SeekFrom::Start(offset)).at(path)?;
                    file.read_exact(buf).map_err(|e| IoError::Data {
                        path: path.to_path_buf(),
                        reason: format!("reading {} bytes at offset {offset}: {e}", buf.len()),
                    })
                })
            }
            Source::Gzip(bytes) => {
                let skip = usize::try_from(offset).map_err(|_| IoError::Data {
                    path: path.to_path_buf(),
                    reason: format!("vox_offset {offset} is too large"),
                })?;
                let inflate = Inflate {
                    path,
                    data: &bytes,
                    skip,
                    size,
                    count,
                    geometry,
                    big_endian,
                };
                medvox_core::for_pixel_type!(pixel, T => inflate.volumes::<T>())
            }
        }
    }
}

/// gzip voxel data that start `skip` bytes into the decompressed stream.
struct Inflate<'a> {
    path: &'a Path,
    data: &'a [u8],
    skip: usize,
    size: [usize; 3],
    count: usize,
    geometry: Geometry,
    big_endian: bool,
}

impl Inflate<'_> {
    /// Inflates into typed volumes: one volume keeps the inflated buffer (see
    /// [`Inflate::voxels`]), a series is copied out of it volume by volume.
    fn volumes<T: Pixel>(&self) -> Result<Vec<AnyVolume>>
    where
        AnyVolume: From<Volume<T>>,
    {
        let per = self.size.iter().product::<usize>();
        let mut voxels = self
            .voxels::<T>(per * self.count)
            .map_err(|reason| IoError::Data {
                path: self.path.to_path_buf(),
                reason,
            })?;
        if self.big_endian != cfg!(target_endian = "big") {
            medvox_core::pixel::swap_bytes_in_place(&mut voxels);
        }
        let volume = |v: Vec<T>| -> Result<AnyVolume> {
            Ok(Volume::from_vec(self.size, v, self.geometry)
                .at(self.path)?
                .into())
        };
        if self.count == 1 {
            return Ok(vec![volume(voxels)?]);
        }
        voxels
            .chunks_exact(per)
            .map(|c| volume(c.to_vec()))
            .collect()
    }

    /// The `n` values after the first `skip` decompressed bytes, in file byte
    /// order, without a second buffer: the vector is over-allocated so that
    /// libdeflate inflates the header into its front, then the voxels are moved
    /// down. Its pages are touched in parallel first (page faults are a sixth of
    /// the inflate time).
    fn voxels<T: Pixel>(&self, n: usize) -> std::result::Result<Vec<T>, String> {
        let size = std::mem::size_of::<T>();
        let lead = self.skip.div_ceil(size);
        let mut v =
            medvox_core::budget::try_zeroed_vec::<T>(n + lead).map_err(|e| e.to_string())?;
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut v);
        bytes
            .par_chunks_mut(4096)
            .for_each(|page| page[0] = std::hint::black_box(0));
        gz::gunzip_into(self.data, &mut bytes[lead * size - self.skip..])?;
        v.copy_within(lead.., 0);
        v.truncate(n);
        Ok(v)
    }
}

/// Lower-cased file name.
fn lower_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// `path` with its last `n` bytes of file name replaced by `ext`.
fn with_ending(path: &Path, n: usize, ext: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .len()
        .checked_sub(n)
        .and_then(|i| name.get(..i))
        .unwrap_or(&name);
    path.with_file_name(format!("{stem}{ext}"))
}

/// The first existing file among `stem + ext` for the given endings (lower-case,
/// then upper-case when the given name was upper-case).
fn find_companion(path: &Path, strip: usize, endings: &[&str]) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let ending = name.get(name.len().saturating_sub(strip)..).unwrap_or("");
    let upper = ending.chars().any(|c| c.is_ascii_uppercase());
    endings
        .iter()
        .map(|e| {
            with_ending(
                path,
                strip,
                &if upper {
                    e.to_ascii_uppercase()
                } else {
                    e.to_string()
                },
            )
        })
        .find(|p| p.is_file())
}

/// Length of a `.img`/`.img.gz` ending, or `None`.
fn img_ending(path: &Path) -> Option<usize> {
    let name = lower_name(path);
    [".img.gz", ".img"]
        .into_iter()
        .find(|e| name.ends_with(e))
        .map(str::len)
}

/// Length of the header file's ending (`.hdr`, `.nii`, with `.gz`) to strip for its companion.
fn header_ending(path: &Path) -> usize {
    let name = lower_name(path);
    [".hdr.gz", ".nii.gz", ".hdr", ".nii"]
        .into_iter()
        .find(|e| name.ends_with(e))
        .map_or(0, str::len)
}

/// Reads any NIfTI-1/2 or Analyze 7.5 file (single file or pair; `path` may name
/// the header or the `.img`). `Image::format` is `"nifti"` or `"analyze"`.
pub(crate) fn read_image(path: &Path, opts: &ReadOptions) -> Result<Image> {
    let header_path = match img_ending(path) {
        Some(n) => find_companion(path, n, &[".hdr", ".hdr.gz"]).ok_or_else(|| IoError::Os {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no .hdr or .hdr.gz header next to this .img file",
            ),
        })?,
        None => path.to_path_buf(),
    };
    let hp = header_path.as_path();
    let (source, head) = Source::open(hp, NIFTI2_HEADER)?;
    let header = parse_header(&head).map_err(|reason| IoError::Header {
        path: hp.to_path_buf(),
        format: "nifti",
        reason,
    })?;
    let layout = header.layout(hp)?;
    let geometry = header.geometry(hp)?;
    let offset = header.data_offset(hp)?;

    let (data_path, source) = if header.single_file {
        (header_path.clone(), source)
    } else {
        drop(source);
        let img = if img_ending(path).is_some() {
            path.to_path_buf()
        } else {
            find_companion(hp, header_ending(hp), &[".img", ".img.gz"]).ok_or_else(|| {
                IoError::Os {
                    path: hp.to_path_buf(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "the voxel data file (.img or .img.gz) next to this header is missing",
                    ),
                }
            })?
        };
        let (s, _) = Source::open(&img, 2)?;
        (img, s)
    };
    let dp = data_path.as_path();
    let available = source.available(dp, offset)?;
    let [nx, ny, nz] = layout.size.map(|s| s as u64);
    let bytes = opts.limits.check(
        dp,
        &[nx, ny, nz, layout.count as u64],
        layout.pixel.size() as u64,
        Some(available),
    )?;
    if available.1 {
        // Gzip data are inflated from the start: the bytes before vox_offset count too.
        opts.limits.check(
            dp,
            &[offset.saturating_add(bytes as u64)],
            1,
            Some(available),
        )?;
    }
    let volumes = source.volumes(dp, offset, layout, geometry, header.big_endian)?;
    let scale = header.rescale();
    let volumes = volumes.into_iter().map(|v| finish(v, scale)).collect();
    Ok(Image {
        format: header.flavor.format_name(),
        volumes,
    })
}

/// `v · slope + inter` applied to loaded voxels as ITK does when `scale` is set
/// (f64 stays f64, f32 stays f32, integers become f32); NaN and ±inf stay as stored.
fn finish(v: AnyVolume, scale: Option<(f64, f64)>) -> AnyVolume {
    fn each<T: Send>(s: &mut [T], f: impl Fn(&mut T) + Sync) {
        s.par_chunks_mut(1 << 16)
            .for_each(|c| c.iter_mut().for_each(&f));
    }
    match (v, scale) {
        (AnyVolume::F64(mut v), Some((a, b))) => {
            each(v.as_slice_mut(), |x| *x = *x * a + b);
            v.into()
        }
        (AnyVolume::F32(mut v), Some((a, b))) => {
            each(v.as_slice_mut(), |x| *x = (*x as f64 * a + b) as f32);
            v.into()
        }
        (other, Some((a, b))) => {
            medvox_core::with_volume!(other, v => to_scaled_f32(&v, a, b)).into()
        }
        (other, None) => other,
    }
}

fn to_scaled_f32<T: Pixel>(v: &Volume<T>, slope: f64, inter: f64) -> Volume<f32> {
    v.map(|x| ((x.to_f64() as f32) as f64 * slope + inter) as f32)
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Where a write goes, by extension.
enum Target {
    Single {
        gzip: bool,
    },
    Pair {
        header: PathBuf,
        image: PathBuf,
        gzip: bool,
    },
}

fn target(path: &Path) -> Result<Target> {
    let name = lower_name(path);
    let pair = |n: usize, gzip: bool| {
        let gz = if gzip { ".gz" } else { "" };
        Target::Pair {
            header: with_ending(path, n, &format!(".hdr{gz}")),
            image: with_ending(path, n, &format!(".img{gz}")),
            gzip,
        }
    };
    Ok(if name.ends_with(".nii.gz") {
        Target::Single { gzip: true }
    } else if name.ends_with(".nii") {
        Target::Single { gzip: false }
    } else if name.ends_with(".hdr.gz") || name.ends_with(".img.gz") {
        pair(7, true)
    } else if name.ends_with(".hdr") || name.ends_with(".img") {
        pair(4, false)
    } else {
        return Err(IoError::UnknownFormat {
            path: path.to_path_buf(),
            reason: "NIfTI files end in .nii, .nii.gz, .hdr, .hdr.gz, .img or .img.gz".into(),
        });
    })
}

/// Writes one volume, or several (a 4D time series) sharing size, pixel type and
/// geometry, as a NIfTI-1 file or pair chosen by the extension (see the module
/// documentation). Writes are atomic.
pub fn write_volumes(path: &Path, volumes: &[AnyVolume], opts: &WriteOptions) -> Result<()> {
    let unsupported = |reason: String| IoError::Unsupported {
        path: path.to_path_buf(),
        format: "nifti",
        reason,
    };
    let first = volumes
        .first()
        .ok_or_else(|| unsupported("no volume to write".into()))?;
    if let Some(v) = volumes.iter().find(|v| {
        v.size() != first.size()
            || v.pixel_type() != first.pixel_type()
            || v.geometry() != first.geometry()
    }) {
        return Err(unsupported(format!(
            "volumes of a series must share size, pixel type and geometry ({:?} {} vs {:?} {})",
            first.size(),
            first.pixel_type(),
            v.size(),
            v.pixel_type()
        )));
    }
    let target = target(path)?;
    let single = matches!(target, Target::Single { .. });
    let header = build_header(first, volumes.len(), single).map_err(unsupported)?;
    let data: Vec<std::borrow::Cow<'_, [u8]>> = volumes.iter().map(raw::le_bytes).collect();
    let mut parts: Vec<&[u8]> = Vec::with_capacity(volumes.len() + 1);
    match target {
        Target::Single { gzip } => {
            parts.push(&header);
            parts.extend(data.iter().map(|d| d.as_ref()));
            write_parts(path, &parts, gzip, opts.level)
        }
        Target::Pair {
            header: hdr,
            image,
            gzip,
        } => {
            parts.extend(data.iter().map(|d| d.as_ref()));
            write_parts(&image, &parts, gzip, opts.level)?;
            write_parts(&hdr, &[&header], gzip, opts.level)
        }
    }
}

/// Writes the concatenation of `parts`, gzipped (in parallel) or not, atomically.
fn write_parts(path: &Path, parts: &[&[u8]], gzip: bool, level: u32) -> Result<()> {
    if gzip {
        // Compressed inside the write, so the temporary exists (and is cleaned up
        // on SIGINT/SIGTERM) for the whole time.
        atomic::write_atomic(path, |w| w.write_all(&gz::gzip(parts, level)).at(path))
    } else {
        atomic::write_atomic(path, |w| {
            parts.iter().try_for_each(|p| w.write_all(p)).at(path)
        })
    }
}

/// A little-endian NIfTI-1 header (352 bytes: 348 + an empty extension flag).
fn build_header(v: &AnyVolume, count: usize, single: bool) -> std::result::Result<Vec<u8>, String> {
    let mut dims = [1i16; 8];
    let size = v.size();
    for (i, &n) in size.iter().chain(std::iter::once(&count)).enumerate() {
        dims[i + 1] = i16::try_from(n)
            .ok()
            .filter(|d| *d >= 1)
            .ok_or_else(|| format!("size {n} along axis {i} does not fit NIfTI-1 (1..=32767)"))?;
    }
    dims[0] = if count > 1 { 4 } else { 3 };
    let g = v.geometry();
    let q = qform_from_geometry(g);
    let ty = nifti_type(v.pixel_type());

    let mut h = vec![0u8; WRITE_VOX_OFFSET];
    let mut put = |off: usize, bytes: &[u8]| h[off..off + bytes.len()].copy_from_slice(bytes);
    put(0, &(NIFTI1_HEADER as i32).to_le_bytes());
    put(38, b"r");
    for (i, d) in dims.iter().enumerate() {
        put(40 + 2 * i, &d.to_le_bytes());
    }
    put(70, &(ty as i16).to_le_bytes());
    put(72, &((ty.size_of() * 8) as i16).to_le_bytes());
    let [sx, sy, sz] = g.spacing;
    for (i, p) in [q.qfac, sx, sy, sz, 1.0, 1.0, 1.0, 1.0].iter().enumerate() {
        put(76 + 4 * i, &(*p as f32).to_le_bytes());
    }
    let vox_offset = if single { WRITE_VOX_OFFSET as f32 } else { 0.0 };
    put(108, &vox_offset.to_le_bytes());
    put(112, &1.0f32.to_le_bytes());
    put(123, &[UNITS_MM_SEC]);
    put(148, b"medvox");
    put(252, &(XFORM_SCANNER_ANAT as i16).to_le_bytes());
    put(254, &(XFORM_SCANNER_ANAT as i16).to_le_bytes());
    let sform = sform_from_geometry(g);
    let offset = sform.map(|row| row[3]);
    for (i, x) in q.quatern.iter().chain(&offset).enumerate() {
        put(256 + 4 * i, &(*x as f32).to_le_bytes());
    }
    for (r, row) in sform.iter().enumerate() {
        for (c, x) in row.iter().enumerate() {
            put(280 + 16 * r + 4 * c, &(*x as f32).to_le_bytes());
        }
    }
    put(344, if single { b"n+1\0" } else { b"ni1\0" });
    Ok(h)
}

/// The RAS affine of an LPS geometry: `diag(-1,-1,1) · [D·diag(spacing) | origin]`.
fn sform_from_geometry(g: &Geometry) -> Affine {
    let m = g.index_to_physical_matrix();
    flip_xy(&std::array::from_fn(|r| {
        [m[r][0], m[r][1], m[r][2], g.origin[r]]
    }))
}

/// Rotation parameters of a NIfTI qform (its offset is the sform's translation).
#[derive(Debug, Clone, Copy)]
struct Qform {
    quatern: [f64; 3],
    qfac: f64,
}

/// nifti_clib's `nifti_mat44_to_quatern` on the RAS direction: the nearest
/// rotation (polar decomposition), `qfac = -1` and the third column flipped when
/// it is improper, then the quaternion `(b, c, d)` with `a ≥ 0`.
fn qform_from_geometry(g: &Geometry) -> Qform {
    let lps: Affine = g.direction.map(|[a, b, c]| [a, b, c, 0.0]);
    let mut p = polar(&split_columns(&flip_xy(&lps)).0);
    let qfac = if det3(&p) > 0.0 { 1.0 } else { -1.0 };
    if qfac < 0.0 {
        for row in p.iter_mut() {
            row[2] = -row[2];
        }
    }
    let [[r11, r12, r13], [r21, r22, r23], [r31, r32, r33]] = p;
    let a = r11 + r22 + r33 + 1.0;
    let (b, c, d) = if a > 0.5 {
        let a = 0.5 * a.sqrt();
        (
            0.25 * (r32 - r23) / a,
            0.25 * (r13 - r31) / a,
            0.25 * (r21 - r12) / a,
        )
    } else {
        let xd = 1.0 + r11 - (r22 + r33);
        let yd = 1.0 + r22 - (r11 + r33);
        let zd = 1.0 + r33 - (r11 + r22);
        let (a, b, c, d) = if xd > 1.0 {
            let b = 0.5 * xd.sqrt();
            (
                0.25 * (r32 - r23) / b,
                b,
                0.25 * (r12 + r21) / b,
                0.25 * (r13 + r31) / b,
            )
        } else if yd > 1.0 {
            let c = 0.5 * yd.sqrt();
            (
                0.25 * (r13 - r31) / c,
                0.25 * (r12 + r21) / c,
                c,
                0.25 * (r23 + r32) / c,
            )
        } else {
            let d = 0.5 * zd.sqrt();
            (
                0.25 * (r21 - r12) / d,
                0.25 * (r13 + r31) / d,
                0.25 * (r23 + r32) / d,
                d,
            )
        };
        if a < 0.0 {
            (-b, -c, -d)
        } else {
            (b, c, d)
        }
    };
    Qform {
        quatern: [b, c, d],
        qfac,
    }
}

/// The orthogonal matrix nearest to `m` (polar decomposition by scaled Newton
/// iteration `X ← (γX + X⁻ᵀ/γ)/2`); `m` itself when it is already orthogonal.
fn polar(m: &Mat3) -> Mat3 {
    let frob = |x: &Mat3| x.iter().flatten().map(|v| v * v).sum::<f64>().sqrt();
    let mut x = *m;
    for _ in 0..100 {
        let Some(inv) = inverse3(&x) else { break };
        let gamma = (frob(&inv) / frob(&x)).sqrt();
        let next: Mat3 = std::array::from_fn(|i| {
            std::array::from_fn(|j| 0.5 * (gamma * x[i][j] + inv[j][i] / gamma))
        });
        let change = (next.iter().flatten().zip(x.iter().flatten()))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        x = next;
        if change < 1e-15 {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rot(t: f64) -> Mat3 {
        [
            [t.cos(), -t.sin(), 0.0],
            [t.sin(), t.cos(), 0.0],
            [0.0, 0.0, 1.0],
        ]
    }

    fn header_with(qform: Qform, spacing: [f64; 3], offset: [f64; 3]) -> Header {
        Header {
            flavor: Flavor::Nifti2,
            big_endian: false,
            single_file: true,
            dim: [3, 2, 2, 2, 1, 1, 1, 1],
            datatype: 4,
            pixdim: [
                qform.qfac, spacing[0], spacing[1], spacing[2], 1.0, 1.0, 1.0, 1.0,
            ],
            vox_offset: 540.0,
            scl_slope: 1.0,
            scl_inter: 0.0,
            xyzt_units: 2,
            qform_code: 1,
            sform_code: 0,
            quatern: qform.quatern,
            qoffset: offset,
            srow: [[0.0; 4]; 3],
        }
    }

    /// The quaternion written for a direction gives the same direction back, proper or not.
    #[test]
    fn quaternion_round_trip() {
        let p = Path::new("x.nii");
        for t in [0.0, 0.3, 2.0, 3.1, -1.2] {
            for flip in [1.0, -1.0] {
                let mut d = rot(t);
                for row in d.iter_mut() {
                    row[2] *= flip;
                }
                // Tilt to exercise the "trickier" quaternion branch.
                let tilt = [[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]];
                for d in [d, medvox_core::geometry::mat_mul(&tilt, &d)] {
                    let g = Geometry::new([0.7, 0.9, 2.5], [-100.5, 20.25, 33.0], d).unwrap();
                    let q = qform_from_geometry(&g);
                    let offset = sform_from_geometry(&g).map(|row| row[3]);
                    let back = header_with(q, g.spacing, offset).geometry(p).unwrap();
                    for r in 0..3 {
                        for c in 0..3 {
                            assert!(
                                (back.direction[r][c] - d[r][c]).abs() < 1e-12,
                                "t={t} flip={flip}: {:?} vs {d:?}",
                                back.direction
                            );
                        }
                        assert!((back.origin[r] - g.origin[r]).abs() < 1e-12);
                    }
                }
            }
        }
    }

    #[test]
    fn polar_orthogonalises() {
        let m = [[1.0, 0.1, 0.0], [0.0, 1.0, 0.05], [0.02, 0.0, 1.0]];
        let p = polar(&m);
        assert!(rotations_match(&p, &p));
        assert!(det3(&p) > 0.0);
        let r = rot(0.4);
        let pr = polar(&r);
        assert!(pr
            .iter()
            .flatten()
            .zip(r.iter().flatten())
            .all(|(a, b)| (a - b).abs() < 1e-15));
    }

    #[test]
    fn detect_flavours_and_byte_order() {
        let mut h = vec![0u8; 348];
        h[0..4].copy_from_slice(&348i32.to_be_bytes());
        h[40..42].copy_from_slice(&3i16.to_be_bytes());
        assert_eq!(detect(&h), Ok((Flavor::Analyze, true)));
        h[344..348].copy_from_slice(b"n+1\0");
        assert_eq!(detect(&h), Ok((Flavor::Nifti1, true)));
        h[40..42].copy_from_slice(&9i16.to_le_bytes());
        assert!(detect(&h).is_err());
        assert!(detect(&h[..100]).is_err());
        assert!(detect(b"NRRD0004\n").is_err());
    }

    #[test]
    fn datatypes() {
        assert_eq!(pixel_type(4), Ok(PixelType::I16));
        assert_eq!(pixel_type(768), Ok(PixelType::U32));
        let (supported, msg) = pixel_type(32).unwrap_err();
        assert!(supported && msg.contains("Complex64"), "{msg}");
        assert!(pixel_type(1).unwrap_err().0);
        assert!(!pixel_type(3).unwrap_err().0);
        for pt in PixelType::ALL {
            assert_eq!(pixel_type(nifti_type(pt) as i16), Ok(pt));
        }
    }
}
