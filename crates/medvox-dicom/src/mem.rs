//! The memory limit for buffers sized by DICOM headers, and allocation that
//! fails with an error instead of aborting: thin wrappers over
//! [`medvox_core::budget`] (smallest of RAM, RLIMIT_AS/DATA and the cgroup
//! limit; `MEDVOX_MAX_BYTES` / `--max-memory` override) with `String` errors.

/// The largest buffer a file may ask for, in bytes.
pub(crate) fn max_bytes() -> u64 {
    medvox_core::budget::max_bytes()
}

/// Checks `requested` bytes for `what` against the budget.
pub(crate) fn check(requested: u128, what: &str) -> Result<usize, String> {
    medvox_core::budget::check(requested, what).map_err(|e| e.to_string())
}

/// A zeroed buffer of `n` bytes, or an error when the system refuses it.
pub(crate) fn try_zeroed(n: usize, _what: &str) -> Result<Vec<u8>, String> {
    medvox_core::budget::try_zeroed_vec(n).map_err(|e| e.to_string())
}

/// An empty buffer with room for `n` bytes.
pub(crate) fn try_with_capacity(n: usize, what: &str) -> Result<Vec<u8>, String> {
    medvox_core::budget::try_vec_with_capacity(n, what).map_err(|e| e.to_string())
}
