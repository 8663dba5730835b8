//! Superposed, thinned Poisson input populations.
//!
//! N independent Poisson(r) spike trains, each spike transmitted with
//! probability p, superpose to one Poisson process of rate N·r·p: thinning
//! a Poisson process keeps it Poisson, and a sum of independent Poisson
//! processes is Poisson with the summed rate. So the number of transmitted
//! events of a population in a step of dt ms is exactly Poisson(N·r·p·dt),
//! drawn in O(1) by [`PoissonSampler`] whatever N is.

use crate::error::{ParamError, finite, non_negative, probability};
use crate::poisson::PoissonSampler;
use serde::{Deserialize, Serialize};

/// One input population, as written in an experiment file's `[inputs.NAME]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoissonInput {
    /// Number of input neurons N (≥ 0).
    pub count: u32,
    /// \[Hz\] firing rate r of each input neuron.
    pub rate_hz: f64,
    /// Probability p that a spike is transmitted (the question's h = 1), in [0, 1].
    #[serde(default = "one")]
    pub p_transmit: f64,
    /// \[mV\] voltage jump per transmitted spike (delta synapse); negative for
    /// inhibition. The question *meant* +1 mV / −4 mV; its Euler code
    /// applied dt·G = 0.01 mV / −0.04 mV.
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

impl PoissonInput {
    /// Checks the population named `name`; errors name `inputs.NAME.key`.
    pub fn validate(&self, name: &str) -> Result<(), ParamError> {
        non_negative(&format!("inputs.{name}.rate_hz"), self.rate_hz, "Hz")?;
        probability(&format!("inputs.{name}.p_transmit"), self.p_transmit)?;
        finite(&format!("inputs.{name}.weight"), self.weight, "mV")?;
        Ok(())
    }

    /// \[Hz\] rate of the superposed transmitted process, N·r·p.
    pub fn total_rate_hz(&self) -> f64 {
        self.count as f64 * self.rate_hz * self.p_transmit
    }

    /// Expected transmitted events per step of `dt_ms`: N·r·p·dt (rates are
    /// converted from Hz to 1/ms here, the one place it happens).
    pub fn mean_per_step(&self, dt_ms: f64) -> f64 {
        self.total_rate_hz() * dt_ms / 1000.0
    }
}

/// A population ready for the trial loop: its sampler and jump.
#[derive(Debug, Clone)]
pub struct PreparedInput {
    pub(crate) sampler: PoissonSampler,
    pub(crate) weight_mv: f64,
}

impl PreparedInput {
    /// Tabulates the per-step count distribution of `input` at step `dt_ms`;
    /// `name` is the population's name, for error messages.
    pub fn new(name: &str, input: &PoissonInput, dt_ms: f64) -> Result<Self, ParamError> {
        let mean = input.mean_per_step(dt_ms);
        if !(mean <= PoissonSampler::MAX_MEAN) {
            return Err(ParamError::new(
                &format!("inputs.{name}: count × rate_hz × p_transmit × dt_ms / 1000"),
                mean,
                "events per step",
                "<= 1e6 (reduce the count, the rate or dt_ms)",
            ));
        }
        Ok(Self {
            sampler: PoissonSampler::new(mean),
            weight_mv: input.weight,
        })
    }

    /// Expected events per step.
    pub fn mean_per_step(&self) -> f64 {
        self.sampler.mean()
    }
}
