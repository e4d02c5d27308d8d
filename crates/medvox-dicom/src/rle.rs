//! RLE Lossless (PS3.5 Annex G) decoding, for every BitsAllocated (8, 16, 32)
//! and SamplesPerPixel, with every header value checked before use.
//!
//! A frame is a 64-byte header (segment count ≤ 15, then 15 offsets) and one
//! PackBits segment per byte plane: for sample `s` and byte `k` of it (most
//! significant first) segment `s × bytes + k`. The output is little-endian,
//! samples interleaved (R, G, B, R, …), as dicom-rs and pydicom give it.
//! dicom-rs's own decoder refuses BitsAllocated 32 (RT dose) and panics on
//! forged segment tables; this one returns an error instead.

/// Decodes one RLE frame of `rows × cols` pixels into `out`
/// (`rows × cols × samples × bytes` bytes, little-endian, interleaved).
pub fn decode_frame(
    data: &[u8],
    rows: usize,
    cols: usize,
    samples: usize,
    bytes: usize,
    out: &mut [u8],
) -> Result<(), String> {
    let pixels = rows * cols;
    debug_assert_eq!(out.len(), pixels * samples * bytes);
    if data.len() < 64 {
        return Err(format!(
            "RLE frame of {} bytes is shorter than its 64-byte header",
            data.len()
        ));
    }
    let word = |i: usize| u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
    let n = word(0) as usize;
    let want = samples * bytes;
    if n != want {
        return Err(format!(
            "RLE header declares {n} segment(s), {want} expected for {samples} sample(s) of {} bits",
            bytes * 8
        ));
    }
    let offsets: Vec<usize> = (0..n).map(|i| word(4 + 4 * i) as usize).collect();
    let mut seg = vec![0u8; pixels];
    for (i, &start) in offsets.iter().enumerate() {
        let end = offsets.get(i + 1).copied().unwrap_or(data.len());
        if start < 64 || start > end || end > data.len() {
            return Err(format!(
                "RLE segment {i} offsets {start}..{end} lie outside the frame's {} bytes",
                data.len()
            ));
        }
        packbits(&data[start..end], &mut seg)
            .map_err(|got| format!("RLE segment {i} decodes to {got} bytes, {pixels} expected"))?;
        let (s, k) = (i / bytes, i % bytes);
        // Byte k counts from the most significant: little-endian position bytes-1-k.
        let pos = s * bytes + (bytes - 1 - k);
        for (p, v) in seg.iter().enumerate() {
            out[p * want + pos] = *v;
        }
    }
    Ok(())
}

/// PackBits into `out` (exactly its length); `Err(decoded)` when the segment is short.
fn packbits(src: &[u8], out: &mut [u8]) -> Result<(), usize> {
    let (mut i, mut o) = (0usize, 0usize);
    let n = out.len();
    while o < n && i < src.len() {
        let h = src[i] as i8;
        i += 1;
        if h >= 0 {
            let len = (h as usize + 1).min(n - o).min(src.len() - i);
            out[o..o + len].copy_from_slice(&src[i..i + len]);
            i += h as usize + 1;
            o += len;
        } else if h != -128 {
            let Some(&v) = src.get(i) else { break };
            i += 1;
            let len = ((1 - h as isize) as usize).min(n - o);
            out[o..o + len].fill(v);
            o += len;
        }
    }
    if o < n {
        return Err(o);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packbits_literal_and_run() {
        let mut out = [0u8; 6];
        packbits(&[1, 7, 8, (-3i8) as u8, 9, 0x80], &mut out).unwrap();
        assert_eq!(out, [7, 8, 9, 9, 9, 9]);
        assert_eq!(packbits(&[0, 1], &mut out), Err(1));
    }

    #[test]
    fn forged_headers_are_errors() {
        let mut out = vec![0u8; 4 * 2];
        let mut frame = vec![0u8; 64];
        frame[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_frame(&frame, 2, 2, 1, 2, &mut out).is_err());
        frame[0..4].copy_from_slice(&2u32.to_le_bytes());
        frame[4..8].copy_from_slice(&64u32.to_le_bytes());
        frame[8..12].copy_from_slice(&1_000_000u32.to_le_bytes());
        assert!(decode_frame(&frame, 2, 2, 1, 2, &mut out).is_err());
    }

    #[test]
    fn thirty_two_bit_samples_little_endian() {
        // One pixel, 32 bits: four segments, most significant byte first.
        let mut frame = vec![0u8; 64];
        frame[0..4].copy_from_slice(&4u32.to_le_bytes());
        for k in 0..4u32 {
            let off = 64 + 2 * k;
            frame[4 + 4 * k as usize..8 + 4 * k as usize].copy_from_slice(&off.to_le_bytes());
        }
        frame.extend_from_slice(&[0, 0x00, 0, 0x13, 0, 0x0E, 0, 0xE8]);
        let mut out = [0u8; 4];
        decode_frame(&frame, 1, 1, 1, 4, &mut out).unwrap();
        assert_eq!(u32::from_le_bytes(out), 0x0013_0EE8);
    }
}
