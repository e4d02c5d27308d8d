//! [`OpsError`]: what the registry, parameter parsing and ops report.

/// A boxed error of an op crate (`FilterError`, `SegmentError`…).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of the registry and of ops run through it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpsError {
    /// No op of that name; `closest` holds the nearest registered names.
    #[error("unknown op `{name}`{}", hint(.closest))]
    UnknownOp {
        /// The name asked for.
        name: String,
        /// Registered names closest to it (edit distance).
        closest: Vec<String>,
    },
    /// A parameter the op does not have.
    #[error("{op}: unknown parameter `{key}` (parameters: {})", list(.known))]
    UnknownParam {
        /// Op name.
        op: String,
        /// The key given.
        key: String,
        /// The op's parameters.
        known: Vec<String>,
    },
    /// A parameter value of the wrong type or out of range.
    #[error("{op}: parameter `{key}`: expected {expected}: {reason}")]
    BadParam {
        /// Op name.
        op: String,
        /// Parameter name.
        key: String,
        /// What was expected (type).
        expected: String,
        /// What went wrong.
        reason: String,
    },
    /// Parameters that are fine one by one but not together (or for this input).
    #[error("{op}: {reason}")]
    Invalid {
        /// Op name.
        op: String,
        /// What is wrong.
        reason: String,
    },
    /// A required auxiliary input (mask, markers, image…) was not given, or one the op does not take.
    #[error("{op}: {reason}")]
    Input {
        /// Op name.
        op: String,
        /// What is wrong.
        reason: String,
    },
    /// An op name registered twice.
    #[error("op `{0}` registered twice")]
    Duplicate(String),
    /// The op itself failed (its crate's error).
    #[error("{0}")]
    Failed(#[source] BoxError),
}

fn hint(closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        format!(" (closest: {})", closest.join(", "))
    }
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

impl OpsError {
    /// An [`OpsError::Invalid`] for op `op`.
    pub fn invalid(op: &str, reason: impl Into<String>) -> Self {
        OpsError::Invalid {
            op: op.into(),
            reason: reason.into(),
        }
    }
}

impl From<medvox_core::CoreError> for OpsError {
    fn from(e: medvox_core::CoreError) -> Self {
        OpsError::Failed(Box::new(e))
    }
}

/// Results of this crate.
pub type Result<T, E = OpsError> = std::result::Result<T, E>;
