//! Errors with their exit code: 2 for bad input the user must fix, 1 for
//! everything else (I/O, internal).

use spikemc_ensemble::{RunError, SpecError};
use spikemc_store::StoreError;

/// An error and the exit code it maps to.
pub struct Failure {
    pub code: i32,
    pub error: anyhow::Error,
}

impl Failure {
    /// Bad input (exit 2).
    pub fn input(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: 2,
            error: error.into(),
        }
    }

    /// Any other failure (exit 1).
    pub fn other(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: 1,
            error: error.into(),
        }
    }
}

impl From<SpecError> for Failure {
    fn from(e: SpecError) -> Self {
        Failure::input(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        if e.is_user_error() {
            Failure::input(e)
        } else {
            Failure::other(e)
        }
    }
}

impl From<RunError> for Failure {
    fn from(e: RunError) -> Self {
        // A trial that blows up numerically needs a smaller dt or another
        // method: the experiment must change, so it is bad input.
        match e {
            RunError::Trial { .. } => Failure::input(e),
            _ => Failure::other(e),
        }
    }
}
