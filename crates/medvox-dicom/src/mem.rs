//! The memory limit for buffers sized by DICOM headers, and allocation that
//! fails with an error instead of aborting. The limit is medvox-io's
//! ([`medvox_io::Limits`]: `MEDVOX_MAX_BYTES`, else physical memory).

/// The largest buffer a file may ask for, in bytes.
pub(crate) fn max_bytes() -> u64 {
    medvox_io::Limits::default().max_bytes
}

/// Checks `requested` bytes for `what` against the limit.
pub(crate) fn check(requested: u128, what: &str) -> Result<usize, String> {
    let limit = max_bytes();
    if requested > limit as u128 || requested > isize::MAX as u128 {
        return Err(format!(
            "{what} needs {requested} bytes, more than the memory limit of {limit} bytes \
             (set MEDVOX_MAX_BYTES to change it)"
        ));
    }
    Ok(requested as usize)
}

/// A zeroed buffer of `n` bytes, or an error when the system refuses it.
pub(crate) fn try_zeroed(n: usize, what: &str) -> Result<Vec<u8>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| format!("out of memory: {what} needs {n} bytes"))?;
    v.resize(n, 0);
    Ok(v)
}

/// An empty buffer with room for `n` bytes.
pub(crate) fn try_with_capacity(n: usize, what: &str) -> Result<Vec<u8>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| format!("out of memory: {what} needs {n} bytes"))?;
    Ok(v)
}
