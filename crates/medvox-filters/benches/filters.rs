//! Throughput of the main filters on the 256³ CT phantom (f32; a body mask for
//! the distance transform). Run: `cargo bench -p medvox-filters [-- NAME]`.
//! `bench/compare_peers.py` compares the same ops with SimpleITK and scipy.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use medvox_core::phantom::{ct_phantom, PhantomSpec};
use medvox_core::{AnyVolume, Executor, Volume};
use medvox_filters::Filter;

fn filters(c: &mut Criterion) {
    let spec = PhantomSpec {
        size: [256, 256, 256],
        spacing: [1.0; 3],
        ..Default::default()
    };
    let ct = ct_phantom(&spec).expect("phantom");
    let f32v: Volume<f32> = ct.map(|v| v as f32);
    let body: Volume<u8> = ct.map(|v| u8::from(v > -500));
    let (f32v, body) = (AnyVolume::from(f32v), AnyVolume::from(body));
    let exec = Executor::default();
    let mut g = c.benchmark_group("phantom_256");
    g.sample_size(10);
    g.throughput(Throughput::Elements(f32v.len() as u64));
    let ops = [
        (
            r#"{"op":"gaussian","sigma":{"voxels":[2.0,2.0,2.0]}}"#,
            &f32v,
        ),
        (r#"{"op":"mean","radius":[2,2,2]}"#, &f32v),
        (r#"{"op":"erode","kernel":"box","radius":[2,2,2]}"#, &f32v),
        (r#"{"op":"median","radius":[1,1,1]}"#, &f32v),
        (r#"{"op":"cast","pixel_type":"i16"}"#, &f32v),
        (r#"{"op":"distance"}"#, &body),
    ];
    for (json, vol) in ops {
        let f: Filter = serde_json::from_str(json).expect("filter json");
        g.bench_function(f.name(), |b| {
            b.iter(|| f.apply(vol, &exec).expect("filter"))
        });
    }
    g.finish();
}

criterion_group!(benches, filters);
criterion_main!(benches);
