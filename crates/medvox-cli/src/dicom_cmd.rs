//! `medvox dicom …`: list the series under a DICOM path (`ls`), de-identify (`deid`).

use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;

use crate::Ctx;

/// Arguments of `medvox dicom`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: DicomCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DicomCommand {
    /// List the series (stacks) under a DICOM file, folder or DICOMDIR.
    Ls(LsArgs),
    /// De-identify (PS3.15 Annex E basic profile) a file or folder into OUT; never writes into IN.
    Deid(DeidArgs),
}

/// Arguments of `medvox dicom deid`.
#[derive(Debug, clap::Args)]
struct DeidArgs {
    /// DICOM file or folder.
    input: PathBuf,
    /// Output file or folder (created; mirrors the input's layout).
    output: PathBuf,
    /// Keep dates and times (Retain Longitudinal Temporal Information with Full Dates option).
    #[arg(long)]
    keep_dates: bool,
    /// Salt for the UIDs (new UID = 2.25.<first 16 bytes of SHA-256(salt + UID)>): the same salt maps the same UID to the same new UID across runs, versions and platforms.
    #[arg(long, value_name = "S")]
    salt: Option<String>,
    /// Skip files that cannot be read or written (listed on stderr) instead of
    /// failing with nothing written.
    #[arg(long)]
    skip_unreadable: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `medvox dicom ls`.
#[derive(Debug, clap::Args)]
struct LsArgs {
    /// DICOM file, folder (searched recursively) or DICOMDIR.
    path: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// One series in `dicom ls --json`.
#[derive(Debug, Serialize)]
struct SeriesEntry {
    /// 1-based position (for `--series N`).
    index: usize,
    /// Identifier for `--series` (UID, `UID#k` for stack k of a split series).
    id: String,
    uid: String,
    number: Option<i64>,
    modality: String,
    description: String,
    /// Size [x, y, z] of one volume.
    size: [usize; 3],
    /// Number of volumes (> 1 for time/echo series).
    volumes: usize,
    spacing: [f64; 3],
    origin: [f64; 3],
    direction: [f64; 9],
    pixel_type: String,
    files: usize,
    transfer_syntaxes: Vec<TsEntry>,
    warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct TsEntry {
    uid: String,
    name: String,
}

#[derive(Debug, Serialize)]
struct BadEntry {
    path: PathBuf,
    error: String,
}

#[derive(Debug, Serialize)]
struct Listing {
    series: Vec<SeriesEntry>,
    bad_files: Vec<BadEntry>,
    skipped_files: usize,
}

/// Runs `medvox dicom …`.
pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    match a.command {
        DicomCommand::Ls(a) => ls(ctx, a),
        DicomCommand::Deid(a) => deid(ctx, a),
    }
}

fn deid(ctx: &Ctx, a: DeidArgs) -> anyhow::Result<()> {
    let opts = medvox::dicom::deid::DeidOptions {
        keep_dates: a.keep_dates,
        salt: a.salt,
        skip_unreadable: a.skip_unreadable,
    };
    let s = medvox::dicom::deid::deidentify(&a.input, &a.output, &opts)
        .with_context(|| format!("cannot de-identify {}", a.input.display()))?;
    if !ctx.quiet {
        for p in &s.burned_in {
            eprintln!(
                "medvox: warning: {}: BurnedInAnnotation = YES, the pixels may show identifying text",
                p.display()
            );
        }
    }
    // Skipped files are listed even with --quiet: the user asked to skip them.
    for (p, e) in &s.bad {
        eprintln!("medvox: warning: skipped {}: {e}", p.display());
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        println!(
            "{} file(s) written to {}: {} attributes removed, {} emptied, {} dummy values, \
             {} dates/times emptied, {} private attributes removed, {} UIDs replaced; {} file(s) skipped",
            s.files,
            a.output.display(),
            s.removed,
            s.emptied,
            s.dummied,
            s.dates,
            s.private,
            s.uids,
            s.bad.len()
        );
    }
    Ok(())
}

fn ls(ctx: &Ctx, a: LsArgs) -> anyhow::Result<()> {
    let (series, scan) =
        crate::progress::spin(ctx.chatty, format!("scanning {}", a.path.display()), || {
            medvox::dicom::list(&a.path)
        })
        .with_context(|| format!("cannot read {}", a.path.display()))?;
    let listing = Listing {
        series: series
            .iter()
            .enumerate()
            .map(|(i, s)| SeriesEntry {
                index: i + 1,
                id: s.id(),
                uid: s.uid.clone(),
                number: s.number,
                modality: s.modality.clone(),
                description: s.description.clone(),
                size: s.size,
                volumes: s.volumes.len(),
                spacing: s.geometry.spacing,
                origin: s.geometry.origin,
                direction: s.geometry.direction_row_major(),
                pixel_type: s.pixel_type.to_string(),
                files: s.objects.len(),
                transfer_syntaxes: s
                    .transfer_syntaxes
                    .iter()
                    .map(|u| TsEntry {
                        uid: u.clone(),
                        name: medvox::dicom::pixel::transfer_syntax_name(u),
                    })
                    .collect(),
                warnings: s.warnings.clone(),
            })
            .collect(),
        bad_files: scan
            .bad
            .iter()
            .map(|(p, e)| BadEntry {
                path: p.clone(),
                error: e.clone(),
            })
            .collect(),
        skipped_files: scan.skipped,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&listing)?);
        return Ok(());
    }
    for s in &listing.series {
        println!(
            "{:>3}  {}  {} #{} \"{}\"",
            s.index,
            s.id,
            s.modality,
            s.number.map_or("-".into(), |n| n.to_string()),
            s.description
        );
        println!(
            "     {} x {} x {}{}  {}  spacing {:?} mm  {} file(s)  {}",
            s.size[0],
            s.size[1],
            s.size[2],
            if s.volumes > 1 {
                format!(" x {} volumes", s.volumes)
            } else {
                String::new()
            },
            s.pixel_type,
            s.spacing,
            s.files,
            s.transfer_syntaxes
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for w in &s.warnings {
            println!("     warning: {w}");
        }
    }
    if listing.series.is_empty() {
        println!("no image series found");
    }
    for b in &listing.bad_files {
        println!("bad file {}: {}", b.path.display(), b.error);
    }
    Ok(())
}
