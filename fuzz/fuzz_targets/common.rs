//! Shared by the fuzz targets: writes the input to a per-process file in a
//! RAM-backed folder and reads it with a 64 MiB budget; any panic is a finding.

use std::path::PathBuf;

pub fn run(data: &[u8], ext: &str) {
    thread_local! {
        static DIR: PathBuf = {
            let base = if std::path::Path::new("/dev/shm").is_dir() { "/dev/shm" } else { "/tmp" };
            let d = PathBuf::from(base).join(format!("medvox-fuzz-{}", std::process::id()));
            std::fs::create_dir_all(&d).unwrap();
            // A data file that detached headers may name.
            std::fs::write(d.join("x.raw"), vec![1u8; 4096]).unwrap();
            d
        };
    }
    DIR.with(|d| {
        let p = d.join(format!("input.{ext}"));
        if ext == "hdr" {
            // Analyze / NIfTI pair: the first 348 bytes are the header, the rest the .img.
            let cut = data.len().min(348);
            std::fs::write(&p, &data[..cut]).unwrap();
            std::fs::write(d.join("input.img"), &data[cut..]).unwrap();
        } else {
            std::fs::write(&p, data).unwrap();
        }
        let opts = medvox_io::ReadOptions {
            limits: medvox_io::Limits { max_bytes: 64 << 20 },
            ..Default::default()
        };
        let _ = medvox_io::read_with(&p, &opts);
    });
}
