//! Read and write throughput of the 256³ int16 CT phantom per format.
//! Run: `cargo bench -p medvox-io` (reports bytes/s of voxel data).
#![allow(missing_docs)] // criterion's macros generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use medvox_core::phantom::{ct_phantom, PhantomSpec};
use medvox_core::AnyVolume;

fn io(c: &mut Criterion) {
    let spec = PhantomSpec {
        size: [256, 256, 256],
        spacing: [1.0; 3],
        ..Default::default()
    };
    let vol = AnyVolume::from(ct_phantom(&spec).expect("phantom"));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut g = c.benchmark_group("phantom_256_i16");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(vol.nbytes() as u64));
    for name in ["x.nii.gz", "x.nii", "x.nrrd", "x.mha"] {
        let p = dir.path().join(name);
        g.bench_function(format!("write {name}"), |b| {
            b.iter(|| medvox_io::write(&p, &vol).expect("write"))
        });
        g.bench_function(format!("read {name}"), |b| {
            b.iter(|| medvox_io::read(&p).expect("read"))
        });
    }
    g.finish();
}

criterion_group!(benches, io);
criterion_main!(benches);
