//! The memory budget: how many bytes one buffer derived from an untrusted file
//! may take, and allocation that fails with an error instead of aborting.
//!
//! [`max_bytes`] is the smallest of
//! * the machine's physical memory (`/proc/meminfo` `MemTotal`),
//! * the process's address-space and data-segment limits (`RLIMIT_AS`, `RLIMIT_DATA`,
//!   as set by `ulimit -v` / `prlimit --as`),
//! * the cgroup memory limit (v2 `memory.max`, v1 `memory.limit_in_bytes`) of
//!   the process's cgroup (containers, systemd slices, Slurm jobs),
//!
//! unless overridden by [`set_max_bytes`] (the CLI's `--max-memory`) or the
//! `MEDVOX_MAX_BYTES` environment variable (bytes, or with a `K`/`M`/`G`/`T`
//! suffix, powers of 1024). 16 GiB when nothing is known.
//!
//! Readers check every size derived from a header with [`check`] before
//! allocating, then allocate with [`try_zeroed_vec`] / [`try_vec_with_capacity`],
//! so that a file asking for too much, or an allocation the system refuses,
//! is an error message — never an abort.
//!
//! ```
//! use medvox_core::budget;
//! assert!(budget::check(1 << 20, "voxels").is_ok());
//! assert!(budget::check(u128::MAX, "voxels").is_err());
//! let v: Vec<u16> = budget::try_zeroed_vec(1000).unwrap();
//! assert_eq!(v.len(), 1000);
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

/// Used when neither the system nor the user says anything.
pub const FALLBACK_BYTES: u64 = 16 << 30;

/// 0 = no override.
static OVERRIDE: AtomicU64 = AtomicU64::new(0);

/// Why a buffer was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BudgetError {
    /// The size is over the budget (or over what the address space can hold).
    OverBudget {
        /// What the buffer is for (`"voxel data"`, `"pixel data of frame 3"`).
        what: String,
        /// Bytes asked for.
        requested: u128,
        /// The budget in force.
        limit: u64,
    },
    /// The allocator refused (the budget allowed it, the system did not).
    AllocFailed {
        /// What the buffer is for.
        what: String,
        /// Bytes asked for.
        requested: u128,
    },
}

impl std::fmt::Display for BudgetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BudgetError::OverBudget {
                what,
                requested,
                limit,
            } => write!(
                f,
                "{what} needs {} ({requested} bytes), more than the memory limit of {} \
                 (set MEDVOX_MAX_BYTES or --max-memory to change it)",
                human(*requested),
                human(*limit as u128)
            ),
            BudgetError::AllocFailed { what, requested } => write!(
                f,
                "out of memory: {what} needs {} ({requested} bytes) and the system refused it",
                human(*requested)
            ),
        }
    }
}

impl std::error::Error for BudgetError {}

fn human(b: u128) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Parses a byte count: `123`, `512K`, `2M`, `8G`, `1T` (powers of 1024; a
/// trailing `B`/`iB` is accepted, case is ignored).
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let s = s
        .strip_suffix("ib")
        .or_else(|| s.strip_suffix('b'))
        .unwrap_or(&s);
    let (num, shift) = match s.chars().last()? {
        'k' => (&s[..s.len() - 1], 10),
        'm' => (&s[..s.len() - 1], 20),
        'g' => (&s[..s.len() - 1], 30),
        't' => (&s[..s.len() - 1], 40),
        _ => (s, 0),
    };
    let n: u64 = num.trim().parse().ok()?;
    n.checked_mul(1u64 << shift).filter(|&n| n > 0)
}

/// Sets the budget for this process (the CLI's `--max-memory`); `None` clears it.
/// Takes precedence over `MEDVOX_MAX_BYTES` and the system limits.
pub fn set_max_bytes(bytes: Option<u64>) {
    OVERRIDE.store(bytes.unwrap_or(0), Ordering::Relaxed);
}

/// The budget in bytes for one buffer derived from a file (see the module docs).
pub fn max_bytes() -> u64 {
    let o = OVERRIDE.load(Ordering::Relaxed);
    if o > 0 {
        return o;
    }
    if let Some(b) = std::env::var("MEDVOX_MAX_BYTES")
        .ok()
        .and_then(|s| parse_bytes(&s))
    {
        return b;
    }
    system_limit().unwrap_or(FALLBACK_BYTES)
}

/// The smallest of physical memory, the rlimits and the cgroup limit, if any is known.
pub fn system_limit() -> Option<u64> {
    [physical_memory(), rlimit_bytes(), cgroup_limit()]
        .into_iter()
        .flatten()
        .min()
}

/// Physical memory (`MemTotal`), Linux only.
pub fn physical_memory() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

/// The smaller of `RLIMIT_AS` and `RLIMIT_DATA` (soft limits), if either is set.
/// The address space also holds the program, its libraries and thread stacks,
/// so 3/4 of `RLIMIT_AS` is taken.
#[cfg(target_os = "linux")]
pub fn rlimit_bytes() -> Option<u64> {
    let mut a = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    let mut d = a;
    // SAFETY: getrlimit writes one rlimit struct through a valid pointer.
    let (ra, rd) = unsafe {
        (
            libc::getrlimit(libc::RLIMIT_AS, &mut a),
            libc::getrlimit(libc::RLIMIT_DATA, &mut d),
        )
    };
    let get = |rc: i32, r: libc::rlimit| {
        (rc == 0 && r.rlim_cur != libc::RLIM_INFINITY).then_some(r.rlim_cur)
    };
    let as_ = get(ra, a).map(|b| b / 4 * 3);
    let data = get(rd, d);
    [as_, data].into_iter().flatten().min()
}

/// Not known off Linux.
#[cfg(not(target_os = "linux"))]
pub fn rlimit_bytes() -> Option<u64> {
    None
}

/// The memory limit of this process's cgroup (v2 `memory.max` up the hierarchy,
/// or v1 `memory.limit_in_bytes`), if one is set.
pub fn cgroup_limit() -> Option<u64> {
    let cg = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mut best: Option<u64> = None;
    let mut take = |v: Option<u64>| {
        if let Some(v) = v {
            best = Some(best.map_or(v, |b| b.min(v)));
        }
    };
    for line in cg.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, rel) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => continue,
        };
        let rel = rel.trim_start_matches('/');
        if controllers.is_empty() {
            // cgroup v2: the limit of the cgroup and of every ancestor applies.
            let mut dir = std::path::PathBuf::from("/sys/fs/cgroup").join(rel);
            loop {
                take(read_limit(&dir.join("memory.max")));
                if !dir.pop() || dir.as_os_str().len() <= "/sys/fs/cgroup".len() {
                    break;
                }
            }
            take(read_limit(std::path::Path::new(
                "/sys/fs/cgroup/memory.max",
            )));
        } else if controllers.split(',').any(|c| c == "memory") {
            let base = std::path::Path::new("/sys/fs/cgroup/memory");
            take(read_limit(&base.join(rel).join("memory.limit_in_bytes")));
            take(read_limit(&base.join("memory.limit_in_bytes")));
        }
    }
    best
}

fn read_limit(p: &std::path::Path) -> Option<u64> {
    let s = std::fs::read_to_string(p).ok()?;
    let v: u64 = s.trim().parse().ok()?;
    // v1 reports "no limit" as a huge page-rounded number.
    (v < (1u64 << 62)).then_some(v)
}

/// Checks a buffer of `requested` bytes against the budget (and `isize::MAX`)
/// before anything is allocated; returns it as a `usize`.
pub fn check(requested: u128, what: &str) -> Result<usize, BudgetError> {
    let limit = max_bytes();
    if requested > limit as u128 || requested > isize::MAX as u128 {
        return Err(BudgetError::OverBudget {
            what: what.to_string(),
            requested,
            limit,
        });
    }
    Ok(requested as usize)
}

/// `count` elements of `elem_bytes` each, checked against the budget (see [`check`]).
pub fn check_elems(count: u128, elem_bytes: usize, what: &str) -> Result<usize, BudgetError> {
    check(count.saturating_mul(elem_bytes as u128), what)
}

/// A zero-filled vector of `n` elements, checked against the budget; an error
/// (not an abort) when the allocator refuses. Zero pages are mapped lazily, as
/// with `calloc`.
pub fn try_zeroed_vec<T: bytemuck::Zeroable + Copy>(n: usize) -> Result<Vec<T>, BudgetError> {
    let what = "a buffer";
    check_elems(n as u128, std::mem::size_of::<T>(), what)?;
    if std::mem::size_of::<T>() == 0 || n == 0 {
        return Ok(Vec::new());
    }
    let layout = std::alloc::Layout::array::<T>(n).map_err(|_| BudgetError::OverBudget {
        what: what.to_string(),
        requested: (n as u128) * std::mem::size_of::<T>() as u128,
        limit: max_bytes(),
    })?;
    // SAFETY: the layout has non-zero size; T is Zeroable, so all-zero bytes are
    // a valid T; the allocation goes to Vec with the same layout (capacity n,
    // alignment of T), which frees it with that layout.
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout) as *mut T;
        if ptr.is_null() {
            return Err(BudgetError::AllocFailed {
                what: what.to_string(),
                requested: layout.size() as u128,
            });
        }
        advise_huge_pages(ptr as *mut u8, layout.size());
        Ok(Vec::from_raw_parts(ptr, n, n))
    }
}

/// As [`crate::volume::zeroed_vec`] does: asks Linux to back the 2 MiB-aligned
/// part of a large fresh allocation with transparent huge pages (fewer page
/// faults on first touch). A hint only.
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    if bytes < 2 * HUGE {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let start = (ptr as usize).next_multiple_of(HUGE);
        let end = (ptr as usize + bytes) / HUGE * HUGE;
        if end > start {
            // SAFETY: [start, end) lies inside the live allocation at `ptr`;
            // MADV_HUGEPAGE changes no contents, only how pages are backed.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = ptr;
}

/// An empty vector with room for `n` elements, checked against the budget and
/// reserved fallibly (`try_reserve_exact`).
pub fn try_vec_with_capacity<T>(n: usize, what: &str) -> Result<Vec<T>, BudgetError> {
    let bytes = check_elems(n as u128, std::mem::size_of::<T>(), what)?;
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| BudgetError::AllocFailed {
            what: what.to_string(),
            requested: bytes as u128,
        })?;
    Ok(v)
}

/// Grows `v` so that it can hold `additional` more elements, checked against
/// the budget (for the whole length) and reserved fallibly.
pub fn try_reserve<T>(v: &mut Vec<T>, additional: usize, what: &str) -> Result<(), BudgetError> {
    let total = (v.len() as u128).saturating_add(additional as u128);
    let bytes = check_elems(total, std::mem::size_of::<T>(), what)?;
    v.try_reserve(additional)
        .map_err(|_| BudgetError::AllocFailed {
            what: what.to_string(),
            requested: bytes as u128,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_bytes("123"), Some(123));
        assert_eq!(parse_bytes("2k"), Some(2048));
        assert_eq!(parse_bytes("8G"), Some(8 << 30));
        assert_eq!(parse_bytes("1GiB"), Some(1 << 30));
        assert_eq!(parse_bytes(" 3 MB"), Some(3 << 20));
        assert_eq!(parse_bytes("0"), None);
        assert_eq!(parse_bytes("x"), None);
        assert_eq!(parse_bytes("99999999999T"), None);
    }

    #[test]
    fn system_limit_is_sane() {
        let m = max_bytes();
        assert!(m > 0);
        if let Some(p) = physical_memory() {
            assert!(system_limit().unwrap() <= p);
        }
    }

    #[test]
    fn refuses_instead_of_aborting() {
        assert!(matches!(
            check(u128::MAX, "x"),
            Err(BudgetError::OverBudget { .. })
        ));
        assert!(try_zeroed_vec::<u64>(usize::MAX / 4).is_err());
        assert!(try_vec_with_capacity::<u8>(usize::MAX, "x").is_err());
        let mut v = vec![1u8];
        assert!(try_reserve(&mut v, usize::MAX, "x").is_err());
        assert!(try_reserve(&mut v, 10, "x").is_ok());
        let e = check(u128::MAX, "voxel data").unwrap_err().to_string();
        assert!(
            e.contains("voxel data") && e.contains("MEDVOX_MAX_BYTES"),
            "{e}"
        );
    }
}
