//! Helpers shared by the block implementations of the filters.

use medvox_core::{BlockPlan, Volume};

use crate::error::{FilterError, Result};

/// Checks that `plan` was made for `vol` and has at least `halo` on every axis.
pub(crate) fn check_plan<T>(
    op: &'static str,
    vol: &Volume<T>,
    plan: &BlockPlan,
    halo: [usize; 3],
) -> Result<()>
where
    T: medvox_core::Pixel,
{
    if plan.shape != vol.size() {
        return Err(FilterError::Plan {
            op,
            reason: format!(
                "plan made for size {:?}, volume has size {:?}",
                plan.shape,
                vol.size()
            ),
        });
    }
    if (0..3).any(|a| plan.halo[a] < halo[a]) {
        return Err(FilterError::Plan {
            op,
            reason: format!("halo {:?} is smaller than the {:?} needed", plan.halo, halo),
        });
    }
    Ok(())
}

/// Copies `row` into `ext` converted by `f`, with `pad` copies of the first and
/// last value on either side (edge replicate): `ext[pad + i] = f(row[i])`.
#[inline]
pub(crate) fn extend_row<T: Copy, U: Copy>(
    row: &[T],
    pad: usize,
    ext: &mut Vec<U>,
    f: impl Fn(T) -> U,
) {
    ext.clear();
    let first = f(row[0]);
    let last = f(row[row.len() - 1]);
    ext.extend(std::iter::repeat_n(first, pad));
    ext.extend(row.iter().map(|&v| f(v)));
    ext.extend(std::iter::repeat_n(last, pad));
}

/// `i + d` clamped to `0..n` (edge replicate), `d` signed.
#[inline(always)]
pub(crate) fn clamp_index(i: usize, d: isize, n: usize) -> usize {
    (i as isize + d).clamp(0, n as isize - 1) as usize
}
