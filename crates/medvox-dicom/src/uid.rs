//! UIDs of the `2.25` form (PS3.5 B.2: `2.25.` followed by the decimal value of a
//! 128-bit integer).
//!
//! [`hashed`] derives one from SHA-256: `2.25.<decimal of the first 16 bytes of
//! SHA-256(data), big-endian>`. SHA-256 is fully specified, so the same input gives
//! the same UID on every platform and in every medvox version (de-identification
//! relies on this); [`fresh`] hashes a per-process random seed, the time and a
//! counter for new, unique UIDs.

use sha2::{Digest, Sha256};

/// `2.25.<decimal of the first 16 bytes of SHA-256(parts concatenated)>`.
///
/// ```
/// // Independently: int.from_bytes(hashlib.sha256(b"abc").digest()[:16], "big")
/// assert_eq!(
///     medvox_dicom::uid::hashed(&[b"abc"]),
///     "2.25.247859944228867399418143717509236138531"
/// );
/// ```
pub fn hashed(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    format!("2.25.{}", u128::from_be_bytes(b))
}

/// A new unique UID (random seed of this process, time, counter, `label`).
pub fn fresh(label: &str) -> String {
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static SEED: OnceLock<[u8; 32]> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let seed = SEED.get_or_init(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut s = [0u8; 32];
        for (i, c) in s.chunks_exact_mut(8).enumerate() {
            let r =
                std::collections::hash_map::RandomState::new().hash_one((t, std::process::id(), i));
            c.copy_from_slice(&r.to_le_bytes());
        }
        let mut h = Sha256::new();
        h.update(s);
        h.update(t.to_le_bytes());
        h.finalize().into()
    });
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    hashed(&[seed, &n.to_le_bytes(), label.as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_uids_are_distinct_and_valid() {
        let a = fresh("x");
        let b = fresh("x");
        assert_ne!(a, b);
        for u in [a, b] {
            assert!(u.len() <= 64 && u.starts_with("2.25."));
            let digits = &u[5..];
            assert!(digits.bytes().all(|c| c.is_ascii_digit()));
            assert!(!digits.starts_with('0') || digits == "0");
        }
    }
}
