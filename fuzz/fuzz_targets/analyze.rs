//! libFuzzer target: the analyze reader on arbitrary bytes (a file ending in .hdr).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    medvox_io_fuzz_common::run(data, "hdr");
});

#[path = "common.rs"]
mod medvox_io_fuzz_common;
