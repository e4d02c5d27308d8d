//! Colour tables for label maps.

/// 16 well-separated colours (Sasha Trubetskoy's list); label `l` gets entry
/// `(l − 1) mod 16` in [`ColourTable::default`].
pub const PALETTE: [[u8; 3]; 16] = [
    [230, 25, 75],
    [60, 180, 75],
    [255, 225, 25],
    [0, 130, 200],
    [245, 130, 48],
    [145, 30, 180],
    [70, 240, 240],
    [240, 50, 230],
    [210, 245, 60],
    [250, 190, 212],
    [0, 128, 128],
    [220, 190, 255],
    [170, 110, 40],
    [255, 250, 200],
    [128, 0, 0],
    [170, 255, 195],
];

/// The colour of each label: explicit entries first, else a palette cycling with
/// the label value (`palette[(l − 1) mod len]`). Label 0 is background and never drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColourTable {
    entries: Vec<(i64, [u8; 3])>,
    palette: Vec<[u8; 3]>,
}

impl Default for ColourTable {
    fn default() -> Self {
        ColourTable {
            entries: Vec::new(),
            palette: PALETTE.to_vec(),
        }
    }
}

impl ColourTable {
    /// The default palette with explicit colours for some labels (e.g. from an
    /// ITK-SNAP or 3D Slicer label description).
    pub fn with_entries(entries: impl IntoIterator<Item = (i64, [u8; 3])>) -> Self {
        ColourTable {
            entries: entries.into_iter().collect(),
            ..Default::default()
        }
    }

    /// The colour of `label`.
    pub fn colour(&self, label: i64) -> [u8; 3] {
        if let Some((_, c)) = self.entries.iter().find(|(l, _)| *l == label) {
            return *c;
        }
        let n = self.palette.len().max(1) as i64;
        self.palette
            .get(label.wrapping_sub(1).rem_euclid(n) as usize)
            .copied()
            .unwrap_or([255, 0, 0])
    }
}

/// The label a voxel value stands for: rounded to an integer (saturating), NaN → 0.
pub(crate) fn label_of(v: f64) -> i64 {
    if v.is_nan() {
        0
    } else {
        v.round() as i64
    }
}

/// `(1 − a) · base + a · c`, rounded.
pub(crate) fn blend(base: [u8; 3], c: [u8; 3], a: f64) -> [u8; 3] {
    [0, 1, 2].map(|k| ((1.0 - a) * base[k] as f64 + a * c[k] as f64).round() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_cycles_and_entries_override() {
        let t = ColourTable::default();
        assert_eq!(t.colour(1), PALETTE[0]);
        assert_eq!(t.colour(16), PALETTE[15]);
        assert_eq!(t.colour(17), PALETTE[0]);
        assert_eq!(t.colour(-1), PALETTE[14]);
        assert_eq!(t.colour(i64::MIN), PALETTE[15]);
        let t = ColourTable::with_entries([(2, [1, 2, 3])]);
        assert_eq!(t.colour(2), [1, 2, 3]);
        assert_eq!(t.colour(3), PALETTE[2]);
        assert_eq!(label_of(2.6), 3);
        assert_eq!(label_of(f64::NAN), 0);
        assert_eq!(blend([0, 0, 0], [200, 100, 50], 0.4), [80, 40, 20]);
    }
}
