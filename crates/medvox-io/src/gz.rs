//! Fast gzip and zlib for voxel data.
//!
//! * Decompression of a whole in-memory buffer uses libdeflate (several times
//!   faster than streaming zlib); multi-member gzip files and data with trailing
//!   bytes fall back to flate2 (zlib-rs backend).
//! * gzip compression is parallel: the input is cut into 1 MiB chunks, each
//!   compressed on its own thread as raw deflate ending in a sync flush (the last
//!   one finished), and the pieces are concatenated under one gzip header with
//!   the combined CRC-32 — a single standard gzip member (what pigz does), which
//!   every reader accepts. Level 1 by default, chosen for speed: on the 256³
//!   int16 CT phantom it writes 3–4× faster than nibabel or SimpleITK, with a
//!   file about 40 % larger than theirs; level 2 gives the same size as theirs
//!   at about twice the time of level 1.

use std::io::Read;

use flate2::{Compress, Compression, FlushCompress, Status};
use rayon::prelude::*;

/// gzip level used when writing unless the caller says otherwise.
pub const DEFAULT_LEVEL: u32 = 1;
const CHUNK: usize = 1 << 20;

/// True when `head` starts with the gzip magic bytes.
pub fn is_gzip(head: &[u8]) -> bool {
    head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b
}

/// Upper bound on what `compressed` bytes of deflate data can expand to
/// (deflate's best ratio is about 1032:1), used to reject absurd headers before allocating.
pub fn max_inflated_size(compressed: u64) -> u128 {
    compressed as u128 * 1032 + 4096
}

/// Decompresses gzip data until `out` is full. Errors if the stream is corrupt
/// or holds fewer bytes than `out.len()`; bytes beyond `out.len()` are ignored.
pub fn gunzip_into(data: &[u8], out: &mut [u8]) -> Result<(), String> {
    let mut d = libdeflater::Decompressor::new();
    match d.gzip_decompress(data, out) {
        Ok(n) if n == out.len() => return Ok(()),
        // Short output (multi-member file) or more data than expected: stream it.
        Ok(_) | Err(libdeflater::DecompressionError::InsufficientSpace) => {}
        Err(e) => return Err(format!("gzip: {e}")),
    }
    read_exact_or_explain(flate2::read::MultiGzDecoder::new(data), out)
}

/// Decompresses zlib data until `out` is full (MetaImage `CompressedData`).
pub fn zlib_into(data: &[u8], out: &mut [u8]) -> Result<(), String> {
    let mut d = libdeflater::Decompressor::new();
    match d.zlib_decompress(data, out) {
        Ok(n) if n == out.len() => return Ok(()),
        Ok(_) | Err(libdeflater::DecompressionError::InsufficientSpace) => {}
        Err(e) => return Err(format!("zlib: {e}")),
    }
    read_exact_or_explain(flate2::read::ZlibDecoder::new(data), out)
}

/// The first `n` decompressed bytes of a gzip stream (or fewer if it is shorter).
pub fn gunzip_prefix(data: &[u8], n: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(n);
    flate2::read::MultiGzDecoder::new(data)
        .take(n as u64)
        .read_to_end(&mut out)
        .map_err(|e| format!("gzip: {e}"))?;
    Ok(out)
}

pub(crate) fn read_exact_or_explain(mut r: impl Read, out: &mut [u8]) -> Result<(), String> {
    let mut filled = 0;
    while filled < out.len() {
        match r.read(&mut out[filled..]) {
            Ok(0) => {
                return Err(format!(
                    "compressed stream ends after {filled} of {} expected bytes",
                    out.len()
                ))
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("decompression failed after {filled} bytes: {e}")),
        }
    }
    Ok(())
}

/// Compresses the concatenation of `parts` into one gzip member, in parallel.
pub fn gzip(parts: &[&[u8]], level: u32) -> Vec<u8> {
    let chunks: Vec<&[u8]> = parts
        .iter()
        .flat_map(|p| p.chunks(CHUNK))
        .filter(|c| !c.is_empty())
        .collect();
    let last = chunks.len().saturating_sub(1);
    let pieces: Vec<(Vec<u8>, u32, usize)> = chunks
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            (
                deflate_piece(c, level, i == last),
                crc32fast::hash(c),
                c.len(),
            )
        })
        .collect();
    let mut crc = crc32fast::Hasher::new();
    let mut total: u64 = 0;
    let mut out = Vec::with_capacity(pieces.iter().map(|p| p.0.len()).sum::<usize>() + 32);
    // RFC 1952 header: magic, CM=deflate, no flags, no mtime, XFL, OS=unix.
    out.extend_from_slice(&[
        0x1f,
        0x8b,
        8,
        0,
        0,
        0,
        0,
        0,
        if level <= 1 { 4 } else { 0 },
        3,
    ]);
    if pieces.is_empty() {
        out.extend_from_slice(&[3, 0]); // empty final fixed-Huffman block
    }
    for (bytes, c, len) in &pieces {
        out.extend_from_slice(bytes);
        crc.combine(&crc32fast::Hasher::new_with_initial_len(*c, *len as u64));
        total += *len as u64;
    }
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out
}

/// zlib-compresses a buffer (MetaImage `CompressedData = True`), with libdeflate.
pub fn zlib(data: &[u8], level: u32) -> Vec<u8> {
    let lvl = libdeflater::CompressionLvl::new(level.clamp(1, 12) as i32)
        .unwrap_or_else(|_| libdeflater::CompressionLvl::fastest());
    let mut c = libdeflater::Compressor::new(lvl);
    let mut out = vec![0u8; c.zlib_compress_bound(data.len())];
    let n = c
        .zlib_compress(data, &mut out)
        .expect("bound is sufficient");
    out.truncate(n);
    out
}

/// Raw deflate of one chunk: ends with a sync flush, or with the final block if `finish`.
fn deflate_piece(data: &[u8], level: u32, finish: bool) -> Vec<u8> {
    let mut c = Compress::new(Compression::new(level.min(9)), false);
    let mut out = Vec::with_capacity(data.len() / 2 + 1024);
    let flush = if finish {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    loop {
        let consumed = c.total_in() as usize;
        let status = c
            .compress_vec(&data[consumed..], &mut out, flush)
            .expect("deflate on memory cannot fail");
        let done_input = c.total_in() as usize == data.len();
        match status {
            Status::StreamEnd => break,
            _ if done_input && !finish && out.len() < out.capacity() => break,
            _ => out.reserve(out.capacity().max(1 << 16)),
        }
    }
    out
}

/// As many decompressed bytes (up to `n`) as a possibly truncated gzip prefix yields; used for sniffing.
pub fn gunzip_prefix_lossy(data: &[u8], n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    let mut r = flate2::read::MultiGzDecoder::new(data).take(n as u64);
    let mut buf = [0u8; 4096];
    while let Ok(k) = r.read(&mut buf) {
        if k == 0 {
            break;
        }
        out.extend_from_slice(&buf[..k]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample(n: usize) -> Vec<u8> {
        (0..n).map(|i| ((i * 31) ^ (i >> 7)) as u8 % 97).collect()
    }

    #[test]
    fn parallel_gzip_is_standard() {
        for n in [0, 1, 1000, CHUNK, 3 * CHUNK + 17] {
            let data = sample(n);
            let (a, b) = data.split_at(n / 3);
            let gz = gzip(&[a, b], 1);
            let mut back = Vec::new();
            // flate2's single-member decoder must accept it and check the CRC.
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data, "n = {n}");
            let mut out = vec![0; n];
            gunzip_into(&gz, &mut out).unwrap();
            assert_eq!(out, data);
        }
    }

    #[test]
    fn truncated_is_an_error() {
        let data = sample(100_000);
        let gz = gzip(&[&data], 1);
        let mut out = vec![0; data.len()];
        assert!(gunzip_into(&gz[..gz.len() / 2], &mut out).is_err());
        let mut big = vec![0; data.len() + 1];
        assert!(gunzip_into(&gz, &mut big).is_err());
        assert!(gunzip_into(b"not gzip at all", &mut out).is_err());
    }

    #[test]
    fn multi_member_and_zlib() {
        let data = sample(5000);
        let mut gz = gzip(&[&data[..2000]], 6);
        gz.extend(gzip(&[&data[2000..]], 6));
        let mut out = vec![0; 5000];
        gunzip_into(&gz, &mut out).unwrap();
        assert_eq!(out, data);
        let z = zlib(&data, 1);
        let mut out2 = vec![0; 5000];
        zlib_into(&z, &mut out2).unwrap();
        assert_eq!(out2, data);
    }
}
