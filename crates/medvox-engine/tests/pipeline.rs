//! Pipeline files: the issue's example runs; bad files give the step number
//! and key and write nothing; outputs are byte-identical to the ops run one at a time.

use std::path::Path;

use medvox_core::{AnyVolume, Executor};
use medvox_engine::pipeline::Pipeline;
use medvox_engine::registry;
use medvox_ops::{Data, Inputs, OpSpec, OpsError};

fn write_phantom(dir: &Path) {
    let spec = medvox_core::phantom::PhantomSpec {
        size: [40, 36, 12],
        ..Default::default()
    };
    let v: AnyVolume = medvox_core::phantom::ct_phantom(&spec).unwrap().into();
    medvox_io::write(dir.join("ct.nii.gz"), &v).unwrap();
}

const GOOD: &str = r#"
[input]
ct = "ct.nii.gz"
[[step]]
op = "gaussian"
input = "ct"
output = "smooth"
sigma = 1.0
[[step]]
op = "otsu"
input = "smooth"
output = "mask"
[[step]]
op = "components"
input = "mask"
output = "labels"
connectivity = 26
[[step]]
op = "label-stats"
input = "labels"
image = "ct"
output = "stats"
[output]
labels = "labels.nii.gz"
stats = "stats.csv"
"#;

fn cpu(spec: &OpSpec, inputs: &Inputs<'_>) -> Result<(medvox_ops::DynOutput, String), OpsError> {
    Ok((
        registry().run(spec, inputs, &Executor::default())?,
        "cpu".into(),
    ))
}

fn run(dir: &Path, text: &str) -> Result<medvox_engine::pipeline::RunReport, String> {
    let f = dir.join("p.toml");
    std::fs::write(&f, text).unwrap();
    let p = Pipeline::load(registry(), &f, &[], &[]).map_err(|e| e.to_string())?;
    let inputs = p.read_inputs().map_err(|e| e.to_string())?;
    p.run(registry(), inputs, &cpu).map_err(|e| e.to_string())
}

#[test]
fn example_runs_and_matches_one_op_at_a_time() {
    let d = tempfile::tempdir().unwrap();
    write_phantom(d.path());
    let rep = run(d.path(), GOOD).unwrap();
    assert_eq!(rep.steps.len(), 4);
    assert!(rep.steps[1].report["threshold"].is_number());
    assert!(rep.steps[2].report["components"].as_u64().unwrap() >= 1);
    // The same ops, one at a time, written with the same writers.
    let r = registry();
    let exec = Executor::default();
    let ct = medvox_io::read(d.path().join("ct.nii.gz"))
        .unwrap()
        .into_first();
    let step = |spec: OpSpec, v: &AnyVolume| match r
        .run(&r.normalize(&spec).unwrap(), &Inputs::main(v), &exec)
        .unwrap()
        .data
    {
        Data::Volume(v) => v,
        _ => panic!(),
    };
    let smooth = step(OpSpec::new("gaussian").with("sigma", 1.0), &ct);
    let mask = step(OpSpec::new("otsu"), &smooth);
    let labels = step(OpSpec::new("components").with("connectivity", 26), &mask);
    let one = d.path().join("one.nii.gz");
    medvox_io::write(&one, &labels).unwrap();
    assert_eq!(
        std::fs::read(&one).unwrap(),
        std::fs::read(d.path().join("labels.nii.gz")).unwrap()
    );
    let csv = std::fs::read_to_string(d.path().join("stats.csv")).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert!(head.contains(&"label") && head.contains(&"voxels"), "{csv}");
    let n = rep.steps[2].report["components"].as_u64().unwrap() as usize;
    assert_eq!(csv.lines().count(), n + 1, "{csv}");
}

#[test]
fn bad_files_name_step_and_key_and_write_nothing() {
    let d = tempfile::tempdir().unwrap();
    write_phantom(d.path());
    let cases = [
        (
            GOOD.replace("op = \"otsu\"", "op = \"otsuu\""),
            vec!["step 2", "op", "otsu"],
        ),
        (
            GOOD.replace("sigma = 1.0", "sigmaa = 1.0"),
            vec!["step 1", "sigmaa", "sigma_voxels"],
        ),
        (
            GOOD.replace("sigma = 1.0", "sigma = \"wide\""),
            vec!["step 1", "sigma", "expected"],
        ),
        (
            GOOD.replace("connectivity = 26", "connectivity = 2.5"),
            vec!["step 3", "connectivity", "expected"],
        ),
        (
            GOOD.replace("input = \"mask\"", "input = \"maskk\""),
            vec!["step 3", "input", "mask"],
        ),
        (
            GOOD.replace("input = \"smooth\"", "input = \"labels\""),
            vec!["step 2", "input", "cycle"],
        ),
        (
            GOOD.replace("output = \"labels\"", "output = \"smooth\""),
            vec!["step 3", "output", "already"],
        ),
        (
            GOOD.replace("image = \"ct\"", "image = \"nothing\""),
            vec!["step 4", "image"],
        ),
        (
            GOOD.replace("stats = \"stats.csv\"", "stats = \"stats.nii.gz\""),
            vec!["step 4", "output", ".csv"],
        ),
        (GOOD.replace("[output]", "[outputs]"), vec!["outputs"]),
    ];
    for (text, words) in cases {
        let e = run(d.path(), &text).expect_err(&text);
        for w in words {
            assert!(e.contains(w), "`{w}` not in: {e}");
        }
        assert!(
            !d.path().join("labels.nii.gz").exists(),
            "{e}: wrote an output"
        );
        assert!(!d.path().join("stats.csv").exists(), "{e}: wrote an output");
    }
}
