//! Reading a command's input image: DICOM (file, folder, DICOMDIR) or any
//! format of the medvox-io registry.

use std::path::Path;

use anyhow::Context;
use medvox::io::Image;

use crate::Ctx;

/// Reads `path`: a folder, a DICOMDIR or a file with the DICOM preamble (or a
/// `.dcm` ending) goes to medvox-dicom (series `series`, or the only one);
/// anything else to `medvox::io::read`. DICOM warnings and unreadable files
/// are printed on stderr unless `--quiet`.
pub fn read_input(ctx: &Ctx, path: &Path, series: Option<&str>) -> anyhow::Result<Image> {
    let dicom = medvox::dicom::looks_like_dicom(path);
    anyhow::ensure!(
        dicom || series.is_none(),
        "--series applies to DICOM input only, {} is not DICOM",
        path.display()
    );
    if !dicom {
        return crate::progress::spin(ctx.chatty, format!("reading {}", path.display()), || {
            medvox::io::read(path)
        })
        .with_context(|| format!("cannot read {}", path.display()));
    }
    let read = crate::progress::spin(ctx.chatty, format!("reading {}", path.display()), || {
        medvox::dicom::read(path, series)
    })
    .with_context(|| format!("cannot read {}", path.display()))?;
    if !ctx.quiet {
        for w in &read.series.warnings {
            eprintln!("medvox: warning: series {}: {w}", read.series.id());
        }
        for (p, why) in &read.bad {
            eprintln!("medvox: warning: skipped {}: {why}", p.display());
        }
    }
    Ok(read.image)
}

/// Reads `path` as [`read_input`] does (first or only DICOM series), silently.
pub fn read_quiet(path: &Path) -> anyhow::Result<Image> {
    if medvox::dicom::looks_like_dicom(path) {
        Ok(medvox::dicom::read(path, None)?.image)
    } else {
        Ok(medvox::io::read(path)?)
    }
}
