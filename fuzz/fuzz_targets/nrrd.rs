//! libFuzzer target: the nrrd reader on arbitrary bytes (a file ending in .nrrd).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    medvox_io_fuzz_common::run(data, "nrrd");
});

#[path = "common.rs"]
mod medvox_io_fuzz_common;
