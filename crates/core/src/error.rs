//! Parameter errors with the parameter's name, unit, value and allowed range.

use thiserror::Error;

/// A parameter outside its allowed range.
///
/// The message names the parameter (as it is spelt in experiment files), its
/// unit, the offending value and the range it must lie in, so a user can fix
/// the file without reading code.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{name} = {value} {unit} is out of range: must be {allowed}")]
#[non_exhaustive]
pub struct ParamError {
    /// Parameter name, e.g. `neuron.c_m`.
    pub name: String,
    /// The value given.
    pub value: f64,
    /// Unit of the value, e.g. `µF/cm²` (empty for dimensionless).
    pub unit: &'static str,
    /// Human-readable allowed range, e.g. `> 0 and finite`.
    pub allowed: &'static str,
}

impl ParamError {
    /// A new error for parameter `name`.
    pub fn new(name: &str, value: f64, unit: &'static str, allowed: &'static str) -> Self {
        Self {
            name: name.to_string(),
            value,
            unit,
            allowed,
        }
    }
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive(name: &str, value: f64, unit: &'static str) -> Result<(), ParamError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ParamError::new(name, value, unit, "> 0 and finite"))
    }
}

/// Checks that `value` is finite and not negative.
pub(crate) fn non_negative(name: &str, value: f64, unit: &'static str) -> Result<(), ParamError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ParamError::new(name, value, unit, ">= 0 and finite"))
    }
}

/// Checks that `value` is finite.
pub(crate) fn finite(name: &str, value: f64, unit: &'static str) -> Result<(), ParamError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(ParamError::new(name, value, unit, "finite"))
    }
}

/// Checks that `value` lies in [0, 1].
pub(crate) fn probability(name: &str, value: f64) -> Result<(), ParamError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(ParamError::new(name, value, "", "in [0, 1]"))
    }
}
