//! `medvox demo`: the main pipeline on a built-in synthetic CT phantom.
//!
//! Generates the phantom, writes it in every writable format and reads each back
//! (checking the round trip), runs the built-in pipeline file (`demo.toml`:
//! denoise, Otsu body mask, bone threshold, components, label statistics,
//! radiomics) through the op registry, and writes the results, snapshot PNGs, the
//! run report (`run.json`), a summary (`summary.md`) and a self-contained HTML
//! report (`report.html`). Later stages join as steps of `demo.toml`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{ensure, Context};
use medvox::core::phantom::{ct_phantom, PhantomSpec};
use medvox::core::stats::stats;
use medvox::core::{AnyVolume, Volume};
use medvox_engine::pipeline::Pipeline;
use medvox_ops::Data;

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
    /// Print the demo's pipeline file (TOML) and stop.
    #[arg(long)]
    print_pipeline: bool,
}

/// The demo's pipeline: `medvox demo --print-pipeline`.
pub const PIPELINE: &str = include_str!("demo.toml");

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
    if a.print_pipeline {
        print!("{PIPELINE}");
        return Ok(());
    }
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
    let mut ct = None;
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
        // The pipeline's input `ct` is the file, as `[input] ct = "phantom.nii.gz"` says.
        ct.get_or_insert(back);
        files.push(p);
    }

    // 2. The pipeline (demo.toml): every step through the op registry, in memory.
    let registry = medvox_engine::registry();
    let pipeline = Pipeline::parse(registry, PIPELINE, &a.out)?;
    pipeline.check_names(registry)?;
    let runner: &medvox_engine::pipeline::Runner<'_> = &|spec, inputs| {
        let out = crate::gpu_cmd::run_spec(ctx, spec, inputs.main, inputs.aux)
            .map_err(|e| medvox_ops::OpsError::Failed(e.into()))?;
        Ok((out, format!("{:?}", ctx.device).to_lowercase()))
    };
    let ct = ct.context("phantom.nii.gz was not read back")?;
    let inputs = BTreeMap::from([("ct".to_string(), ct)]);
    let (run, results) = pipeline.execute(registry, inputs, runner)?;
    for s in &run.steps {
        t.0.push((
            format!("step {}: {} → {}", s.step, s.op, s.output),
            s.seconds,
        ));
    }
    for (name, path) in &pipeline.outputs {
        t.time(&format!("write {}", rel(path, &a.out)), || {
            medvox_engine::pipeline::write_output(&results[name], path)
        })?;
        files.push(path.clone());
    }
    let run_json = a.out.join("run.json");
    medvox::io::atomic::write_bytes_atomic(
        &run_json,
        (serde_json::to_string_pretty(&run)? + "\n").as_bytes(),
    )?;
    files.push(run_json);
    let volume = |name: &str| -> anyhow::Result<&AnyVolume> {
        match &results[name].data {
            Data::Volume(v) => Ok(v),
            _ => anyhow::bail!("demo pipeline: `{name}` is not a volume"),
        }
    };
    let table = |name: &str| -> anyhow::Result<&medvox_ops::Table> {
        match &results[name].data {
            Data::Table(t) => Ok(t),
            _ => anyhow::bail!("demo pipeline: `{name}` is not a table"),
        }
    };
    let (denoised, body, bone) = (volume("denoised")?, volume("body")?, volume("bone")?);
    let bone_labels = volume("bone_labels")?;
    let otsu = run.steps.iter().find(|s| s.op == "otsu").map(|s| &s.report);
    let body_hu = otsu
        .and_then(|r| r.get("threshold"))
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(f64::NAN);

    // 3. Pictures: the phantom in a brain window, and with the bone labels over it.
    let brain = SnapshotOptions {
        window: Some((40.0, 400.0)),
        ..Default::default()
    };
    for (name, overlay) in [
        ("phantom.png", None),
        ("bone_labels.png", Some(bone_labels)),
    ] {
        let p = a.out.join(name);
        t.time(&format!("snapshot {name}"), || -> anyhow::Result<()> {
            snapshot::write_png(&p, &snapshot::render(&phantom_any, overlay, &brain)?)
        })?;
        files.push(p);
    }

    // 4. Summary.
    let s = stats(&phantom, &ctx.exec).context("empty phantom")?;
    let count = |v: &AnyVolume| {
        v.to_volume::<u8>()
            .as_slice()
            .iter()
            .map(|&b| u64::from(b > 0))
            .sum::<u64>()
    };
    let (bone_voxels, body_voxels) = (count(bone), count(body));
    let bones = table("bone_stats")?.rows.len();
    let voxel_mm3: f64 = spec.spacing.iter().product();
    let mut md = String::new();
    writeln!(md, "# medvox demo\n")?;
    writeln!(
        md,
        "Synthetic CT phantom (3D Shepp–Logan ellipsoids in HU, noise σ = {} HU, seed {}), \
         through the pipeline `medvox demo --print-pipeline` prints.\n",
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
        "| body (Otsu > {body_hu:.1} HU) | {body_voxels} voxels = {:.1} cm³ |",
        body_voxels as f64 * voxel_mm3 / 1000.0
    )?;
    writeln!(
        md,
        "| bone (≥ {BONE_HU} HU) | {bone_voxels} voxels = {:.1} cm³, {bones} components ≥ 50 voxels |",
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
    // 5. report.html: one self-contained page (medvox-view) with every stage,
    //    the tables, the histogram and the timings.
    let summary_table = {
        let mut tb = report::Table::new("", ["item", "value"]);
        let sz = spec.size;
        tb.push_row([
            "size".into(),
            format!("{} × {} × {} voxels", sz[0], sz[1], sz[2]).into(),
        ]);
        tb.push_row(["spacing".into(), format!("{:?} mm", spec.spacing).into()]);
        tb.push_row([
            "HU min / max / mean / std".into(),
            format!("{} / {} / {:.1} / {:.1}", s.min, s.max, s.mean, s.std).into(),
        ]);
        tb.push_row([
            "Otsu threshold (body)".into(),
            format!("{body_hu:.1} HU").into(),
        ]);
        tb.push_row(["bone components".into(), bones.into()]);
        tb.push_row(["threads".into(), ctx.exec.threads().into()]);
        tb
    };
    fn stage<'a>(
        name: String,
        volume: &'a AnyVolume,
        overlay: Option<&'a AnyVolume>,
    ) -> report::Stage<'a> {
        report::Stage {
            name,
            volume,
            overlay,
            window: Some((40.0, 400.0)),
        }
    }
    let features = table("bone_features")?;
    let key_col = features.columns.iter().position(|c| c == "key");
    let shown = [
        "morph_volume",
        "morph_sphericity",
        "stat_mean",
        "stat_p90",
        "cm_contrast",
        "rlm_lre",
    ];
    let features_short = medvox_ops::Table {
        columns: features.columns.clone(),
        rows: features
            .rows
            .iter()
            .filter(|r| key_col.is_some_and(|k| shown.iter().any(|s| r[k] == *s)))
            .cloned()
            .collect(),
    };
    let page =
        report::PipelinePage {
            title: "medvox demo".into(),
            intro: vec![md.lines().nth(2).unwrap_or_default().to_string()],
            summary: vec![summary_table],
            stages: vec![
                stage("1. phantom (window 40,400 HU)".into(), &phantom_any, None),
                stage("2. denoised (median, radius 1)".into(), denoised, None),
                stage(
                    format!("3. body mask (Otsu > {body_hu:.1} HU)"),
                    denoised,
                    Some(body),
                ),
                stage(format!("4. bone (≥ {BONE_HU} HU)"), denoised, Some(bone)),
                stage(
                    format!("5. bone components ({bones})"),
                    &phantom_any,
                    Some(bone_labels),
                ),
            ],
            histogram: Some(report::HistogramSpec {
                name: "phantom intensities (HU)".into(),
                volume: &phantom_any,
                bins: 256,
                markers: vec![
                    (BONE_HU.into(), format!("BONE {BONE_HU}")),
                    (body_hu, "OTSU".into()),
                ],
            }),
            tables: vec![
            report_table("bone components: label statistics (mm, HU)", table("bone_stats")?),
            report_table(
                "bone components: a few IBSI radiomics features (all of them in bone_features.csv)",
                &features_short,
            ),
        ],
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

/// A report table from an op's table.
fn report_table(caption: &str, t: &medvox_ops::Table) -> report::Table {
    let mut out = report::Table::new(caption, t.columns.iter().cloned());
    for r in &t.rows {
        out.push_row(r.iter().map(|v| match v {
            serde_json::Value::Number(n) => n.as_f64().unwrap_or(f64::NAN).into(),
            serde_json::Value::String(s) => s.clone().into(),
            serde_json::Value::Null => String::new().into(),
            v => v.to_string().into(),
        }));
    }
    out
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
