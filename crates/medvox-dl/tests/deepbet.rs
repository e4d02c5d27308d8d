//! deepbet brain extraction on the MNI152 T1 against the original PyTorch
//! pipeline's results (../shared/models/deepbet/reference).
//!
//! * always on: steps 1–6 (reorientation, quantiles, the 128³ bounding-box network,
//!   the box) equal `mni152_t1_stages.json` exactly;
//! * opt-in (`MEDVOX_DL_FULL=1`, a 256³ forward pass): the whole pipeline, Dice with
//!   the reference mask ≥ 0.999 and voxel count within 0.1 %.

mod common;

use medvox_core::{Executor, Volume};
use medvox_dl::BrainExtraction;

const T1: &str =
    "data/real/nifti/templates_mni152_nilearn/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz";

fn setup() -> Option<(BrainExtraction, Volume<f32>, serde_json::Value)> {
    let models = common::shared("models/deepbet")?;
    let t1 = common::shared(T1)?;
    let bet = BrainExtraction::load(&models).unwrap();
    let vol = medvox_io::read(&t1)
        .unwrap()
        .into_first()
        .to_volume::<f32>();
    let stages: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(models.join("reference/mni152_t1_stages.json")).unwrap(),
    )
    .unwrap();
    Some((bet, vol, stages))
}

fn usizes(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn bounding_box_stage_matches_deepbet() {
    let Some((bet, vol, stages)) = setup() else {
        return;
    };
    let loc = bet.locate(&vol, &Executor::default()).unwrap();
    let (a, b, c) = loc.x.dim();
    assert_eq!(vec![a, b, c], usizes(&stages["canonical_shape_xyz"]));
    assert_eq!(
        loc.low as f64,
        stages["quantile_low_0.005"].as_f64().unwrap()
    );
    assert_eq!(
        loc.high as f64,
        stages["quantile_high_0.995"].as_f64().unwrap()
    );
    let want: Vec<Vec<usize>> = stages["bbox_xyz_half_open"]
        .as_array()
        .unwrap()
        .iter()
        .map(usizes)
        .collect();
    let got: Vec<Vec<usize>> = loc.bbox.iter().map(|r| r.to_vec()).collect();
    assert_eq!(got, want);
    println!("bbox network (128^3): {:.2} s", loc.bbox_seconds);
}

#[test]
fn full_pipeline_matches_reference_mask() {
    if std::env::var_os("MEDVOX_DL_FULL").is_none() {
        println!("skipped: set MEDVOX_DL_FULL=1 to run the whole deepbet pipeline (one 256^3 forward pass)");
        return;
    }
    let Some((bet, vol, stages)) = setup() else {
        return;
    };
    let models = common::shared("models/deepbet").unwrap();
    let reference = medvox_io::read(models.join("reference/mni152_t1_deepbet_mask.nii.gz"))
        .unwrap()
        .into_first()
        .to_volume::<u8>();
    let out = bet.run(&vol, &Executor::default()).unwrap();
    assert_eq!(out.mask.size(), reference.size());
    let (mut inter, mut a, mut b) = (0u64, 0u64, 0u64);
    for (&x, &y) in out.mask.as_slice().iter().zip(reference.as_slice()) {
        let (x, y) = (x != 0, y != 0);
        inter += u64::from(x && y);
        a += u64::from(x);
        b += u64::from(y);
    }
    let dice = 2.0 * inter as f64 / (a + b) as f64;
    let s = &out.stages;
    println!(
        "deepbet MNI152: Dice {dice:.6}, voxels {a} (reference {b}), prob>0.5 {} (reference {}), \
         TIV {:.3} cm3 (reference {}), seconds: bbox net {:.2}, main net {:.2}, total {:.2}",
        s.prob_voxels,
        stages["prob_voxels_gt_0.5_before_postprocess"],
        s.tiv_cm3,
        stages["tiv_cm3"],
        s.seconds[0],
        s.seconds[1],
        s.seconds[2]
    );
    assert!(dice >= 0.999, "Dice {dice}");
    assert!(
        (a as f64 - b as f64).abs() <= 0.001 * b as f64,
        "voxels {a} vs {b}"
    );
}
