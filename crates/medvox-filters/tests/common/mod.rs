//! Helpers shared by the filter tests.

/// Deterministic pseudo-random stream (64-bit LCG, upper 31 bits): the state starts
/// at `seed · 6364136223846793005 + start` and is stepped before every output.
pub fn lcg(seed: u64, start: u64) -> impl Iterator<Item = u64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(start);
    std::iter::repeat_with(move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s >> 33
    })
}
