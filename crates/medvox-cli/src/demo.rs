//! `medvox demo`: the main pipeline on a built-in synthetic CT phantom.
//!
//! Generates the phantom, writes it in every writable format and reads each back
//! (checking the round trip), runs a block-parallel bone threshold on it, and
//! writes the results, a snapshot PNG of each, a summary (`summary.md`) and a
//! self-contained HTML report (`report.html`).
//! Later pipeline stages join here as they are built.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{ensure, Context};
use medvox::core::phantom::{ct_phantom, PhantomSpec};
use medvox::core::stats::stats;
use medvox::core::{AnyVolume, Volume};

use crate::snapshot::{self, SnapshotOptions};
use crate::Ctx;
use medvox_view::report;

/// Arguments of `medvox demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder for the results (created if needed).
    #[arg(long, default_value = "medvox-demo")]
    out: PathBuf,
    /// Phantom size x,y,z (default 256,256,100).
    #[arg(long, value_name = "X,Y,Z", value_delimiter = ',')]
    size: Option<Vec<usize>>,
}

/// Bone threshold of the demo, in HU.
const BONE_HU: i16 = 300;

struct Timer(Vec<(String, f64)>);

impl Timer {
    fn time<R>(&mut self, what: &str, f: impl FnOnce() -> R) -> R {
        let t = Instant::now();
        let r = f();
        self.0.push((what.to_string(), t.elapsed().as_secs_f64()));
        r
    }
}

/// Runs `medvox demo`.
pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let mut spec = PhantomSpec::default();
    if let Some(s) = &a.size {
        ensure!(
            s.len() == 3 && s.iter().all(|&n| n >= 1),
            "--size needs three positive numbers x,y,z"
        );
        spec.size = [s[0], s[1], s[2]];
    }
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let mut t = Timer(Vec::new());
    let say = |m: String| {
        if !ctx.quiet {
            eprintln!("{m}");
        }
    };

    say(format!(
        "medvox demo: CT phantom {}x{}x{} at {:?} mm, {} threads",
        spec.size[0],
        spec.size[1],
        spec.size[2],
        spec.spacing,
        ctx.exec.threads()
    ));
    let phantom = t.time("generate phantom", || ct_phantom(&spec))?;
    let phantom_any = AnyVolume::from(phantom.clone());

    // 1. Every writable format, each read back and compared.
    let mut files = Vec::new();
    for name in ["phantom.nii.gz", "phantom.nrrd", "phantom.mha"] {
        let p = a.out.join(name);
        t.time(&format!("write {name}"), || {
            medvox::io::write(&p, &phantom_any)
        })
        .with_context(|| format!("writing {}", p.display()))?;
        let back = t
            .time(&format!("read {name}"), || medvox::io::read(&p))?
            .into_first();
        ensure!(
            same_voxels_and_space(&back, &phantom),
            "{name}: round trip changed the volume"
        );
        files.push(p);
    }

    // 2. Block-parallel bone threshold.
    let plan = ctx.exec.plan(phantom.size(), [0; 3]);
    let bone: Volume<u8> = t.time("bone threshold (block engine)", || {
        ctx.exec.map_blocks(&phantom, &plan, |bi, mut out| {
            let src = bi.block.padded.relative(&bi.block.interior);
            let v = src.view(&bi.data);
            out.zip_mut_with(&v, |o, &x| *o = u8::from(x > BONE_HU));
        })
    });
    let bone_path = a.out.join("bone_mask.nii.gz");
    let bone_any = AnyVolume::from(bone.clone());
    t.time("write bone_mask.nii.gz", || {
        medvox::io::write(&bone_path, &bone_any)
    })?;
    files.push(bone_path);

    // 3. Pictures: the phantom in a brain window, and with the bone mask over it.
    let brain = SnapshotOptions {
        window: Some((40.0, 400.0)),
        ..Default::default()
    };
    for (name, overlay) in [("phantom.png", None), ("bone_mask.png", Some(&bone_any))] {
        let p = a.out.join(name);
        t.time(&format!("snapshot {name}"), || -> anyhow::Result<()> {
            snapshot::write_png(&p, &snapshot::render(&phantom_any, overlay, &brain)?)
        })?;
        files.push(p);
    }

    // 4. Summary.
    let s = stats(&phantom, &ctx.exec).context("empty phantom")?;
    let bone_voxels: u64 = bone.as_slice().iter().map(|&b| b as u64).sum();
    let voxel_mm3: f64 = spec.spacing.iter().product();
    let mut md = String::new();
    writeln!(md, "# medvox demo\n")?;
    writeln!(
        md,
        "Synthetic CT phantom (3D Shepp–Logan ellipsoids in HU, noise σ = {} HU, seed {}).\n",
        spec.noise_hu, spec.seed
    )?;
    writeln!(md, "| item | value |\n| --- | --- |")?;
    writeln!(
        md,
        "| size | {} × {} × {} voxels |",
        spec.size[0], spec.size[1], spec.size[2]
    )?;
    writeln!(md, "| spacing | {:?} mm |", spec.spacing)?;
    writeln!(
        md,
        "| HU min / max / mean / std | {} / {} / {:.1} / {:.1} |",
        s.min, s.max, s.mean, s.std
    )?;
    writeln!(
        md,
        "| bone (> {BONE_HU} HU) | {bone_voxels} voxels = {:.1} cm³ |",
        bone_voxels as f64 * voxel_mm3 / 1000.0
    )?;
    writeln!(md, "| threads | {} |\n", ctx.exec.threads())?;
    writeln!(md, "| step | seconds |\n| --- | --- |")?;
    for (what, secs) in &t.0 {
        writeln!(md, "| {what} | {secs:.3} |")?;
    }
    writeln!(md, "\nFiles:\n")?;
    for f in &files {
        writeln!(md, "- `{}`", rel(f, &a.out))?;
    }
    // 5. report.html: one self-contained page (medvox-view) with the stages, the
    //    label table, the histogram and the timings.
    let labels = medvox::segment::labelstats::label_stats_any(
        &bone_any,
        Some(&phantom_any),
        &Default::default(),
        &ctx.exec,
    )?;
    let page = report::PipelinePage {
        title: "medvox demo".into(),
        intro: vec![md.lines().nth(2).unwrap_or_default().to_string()],
        summary: vec![{
            let mut t = report::Table::new("", ["item", "value"]);
            let sz = spec.size;
            t.push_row([
                "size".into(),
                format!("{} × {} × {} voxels", sz[0], sz[1], sz[2]).into(),
            ]);
            t.push_row(["spacing".into(), format!("{:?} mm", spec.spacing).into()]);
            t.push_row([
                "HU min / max / mean / std".into(),
                format!("{} / {} / {:.1} / {:.1}", s.min, s.max, s.mean, s.std).into(),
            ]);
            t.push_row(["threads".into(), ctx.exec.threads().into()]);
            t
        }],
        stages: vec![
            report::Stage {
                name: "phantom (window 40,400 HU)".into(),
                volume: &phantom_any,
                overlay: None,
                window: Some((40.0, 400.0)),
            },
            report::Stage {
                name: format!("bone mask (> {BONE_HU} HU) over the phantom"),
                volume: &phantom_any,
                overlay: Some(&bone_any),
                window: Some((40.0, 400.0)),
            },
        ],
        histogram: Some(report::HistogramSpec {
            name: "phantom intensities (HU)".into(),
            volume: &phantom_any,
            bins: 256,
            markers: vec![(BONE_HU.into(), format!("BONE {BONE_HU}"))],
        }),
        tables: vec![report::Table::from_records(
            "bone mask: label statistics (mm, HU)",
            &labels,
        )?],
        timings: t.0.clone(),
        ..Default::default()
    };
    let html = report::pipeline_report(&page, &ctx.exec)?;
    let report_path = a.out.join("report.html");
    medvox::io::atomic::write_bytes_atomic(&report_path, html.as_bytes())?;
    let summary = a.out.join("summary.md");
    medvox::io::atomic::write_bytes_atomic(&summary, md.as_bytes())?;
    if !ctx.quiet {
        eprintln!("{md}");
        eprintln!("results in {}", a.out.display());
    }
    Ok(())
}

fn rel(p: &Path, base: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}

/// Same pixel type and voxels, and the same geometry up to the f32 precision
/// some formats store it in (NIfTI).
fn same_voxels_and_space(a: &AnyVolume, b: &Volume<i16>) -> bool {
    let (ga, gb) = (a.geometry(), b.geometry());
    let close = |x: &[f64], y: &[f64]| {
        x.iter()
            .zip(y)
            .all(|(x, y)| (x - y).abs() <= 1e-4 * (1.0 + y.abs()))
    };
    a.pixel_type() == medvox::core::PixelType::I16
        && a.size() == b.size()
        && a.to_volume::<i16>().as_slice() == b.as_slice()
        && close(&ga.spacing, &gb.spacing)
        && close(&ga.origin, &gb.origin)
        && close(&ga.direction_row_major(), &gb.direction_row_major())
}
