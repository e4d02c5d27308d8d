//! libFuzzer target: the metaimage reader on arbitrary bytes (a file ending in .mha).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    medvox_io_fuzz_common::run(data, "mha");
});

#[path = "common.rs"]
mod medvox_io_fuzz_common;
