//! medvox-io: reading and writing medical volumes.
//!
//! One module per format behind the [`VolumeReader`] / [`VolumeWriter`] traits;
//! [`read`] and [`write`] pick the format by magic bytes, then by extension.
//!
//! | format | read | write | module |
//! | --- | --- | --- | --- |
//! | NIfTI-1 (`.nii`, `.nii.gz`, `.hdr/.img`) | yes | yes | [`nifti`] |
//! | NIfTI-2 | yes | — | [`nifti`] |
//! | Analyze 7.5 (`.hdr/.img`) | yes | — | [`analyze`] |
//! | NRRD (`.nrrd`, `.nhdr`) | yes | yes | [`nrrd`] |
//! | MetaImage (`.mha`, `.mhd`) | yes | yes | [`metaimage`] |
//!
//! Geometry follows ITK (LPS, origin = centre of voxel 0): a file read by medvox
//! and by SimpleITK gives the same origin, spacing and direction. Writes are
//! atomic ([`atomic`]); untrusted headers are checked before allocating ([`Limits`]).

pub mod analyze;
pub mod atomic;
pub mod error;
pub mod gz;
mod header_text;
pub mod limits;
pub mod metaimage;
pub mod nifti;
pub mod nrrd;
pub mod raw;
mod registry;

use std::path::Path;

use medvox_core::AnyVolume;

pub use error::{IoError, Result};
pub use limits::Limits;
pub use registry::{
    read, read_with, reader_for, readers, write, write_series_with, write_with, writer_for, writers,
};

/// What a reader returns: one or more 3D volumes sharing one geometry (a 4D
/// file — fMRI, DWI — gives one volume per time point or component, in file order).
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Name of the format read (`"nifti"`, `"nrrd"`…).
    pub format: &'static str,
    /// The volumes, at least one.
    pub volumes: Vec<AnyVolume>,
}

impl Image {
    /// The first (usually only) volume.
    pub fn into_first(self) -> AnyVolume {
        self.volumes
            .into_iter()
            .next()
            .expect("an Image holds at least one volume")
    }
}

/// Options for reading.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Allocation limits for untrusted headers.
    pub limits: Limits,
    /// Read detached data files (NRRD `data file`, MetaImage `ElementDataFile`)
    /// outside the header's folder. Default: [`allow_outside_data`] (false
    /// unless set for the process, e.g. by the CLI's `--allow-outside-data`).
    pub allow_outside_data: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            limits: Limits::default(),
            allow_outside_data: allow_outside_data(),
        }
    }
}

static ALLOW_OUTSIDE_DATA: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Lets [`ReadOptions::default`] read data files outside a header's folder, for
/// the whole process (the CLI's `--allow-outside-data`).
pub fn set_allow_outside_data(allow: bool) {
    ALLOW_OUTSIDE_DATA.store(allow, std::sync::atomic::Ordering::Relaxed);
}

/// The process-wide default set by [`set_allow_outside_data`].
pub fn allow_outside_data() -> bool {
    ALLOW_OUTSIDE_DATA.load(std::sync::atomic::Ordering::Relaxed)
}

/// Options for writing.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// Compression level (1 = fastest … 9). Used by formats and extensions that compress.
    pub level: u32,
    /// Compress data where the format allows it and the extension does not decide
    /// (NRRD `encoding: gzip`, MetaImage `CompressedData`).
    pub compress: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            level: gz::DEFAULT_LEVEL,
            compress: false,
        }
    }
}

/// A file format known to the registry.
pub trait Format: Send + Sync {
    /// Short name (`"nifti"`).
    fn name(&self) -> &'static str;
    /// Lower-case file name endings it uses, longest first (`".nii.gz"`, `".nii"`).
    fn extensions(&self) -> &'static [&'static str];
    /// True when the first bytes of a file (decompressed if the file is gzip) are this format.
    fn sniff(&self, _head: &[u8]) -> bool {
        false
    }
}

/// Reads files of one format.
pub trait VolumeReader: Format {
    /// Reads a file into volumes.
    fn read(&self, path: &Path, opts: &ReadOptions) -> Result<Image>;
}

/// Writes files of one format.
pub trait VolumeWriter: Format {
    /// Writes one volume, atomically.
    fn write(&self, path: &Path, volume: &AnyVolume, opts: &WriteOptions) -> Result<()>;

    /// Writes a series of volumes sharing size, pixel type and geometry (a 4D
    /// image) as one file, atomically. Formats that hold one volume refuse more.
    fn write_series(&self, path: &Path, volumes: &[AnyVolume], opts: &WriteOptions) -> Result<()> {
        match volumes {
            [v] => self.write(path, v, opts),
            _ => Err(IoError::Unsupported {
                path: path.to_path_buf(),
                format: self.name(),
                reason: format!("{} volumes: this format holds one", volumes.len()),
            }),
        }
    }
}
