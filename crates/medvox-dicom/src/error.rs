//! The error type of medvox-dicom: every variant names the file (or series) it is about.

use std::path::PathBuf;

/// Errors reading, assembling, de-identifying or writing DICOM.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DicomError {
    /// The file could not be opened or parsed as DICOM (truncated, no meta header, bad VR…).
    #[error("{path}: not a readable DICOM file: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// A required attribute is missing or unusable.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The pixel data is encoded in a transfer syntax medvox cannot decode.
    #[error("{path}: cannot decode transfer syntax {uid} ({name})")]
    UnsupportedTransferSyntax {
        /// The file.
        path: PathBuf,
        /// Transfer syntax UID.
        uid: String,
        /// Its name.
        name: String,
    },
    /// The pixel data could not be decoded (corrupt or short stream).
    #[error("{path}: cannot decode pixel data ({ts}): {reason}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// Transfer syntax name.
        ts: String,
        /// What the decoder said.
        reason: String,
    },
    /// No DICOM image was found under the path.
    #[error("{0}: no DICOM image series found")]
    NoImages(PathBuf),
    /// A folder holds several series and none was chosen.
    #[error("{path} holds {} series; choose one with --series UID|N:\n{}", list.len(), list.join("\n"))]
    SeveralSeries {
        /// The folder.
        path: PathBuf,
        /// One line per series.
        list: Vec<String>,
    },
    /// The chosen series does not exist.
    #[error("{path}: no series `{select}` (there are {count})")]
    NoSuchSeries {
        /// The folder.
        path: PathBuf,
        /// What was asked for.
        select: String,
        /// How many series there are.
        count: usize,
    },
    /// Input/output error.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A volume could not be built (geometry, size).
    #[error(transparent)]
    Core(#[from] medvox_core::CoreError),
    /// Writing failed.
    #[error("{path}: cannot write DICOM: {reason}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Result with [`DicomError`].
pub type Result<T, E = DicomError> = std::result::Result<T, E>;

impl DicomError {
    pub(crate) fn invalid(path: &std::path::Path, reason: impl Into<String>) -> Self {
        DicomError::Invalid {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
