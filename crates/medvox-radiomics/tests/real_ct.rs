//! All labels of the TotalSegmentator CT example (`../shared/data/real`):
//! every region gives finite core features; prints the extraction time per region.

mod common;

use std::path::PathBuf;

use common::read_nifti;
use medvox_radiomics::{extract, Settings};

#[test]
fn totalsegmentator_ct_all_labels() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/real/nifti/totalsegmentator_ct");
    if !dir.exists() {
        println!("skipped: {} is absent", dir.display());
        return;
    }
    let ct = read_nifti(&dir.join("example_ct_sm.nii.gz"));
    let seg = read_nifti(&dir.join("example_seg.nii.gz"));
    let t0 = std::time::Instant::now();
    let regions = extract(&ct, &seg, None, &Settings::default()).unwrap();
    let secs = t0.elapsed().as_secs_f64();
    let nfeat = regions[0].features.len();
    println!(
        "TotalSegmentator CT {:?}: {} labels x {nfeat} features in {secs:.3} s ({:.4} s per region, {} threads)",
        ct.size(),
        regions.len(),
        secs / regions.len() as f64,
        rayon::current_num_threads()
    );
    for r in &regions {
        for key in ["stat_mean", "morph_vol_approx", "ih_entropy"] {
            assert!(
                r.get(key, "3D").unwrap().is_finite(),
                "label {} {key}",
                r.label
            );
        }
        assert!(
            r.get("morph_volume", "3D").unwrap() > 0.0,
            "label {}",
            r.label
        );
    }
}
