//! Errors of reading an experiment and running it.

use spikemc_core::{ParamError, TrialError};
use thiserror::Error;

/// A bad experiment file or argument: the user must change something.
/// The CLI maps it to exit code 2.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The file is not valid TOML or does not fit the schema (the message
    /// carries the line and the key).
    #[error("{origin}: {message}")]
    Parse {
        /// File name or `--set`.
        origin: String,
        /// What the parser said.
        message: String,
    },
    /// A key has a bad value.
    #[error("{key}: {message}")]
    Invalid {
        /// The dotted key.
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A parameter out of range.
    #[error(transparent)]
    Param(#[from] ParamError),
}

impl SpecError {
    pub(crate) fn invalid(key: &str, message: impl Into<String>) -> Self {
        SpecError::Invalid {
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// A run that stopped.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RunError {
    /// A trial failed numerically; the run stops (nothing half-written).
    #[error("point {point}, trial {trial} (seed {seed})")]
    Trial {
        /// Sweep point.
        point: u32,
        /// Trial id.
        trial: u32,
        /// Master seed.
        seed: u64,
        /// What happened.
        source: TrialError,
    },
    /// The sink (store) failed to write.
    #[error("writing results: {0}")]
    Sink(Box<dyn std::error::Error + Send + Sync>),
    /// Thread pool could not be built.
    #[error("thread pool: {0}")]
    Threads(String),
}
