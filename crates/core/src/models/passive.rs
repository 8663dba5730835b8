//! A passive membrane: C dV/dt = −g_L (V − E_L) + I_app (+ synapses).

use super::Model;
use crate::error::{ParamError, finite, positive};
use crate::hh::HhState;
use serde::{Deserialize, Serialize};

/// Parameters of the passive membrane. Defaults give τ_m = C/g_L = 20 ms
/// and rest at −65 mV.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PassiveParams {
    /// [µF/cm²] membrane capacitance (default 1.0).
    pub c_m: f64,
    /// [mS/cm²] leak conductance (default 0.05, τ_m = 20 ms).
    pub g_l: f64,
    /// \[mV\] leak reversal potential (default −65.0).
    pub e_l: f64,
    /// [µA/cm²] constant applied current (default 0).
    pub i_app: f64,
}

impl Default for PassiveParams {
    fn default() -> Self {
        Self {
            c_m: 1.0,
            g_l: 0.05,
            e_l: -65.0,
            i_app: 0.0,
        }
    }
}

impl PassiveParams {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), ParamError> {
        positive("neuron.c_m", self.c_m, "µF/cm²")?;
        positive("neuron.g_l", self.g_l, "mS/cm²")?;
        finite("neuron.e_l", self.e_l, "mV")?;
        finite("neuron.i_app", self.i_app, "µA/cm²")?;
        Ok(())
    }
}

impl Model for PassiveParams {
    fn c_m(&self) -> f64 {
        self.c_m
    }
    #[inline(always)]
    fn membrane(&self, _: &HhState) -> (f64, f64) {
        (self.g_l, self.g_l * self.e_l + self.i_app)
    }
    #[inline(always)]
    fn gate_derivative(&self, _: &HhState) -> HhState {
        HhState {
            v: 0.0,
            m: 0.0,
            h: 0.0,
            n: 0.0,
        }
    }
    #[inline(always)]
    fn gates_exact(&self, s: &HhState, _: f64) -> HhState {
        *s
    }
    fn currents(&self, s: &HhState) -> (f64, f64, f64) {
        (0.0, 0.0, self.g_l * (s.v - self.e_l))
    }
}
