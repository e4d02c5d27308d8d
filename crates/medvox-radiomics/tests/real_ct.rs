//! All labels of the TotalSegmentator CT example (`../shared/data/real`):
//! every region gives finite core features; prints the extraction time per region.

mod common;

use std::path::PathBuf;

use common::read_nifti;
use medvox_radiomics::{extract, Families, Settings};

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
    // time per family (each alone)
    let none = Families {
        morphology: false,
        local_intensity: false,
        statistics: false,
        histogram: false,
        ivh: false,
        glcm: false,
        glrlm: false,
        zones: false,
        neighbours: false,
    };
    for fam in [
        "morphology",
        "local intensity",
        "first order",
        "GLCM",
        "GLRLM",
        "GLSZM+GLDZM",
        "NGTDM+NGLDM",
    ] {
        let mut f = none;
        match fam {
            "morphology" => f.morphology = true,
            "local intensity" => f.local_intensity = true,
            "first order" => (f.statistics, f.histogram, f.ivh) = (true, true, true),
            "GLCM" => f.glcm = true,
            "GLRLM" => f.glrlm = true,
            "GLSZM+GLDZM" => f.zones = true,
            _ => f.neighbours = true,
        }
        let settings = Settings {
            families: f,
            ..Settings::default()
        };
        let t = std::time::Instant::now();
        extract(&ct, &seg, None, &settings).unwrap();
        println!("  {fam:<16} {:.3} s", t.elapsed().as_secs_f64());
    }
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
