//! Store errors.

use thiserror::Error;

/// A failure to read or write a run directory.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// File-system error, with the path involved.
    // The OS error is part of the message, not a `source`: anyhow's `{:#}`
    // would print it twice otherwise.
    #[error("{path}: {error}")]
    Io {
        /// Path being accessed.
        path: String,
        /// The OS error.
        error: std::io::Error,
    },
    /// Parquet or Arrow error, with the path involved.
    #[error("{path}: {message}")]
    Format {
        /// Path being accessed.
        path: String,
        /// What the library said.
        message: String,
    },
    /// The output directory exists and was not meant to be reused.
    #[error(
        "output directory {0} already exists: choose another -o, delete it, or pass --overwrite to replace a previous spikemc run"
    )]
    Exists(String),
    /// The directory holds a run of a different experiment.
    #[error(
        "{dir} belongs to a different experiment ({detail}); use another -o, or the same experiment file and --set arguments"
    )]
    Mismatch {
        /// The run directory.
        dir: String,
        /// The first difference found.
        detail: String,
    },
    /// The directory is not a spikemc run.
    #[error("{0} is not a spikemc run directory (no _run.json)")]
    NotARun(String),
}

impl StoreError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.display().to_string(),
            error: source,
        }
    }

    pub(crate) fn format(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        StoreError::Format {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }

    /// True when the user must change their command (exit code 2).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            StoreError::Exists(_) | StoreError::NotARun(_) | StoreError::Mismatch { .. }
        )
    }
}
