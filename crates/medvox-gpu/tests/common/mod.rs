//! Shared test helpers.

/// Xorshift64 stream from a non-zero `seed`: deterministic pseudo-random test data.
pub fn xorshift(mut s: u64) -> impl FnMut() -> u64 {
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}
