//! The registry ops `infer` and `brain-extract` give what the plain functions
//! give (`infer_volume`, `BrainExtraction::run`), and `infer` through the registry
//! equals MONAI 1.6.1's sliding-window output (../shared/models/sliding_window,
//! case g25, ≤ 1e-4: tract against the onnxruntime network MONAI ran; see
//! tests/sliding_window.rs).

mod common;

use medvox_core::{AnyVolume, Executor, Geometry, Volume};
use medvox_dl::infer::{InferOutput, OutputKind};
use medvox_dl::{infer_volume, BrainExtraction, OnnxModel};
use medvox_ops::{Data, Inputs, OpSpec, Registry};
use ndarray::Array3;

fn registry() -> Registry {
    let mut r = Registry::new();
    medvox_dl::register(&mut r);
    r.check_unique().unwrap();
    r
}

fn volume(d: Data) -> AnyVolume {
    match d {
        Data::Volume(v) => v,
        other => panic!("expected a volume, got {other:?}"),
    }
}

/// The (X, Y, Z) C-order `.npy` input as a volume whose x, y, z are the array's axes.
fn npy_volume(path: &std::path::Path) -> Volume<f32> {
    let (shape, data) = common::read_npy_f32(path);
    let a = Array3::from_shape_vec((shape[0], shape[1], shape[2]), data).unwrap();
    // medvox data is (z, y, x), x fastest.
    let zyx = a.permuted_axes([2, 1, 0]).as_standard_layout().into_owned();
    Volume::new(zyx, Geometry::default()).unwrap()
}

#[test]
fn infer_op_equals_plain_function_and_monai() {
    let Some(dir) = common::shared("models/sliding_window") else {
        return;
    };
    let model_path = dir.join("tiny_unet3d.onnx");
    let x = npy_volume(&dir.join("input_xyz.npy"));
    let r = registry();
    let exec = Executor::default();
    let any = AnyVolume::from(x.clone());
    let base = OpSpec::new("infer")
        .with("model", model_path.display().to_string())
        .with("window", vec![24, 24, 24])
        .with("overlap", 0.25)
        .with("blend", "gaussian");
    let spec = r
        .normalize(
            &base
                .clone()
                .with("output", "probability")
                .with("channel", 2),
        )
        .unwrap();
    let out = r.run(&spec, &Inputs::main(&any), &exec).unwrap();
    let prob = volume(out.data).to_volume::<f32>();
    assert_eq!(out.report["classes"], 3);
    // The plain function with the same parameters.
    let params: medvox_dl::ops::InferOpParams =
        serde_json::from_value(serde_json::Value::Object(spec.params.clone())).unwrap();
    let model = OnnxModel::load(&model_path).unwrap();
    let InferOutput::Channels(want) = infer_volume(
        &model,
        std::slice::from_ref(&x),
        &params.to_params(),
        &mut |_, _| {},
    )
    .unwrap() else {
        panic!("expected channels")
    };
    assert_eq!(prob, want[2], "registry op vs infer_volume");
    // MONAI's output for this case (g25: roi 24³, overlap 0.25, Gaussian), channel 2.
    let (mshape, monai) = common::read_npy_f32(&dir.join("monai_g25.npy"));
    let n = mshape[1] * mshape[2] * mshape[3];
    let mut diff = 0f32;
    for i in 0..mshape[1] {
        for j in 0..mshape[2] {
            for k in 0..mshape[3] {
                let m = monai[2 * n + (i * mshape[2] + j) * mshape[3] + k];
                diff = diff.max((prob.get([i, j, k]).unwrap() - m).abs());
            }
        }
    }
    println!("registry infer vs MONAI g25, channel 2: max |diff| = {diff:.2e}");
    assert!(diff <= 1e-4, "{diff}");
    // Labels: the argmax of the plain function's channels.
    let spec = r.normalize(&base.with("output", "labels")).unwrap();
    let labels = volume(r.run(&spec, &Inputs::main(&any), &exec).unwrap().data).to_volume::<u8>();
    let mut p = params.to_params();
    p.output = OutputKind::Argmax;
    let InferOutput::Labels(want) =
        infer_volume(&model, std::slice::from_ref(&x), &p, &mut |_, _| {}).unwrap()
    else {
        panic!("expected labels")
    };
    assert_eq!(labels, want);
}

#[test]
fn infer_op_rejects_bad_parameters() {
    let r = registry();
    let v: AnyVolume = Volume::<f32>::zeros([8, 8, 8], Geometry::default())
        .unwrap()
        .into();
    let e = r
        .run(
            &OpSpec::new("infer"),
            &Inputs::main(&v),
            &Executor::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("model"), "{e}");
    let e = r
        .run(
            &OpSpec::new("infer")
                .with("model", "x.onnx")
                .with("overlap", 1.0),
            &Inputs::main(&v),
            &Executor::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("overlap"), "{e}");
    let e = r
        .run(
            &OpSpec::new("infer").with("model", "/nonexistent/x.onnx"),
            &Inputs::main(&v),
            &Executor::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot read model"), "{e}");
    let e = r
        .run(
            &OpSpec::new("brain-extract").with("models", "/nonexistent"),
            &Inputs::main(&v),
            &Executor::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("MEDVOX_MODELS"), "{e}");
}

const T1: &str =
    "data/real/nifti/templates_mni152_nilearn/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz";

#[test]
fn brain_extract_op_equals_plain_function() {
    if std::env::var_os("MEDVOX_DL_FULL").is_none() {
        println!("skipped: set MEDVOX_DL_FULL=1 (two whole deepbet runs, 256^3 forward passes)");
        return;
    }
    let Some(models) = common::shared("models/deepbet") else {
        return;
    };
    let t1 = medvox_io::read(common::shared(T1).unwrap())
        .unwrap()
        .into_first();
    let exec = Executor::default();
    let r = registry();
    let spec = OpSpec::new("brain-extract").with("models", models.display().to_string());
    let out = r.run(&spec, &Inputs::main(&t1), &exec).unwrap();
    let mask = volume(out.data).to_volume::<u8>();
    let want = BrainExtraction::load(&models)
        .unwrap()
        .run(&t1.to_volume::<f32>(), &exec)
        .unwrap();
    assert_eq!(mask, want.mask);
    assert_eq!(out.report["mask_voxels"], want.stages.mask_voxels);
}
