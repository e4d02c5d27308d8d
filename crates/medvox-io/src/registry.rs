//! The format registry: which reader or writer handles a path.

use std::io::Read;
use std::path::Path;

use medvox_core::AnyVolume;

use crate::error::{IoError, Result, WithPath};
use crate::{Image, ReadOptions, VolumeReader, VolumeWriter, WriteOptions};

/// Every reader, in sniffing order.
pub fn readers() -> &'static [&'static dyn VolumeReader] {
    &[
        &crate::nifti::Nifti,
        &crate::analyze::Analyze,
        &crate::nrrd::Nrrd,
        &crate::metaimage::MetaImage,
    ]
}

/// Every writer.
pub fn writers() -> &'static [&'static dyn VolumeWriter] {
    &[
        &crate::nifti::Nifti,
        &crate::nrrd::Nrrd,
        &crate::metaimage::MetaImage,
    ]
}

fn lower_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

fn by_extension<F: crate::Format + ?Sized>(path: &Path, list: &[&'static F]) -> Option<&'static F> {
    let name = lower_name(path);
    list.iter()
        .copied()
        .filter_map(|f| {
            f.extensions()
                .iter()
                .filter(|e| name.ends_with(*e))
                .map(|e| e.len())
                .max()
                .map(|len| (len, f))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, f)| f)
}

/// The reader for a file: by its magic bytes, else by its extension.
pub fn reader_for(path: &Path) -> Result<&'static dyn VolumeReader> {
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .at(path)?
        .take(4096)
        .read_to_end(&mut head)
        .at(path)?;
    if crate::gz::is_gzip(&head) {
        // Sniff the decompressed start; a truncated file still has a readable prefix.
        let mut whole = Vec::new();
        std::fs::File::open(path)
            .at(path)?
            .take(1 << 16)
            .read_to_end(&mut whole)
            .at(path)?;
        head = crate::gz::gunzip_prefix_lossy(&whole, 4096);
    }
    if let Some(r) = readers().iter().find(|r| r.sniff(&head)) {
        return Ok(*r);
    }
    by_extension(path, readers()).ok_or_else(|| IoError::UnknownFormat {
        path: path.to_path_buf(),
        reason: "no known magic bytes or file extension".into(),
    })
}

/// The writer for a path, by extension.
pub fn writer_for(path: &Path) -> Result<&'static dyn VolumeWriter> {
    by_extension(path, writers()).ok_or_else(|| IoError::UnknownFormat {
        path: path.to_path_buf(),
        reason: "cannot write this extension (use .nii, .nii.gz, .hdr, .nrrd, .nhdr, .mha or .mhd)"
            .into(),
    })
}

/// Reads a file with default options.
pub fn read(path: impl AsRef<Path>) -> Result<Image> {
    read_with(path, &ReadOptions::default())
}

/// Reads a file.
pub fn read_with(path: impl AsRef<Path>, opts: &ReadOptions) -> Result<Image> {
    let path = path.as_ref();
    reader_for(path)?.read(path, opts)
}

/// Writes a volume with default options; the format comes from the extension.
pub fn write(path: impl AsRef<Path>, volume: &AnyVolume) -> Result<()> {
    write_with(path, volume, &WriteOptions::default())
}

/// Writes a series of volumes (a 4D image) as one file; the format comes from the extension.
pub fn write_series_with(
    path: impl AsRef<Path>,
    volumes: &[AnyVolume],
    opts: &WriteOptions,
) -> Result<()> {
    let path = path.as_ref();
    writer_for(path)?.write_series(path, volumes, opts)
}

/// Writes a volume; the format comes from the extension.
pub fn write_with(path: impl AsRef<Path>, volume: &AnyVolume, opts: &WriteOptions) -> Result<()> {
    let path = path.as_ref();
    writer_for(path)?.write(path, volume, opts)
}
