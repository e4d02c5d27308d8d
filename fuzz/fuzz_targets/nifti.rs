//! libFuzzer target: the nifti reader on arbitrary bytes (a file ending in .nii).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    medvox_io_fuzz_common::run(data, "nii");
});

#[path = "common.rs"]
mod medvox_io_fuzz_common;
