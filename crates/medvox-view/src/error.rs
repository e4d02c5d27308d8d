//! The error type of medvox-view.

/// What went wrong while rendering or encoding.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// A volume with a zero-length axis.
    #[error("cannot render an empty {what} (size {size:?})")]
    Empty {
        /// Which input ("volume", "overlay", …).
        what: &'static str,
        /// Its size.
        size: [usize; 3],
    },
    /// An option outside its valid range.
    #[error("{0}")]
    Option(String),
    /// The slice point is not inside the volume.
    #[error(
        "slice point {},{},{} is outside the volume (size {}×{}×{}: valid indices 0…{}, 0…{}, 0…{})",
        point[0], point[1], point[2], size[0], size[1], size[2],
        size[0].saturating_sub(1), size[1].saturating_sub(1), size[2].saturating_sub(1)
    )]
    PointOutside {
        /// The requested voxel index.
        point: [usize; 3],
        /// The volume size.
        size: [usize; 3],
    },
    /// A second volume (overlay, moving image) is not on the first one's voxel grid.
    #[error("{0}")]
    Grid(String),
    /// A table could not be built from the given records.
    #[error("table: {0}")]
    Table(String),
    /// PNG encoding failed or the image buffer is inconsistent.
    #[error("PNG: {0}")]
    Png(String),
}

/// `Result` with [`ViewError`].
pub type Result<T, E = ViewError> = std::result::Result<T, E>;
