//! The registry: unique names, every op's parameters round-trip through TOML
//! with their defaults, and block tasks of every local op reproduce the
//! whole-volume result (the declared halo is enough).

use std::collections::BTreeMap;

use medvox_core::{AnyVolume, Executor, Geometry, Volume};
use medvox_engine::registry;
use medvox_ops::{BlockTask, Data, Inputs, Kind, OpSpec, VolumeInfo};
use serde_json::{Map, Value};

#[test]
fn names_are_unique_and_every_op_is_there() {
    let r = registry();
    r.check_unique().unwrap();
    let names: Vec<&str> = r.names().collect();
    for n in [
        "gaussian",
        "median",
        "mean",
        "otsu",
        "components",
        "threshold-mean",
        "fill-holes",
        "label-fill-holes",
        "label-stats",
        "label-compare",
        "resample",
        "watershed",
        "canny",
    ] {
        assert!(names.contains(&n), "{n} missing");
    }
    assert!(names.len() >= 45, "{} ops", names.len());
}

#[test]
fn defaults_round_trip_through_toml() {
    for op in registry().ops() {
        let defaults = op.normalize(&Map::new()).unwrap();
        // Every default written out as TOML and read back means the same.
        let mut t = toml::Table::new();
        for (k, v) in &defaults {
            if v.is_null() {
                continue;
            }
            t.insert(k.clone(), toml::Value::try_from(v).unwrap());
        }
        let text = toml::to_string(&t).unwrap();
        let back: toml::Table = text.parse().unwrap();
        let back: Map<String, Value> =
            serde_json::from_value(serde_json::to_value(back).unwrap()).unwrap();
        assert_eq!(op.normalize(&back).unwrap(), defaults, "{}", op.name());
        // Every listed parameter is a key of the normalized object and vice versa.
        let listed: Vec<&str> = op.params().iter().map(|p| p.name).collect();
        let keys: Vec<&str> = defaults.keys().map(String::as_str).collect();
        let mut l = listed.clone();
        l.sort();
        assert_eq!(l, keys, "{}", op.name());
    }
}

#[test]
fn unknown_op_and_param_errors_name_what_exists() {
    let r = registry();
    let e = r.get("gausian").err().unwrap().to_string();
    assert!(e.contains("gaussian"), "{e}");
    let e = r
        .normalize(&OpSpec::new("median").with("radios", 2))
        .unwrap_err()
        .to_string();
    assert!(e.contains("radios") && e.contains("radius"), "{e}");
    let e = r
        .normalize(&OpSpec::new("median").with("radius", "big"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("radius") && e.contains("expected"), "{e}");
}

fn phantom() -> AnyVolume {
    // Deterministic pseudo-random i16 volume with structure (a bright ball).
    let size = [23, 19, 17];
    let mut s = 12345u32;
    let mut v = Vec::new();
    for z in 0..size[2] {
        for y in 0..size[1] {
            for x in 0..size[0] {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let d = ((x as f64 - 11.0).powi(2)
                    + (y as f64 - 9.0).powi(2)
                    + (z as f64 - 8.0).powi(2))
                .sqrt();
                let base = if d < 6.0 { 400 } else { 0 };
                v.push(base + (s % 100) as i16);
            }
        }
    }
    let g = Geometry::new([0.8, 1.0, 1.5], [0.0; 3], Geometry::default().direction).unwrap();
    Volume::from_vec(size, v, g).unwrap().into()
}

/// Ops that need a trained model file; crates/medvox-dl/tests/ops.rs runs them
/// (registered op = plain function = MONAI/deepbet references).
const NEEDS_MODEL: &[&str] = &["infer", "brain-extract"];

/// An ITK affine transform file (a small shift) for `warp`.
fn tfm_file() -> String {
    // Written once per test process (tests run on several threads).
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let p = std::env::temp_dir().join(format!("medvox-engine-test-{}.tfm", std::process::id()));
        std::fs::write(
            &p,
            "#Insight Transform File V1.0\n#Transform 0\nTransform: AffineTransform_double_3_3\n\
             Parameters: 1 0 0 0 1 0 0 0 1 0.5 -0.3 0.2\nFixedParameters: 0 0 0\n",
        )
        .unwrap();
        p.display().to_string()
    })
    .clone()
}

/// Parameters that make every op runnable on the phantom.
fn spec_for(name: &str) -> OpSpec {
    let s = OpSpec::new(name);
    match name {
        "gaussian" | "log" | "gradient-magnitude-gaussian" | "unsharp-mask" => s.with("sigma", 1.0),
        "window" => s.with("center", 200.0).with("width", 400.0),
        "clamp" => s.with("lower", 50.0),
        "cast" => s.with("pixel_type", "f32"),
        "resample" => s.with("spacing", 1.2),
        "threshold" => s.with("lower", 300.0),
        "region-grow" | "neighborhood-connected" => s
            .with("seed", serde_json::json!([[11, 9, 8]]))
            .with("lower", 300.0)
            .with("upper", 600.0),
        "confidence-connected" => s.with("seed", serde_json::json!([[11, 9, 8]])),
        "watershed" => s.with("level", 10.0),
        "canny" => s.with("lower", 10.0).with("upper", 50.0),
        "bilateral" => s.with("domain_sigma", 1.0).with("radius", 2),
        "clahe" => s.with("kernel_size", 8),
        "radiomics" => s.with("labels", serde_json::json!([1])),
        "warp" => s.with("transform", serde_json::json!([tfm_file()])),
        "project" => s.with("angles", 12),
        "fdk" => s.with("geometry", "cone"),
        "add" | "subtract" | "multiply" | "min" | "max" => s.with("value", 100.0),
        "divide" => s.with("value", 3.0),
        _ => s,
    }
}

/// The main input of `name`: the phantom, or for radiomics (which reads a label
/// map) the phantom's bone threshold.
fn main_for(name: &str, vol: &AnyVolume) -> AnyVolume {
    if name != "radiomics" {
        return vol.clone();
    }
    let r = registry();
    let t = r.normalize(&spec_for("threshold")).unwrap();
    match r
        .run(&t, &Inputs::main(vol), &Executor::default())
        .unwrap()
        .data
    {
        Data::Volume(v) => v,
        _ => unreachable!("threshold gives a volume"),
    }
}

fn aux_for(name: &str, vol: &AnyVolume) -> BTreeMap<String, AnyVolume> {
    let mut m = BTreeMap::new();
    if name == "label-compare" {
        m.insert("reference".into(), vol.clone());
    }
    if name == "radiomics" {
        m.insert("image".into(), vol.clone());
    }
    if name == "register" {
        m.insert("moving".into(), vol.clone());
    }
    if name == "mask" {
        m.insert("mask".into(), vol.clone());
    }
    m
}

#[test]
fn every_op_runs_and_local_ops_are_block_plan_invariant() {
    let r = registry();
    let vol = phantom();
    let info = VolumeInfo::of(&vol);
    let exec = Executor::default();
    let mut local = 0;
    for op in r.ops().filter(|o| !NEEDS_MODEL.contains(&o.name())) {
        let spec = r.normalize(&spec_for(op.name())).unwrap();
        let aux = aux_for(op.name(), &vol);
        let main = main_for(op.name(), &vol);
        let bound = r
            .bind(&spec, &info)
            .unwrap_or_else(|e| panic!("{}: {e}", op.name()));
        let whole = r
            .run(
                &spec,
                &Inputs {
                    main: &main,
                    aux: &aux,
                },
                &exec,
            )
            .unwrap_or_else(|e| panic!("{}: {e}", op.name()));
        if let (Data::Volume(v), medvox_ops::OutputType::Volume(t)) = (&whole.data, bound.output) {
            assert_eq!(v.pixel_type(), t, "{}: declared output type", op.name());
            assert_eq!(v.size(), bound.size, "{}: declared grid", op.name());
        }
        let Kind::Local { .. } = bound.kind else {
            continue;
        };
        let Data::Volume(whole) = whole.data else {
            panic!("{}", op.name())
        };
        // Cut into uneven blocks; each block task sees only its padded region.
        for block in [[7, 5, 4], [23, 19, 3]] {
            let tasks = BlockTask::plan(r, &spec, &info, block).unwrap();
            let json = serde_json::to_string(&tasks).unwrap();
            let tasks: Vec<BlockTask> = serde_json::from_str(&json).unwrap();
            for t in &tasks {
                let padded = medvox_ops::crop(&vol, &t.padded());
                // Auxiliary volumes on the input's grid are cut the same way.
                let aux_block: BTreeMap<String, AnyVolume> = aux
                    .iter()
                    .map(|(k, v)| (k.clone(), medvox_ops::crop(v, &t.padded())))
                    .collect();
                let got = t.run(r, &padded, &aux_block, &exec).unwrap();
                let want = medvox_ops::crop(&whole, &t.region);
                // Bit-identical voxels (the origin is recomputed, so compare voxels and type).
                assert_eq!(got.pixel_type(), want.pixel_type(), "{}", op.name());
                let (g, w) = (got.to_volume::<f64>(), want.to_volume::<f64>());
                let same = g
                    .as_slice()
                    .iter()
                    .zip(w.as_slice())
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{} block {:?}", op.name(), t.region);
            }
        }
        local += 1;
    }
    assert!(local >= 12, "{local} local ops");
}

/// A report without its timings (`seconds` keys at any depth).
fn without_seconds(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| k != "seconds")
                .map(|(k, v)| (k, without_seconds(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_seconds).collect()),
        v => v,
    }
}

/// Every op gives the same bits (volumes) or the same JSON (tables, reports) on
/// 1 and 3 threads: results never depend on the thread count.
#[test]
fn every_op_is_thread_count_invariant() {
    let r = registry();
    let vol = phantom();
    let (one, three) = (Executor::new(1).unwrap(), Executor::new(3).unwrap());
    let mut n = 0;
    for op in r.ops().filter(|o| !NEEDS_MODEL.contains(&o.name())) {
        let spec = r.normalize(&spec_for(op.name())).unwrap();
        let aux = aux_for(op.name(), &vol);
        let main = main_for(op.name(), &vol);
        let inputs = Inputs {
            main: &main,
            aux: &aux,
        };
        let a = r.run(&spec, &inputs, &one).unwrap();
        let b = r.run(&spec, &inputs, &three).unwrap();
        assert_eq!(
            without_seconds(a.report),
            without_seconds(b.report),
            "{}: report",
            op.name()
        );
        match (&a.data, &b.data) {
            (Data::Volume(x), Data::Volume(y)) => {
                assert_eq!(x.pixel_type(), y.pixel_type(), "{}", op.name());
                let (x, y) = (x.to_volume::<f64>(), y.to_volume::<f64>());
                let same = x
                    .as_slice()
                    .iter()
                    .zip(y.as_slice())
                    .all(|(p, q)| p.to_bits() == q.to_bits());
                assert!(same, "{}: 1 vs 3 threads", op.name());
            }
            (Data::Table(x), Data::Table(y)) => assert_eq!(x, y, "{}", op.name()),
            (x, y) => assert_eq!(
                std::mem::discriminant(x),
                std::mem::discriminant(y),
                "{}",
                op.name()
            ),
        }
        n += 1;
    }
    assert!(n >= 45, "{n} ops");
}
