//! Builds CharLS (BSD-3-Clause, `charls/LICENSE.md`) as a static library with
//! the `cc` crate: the same sources and definitions as CharLS's own
//! `src/CMakeLists.txt` for a static build (`CHARLS_STATIC`,
//! `CHARLS_LIBRARY_BUILD`, C++14, hidden visibility), without needing CMake.

fn main() {
    let sources = [
        "charls_jpegls_decoder.cpp",
        "charls_jpegls_encoder.cpp",
        "jpeg_stream_reader.cpp",
        "jpeg_stream_writer.cpp",
        "jpegls.cpp",
        "jpegls_error.cpp",
        "validate_spiff_header.cpp",
        "version.cpp",
    ];
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .include("charls/include")
        .define("CHARLS_STATIC", None)
        .define("CHARLS_LIBRARY_BUILD", None)
        .warnings(false);
    let msvc = std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("msvc");
    if msvc {
        build.flag("/std:c++14").flag("/EHsc");
    } else {
        build
            .flag("-std=c++14")
            .flag("-fvisibility=hidden")
            .flag("-fvisibility-inlines-hidden");
    }
    for s in sources {
        let path = format!("charls/src/{s}");
        println!("cargo:rerun-if-changed={path}");
        build.file(path);
    }
    println!("cargo:rerun-if-changed=charls/include");
    println!("cargo:rerun-if-changed=charls/src");
    println!("cargo:rerun-if-changed=wrapper.h");
    build.compile("charls");
}
