//! End-to-end tests of the `medvox` binary: exit codes, errors, quiet output, demo.

use std::path::Path;
use std::process::{Command, Output};

fn medvox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_medvox"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn missing_file_is_one_line_error() {
    let o = medvox(&["info", "/nonexistent/x.nii"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.starts_with("medvox: error:"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn garbage_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("junk.nii");
    std::fs::write(&p, b"this is not an image at all").unwrap();
    let o = medvox(&["info", s(&p)]);
    assert_eq!(o.status.code(), Some(1));
    let q = dir.path().join("noext");
    std::fs::write(&q, [0u8; 1000]).unwrap();
    assert_eq!(medvox(&["info", s(&q)]).status.code(), Some(1));
}

#[test]
fn demo_quiet_and_deterministic_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let o1 = medvox(&[
        "--quiet",
        "--threads",
        "1",
        "demo",
        "--out",
        s(&a),
        "--size",
        "40,36,12",
    ]);
    assert!(
        o1.status.success(),
        "{}",
        String::from_utf8_lossy(&o1.stderr)
    );
    assert!(
        o1.stderr.is_empty(),
        "--quiet printed: {}",
        String::from_utf8_lossy(&o1.stderr)
    );
    let o2 = medvox(&[
        "--quiet",
        "--threads",
        "2",
        "demo",
        "--out",
        s(&b),
        "--size",
        "40,36,12",
    ]);
    assert!(o2.status.success());
    for f in [
        "phantom.nii.gz",
        "phantom.nrrd",
        "phantom.mha",
        "bone_mask.nii.gz",
        "summary.md",
    ] {
        assert!(a.join(f).exists(), "{f} missing");
    }
    for f in [
        "phantom.nii.gz",
        "phantom.nrrd",
        "phantom.mha",
        "denoised.nii.gz",
        "body_mask.nii.gz",
        "bone_mask.nii.gz",
        "bone_labels.nii.gz",
        "bone_stats.csv",
        "bone_features.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
    // no temporary files left behind
    let names: Vec<String> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn convert_and_info_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = medvox(&["--quiet", "demo", "--out", s(d), "--size", "16,12,5"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let src = d.join("phantom.nii.gz");
    for out in ["c.nrrd", "c.nhdr", "c.mha", "c.mhd", "c.nii", "c.hdr"] {
        let p = d.join(out);
        let o = medvox(&["convert", s(&src), s(&p)]);
        assert!(
            o.status.success(),
            "{out}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let j: serde_json::Value =
            serde_json::from_slice(&medvox(&["info", s(&p), "--json"]).stdout).unwrap();
        assert_eq!(j["size"], serde_json::json!([16, 12, 5]), "{out}");
        assert_eq!(j["pixel_type"], "i16");
        for k in [
            "format",
            "spacing",
            "origin",
            "direction",
            "min",
            "max",
            "mean",
            "std",
        ] {
            assert!(!j[k].is_null(), "{out}: key {k} missing");
        }
        assert_eq!(j["direction"].as_array().unwrap().len(), 9);
    }
    // cast
    let u8p = d.join("u8.nrrd");
    assert!(medvox(&["convert", s(&src), s(&u8p), "--pixel-type", "u8"])
        .status
        .success());
    let j: serde_json::Value =
        serde_json::from_slice(&medvox(&["info", s(&u8p), "--json"]).stdout).unwrap();
    assert_eq!(j["pixel_type"], "u8");
    assert!(j["min"].as_f64().unwrap() >= 0.0 && j["max"].as_f64().unwrap() <= 255.0);
    // unknown output extension: error before anything is written
    let bad = d.join("out.xyz");
    let o = medvox(&["convert", s(&src), s(&bad)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!bad.exists());
    // bad pixel type
    // bad pixel type: an invalid value, so one `medvox: error:` line and exit 1
    let o = medvox(&[
        "convert",
        s(&src),
        s(&d.join("x.nii")),
        "--pixel-type",
        "complex",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("medvox: error:") && err.trim_end().lines().count() == 1,
        "{err}"
    );
}
