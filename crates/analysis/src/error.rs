//! The crate's error type.

use std::fmt;

/// What went wrong in spikemc-analysis.
///
/// Only configuration problems are errors; the statistics themselves never fail and
/// express "not defined" as `None` (per-trial values) or `NaN` (table columns).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AnalysisError {
    /// A setting is out of its allowed range.
    InvalidConfig {
        /// Name of the offending field, e.g. `"isi_bin_ms"`.
        field: &'static str,
        /// The value as given (with its unit where it has one).
        value: String,
        /// The allowed range, in words.
        allowed: String,
    },
}

impl AnalysisError {
    pub(crate) fn invalid(
        field: &'static str,
        value: impl Into<String>,
        allowed: impl Into<String>,
    ) -> Self {
        Self::InvalidConfig {
            field,
            value: value.into(),
            allowed: allowed.into(),
        }
    }
}

impl fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidConfig {
                field,
                value,
                allowed,
            } => write!(f, "analysis.{field} = {value} is invalid: {allowed}"),
        }
    }
}

impl std::error::Error for AnalysisError {}
