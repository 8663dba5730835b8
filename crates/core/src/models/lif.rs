//! The leaky integrate-and-fire neuron (Lapicque 1907; as NEST's
//! `iaf_psc_*` / `iaf_cond_*` family and Brunel 2000,
//! doi:10.1023/A:1008925309027).
//!
//! C dV/dt = −(C/τ_m)(V − E_L) + I_app (+ synapses). When V ≥ θ at the end
//! of a step (after the step's input), the neuron spikes at that step's end
//! time, V is set to V_reset and held there for t_ref (rounded to whole
//! steps); input arriving while V is held is lost, as in NEST. Spikes are
//! threshold events of the model: `[detect]` does not apply.

use super::Model;
use crate::error::{ParamError, finite, non_negative, positive};
use crate::hh::HhState;
use serde::{Deserialize, Serialize};

/// Parameters of the LIF neuron. Defaults are Brunel (2000)'s: τ_m = 20 ms,
/// θ − E_L = 20 mV, V_reset − E_L = 10 mV, t_ref = 2 ms, on E_L = −70 mV.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LifParams {
    /// \[ms\] membrane time constant τ_m = C/g_L (default 20).
    pub tau_m_ms: f64,
    /// [µF/cm²] membrane capacitance (default 1.0; g_L = c_m/τ_m).
    pub c_m: f64,
    /// \[mV\] leak reversal (resting) potential E_L (default −70).
    pub e_l_mv: f64,
    /// \[mV\] spike threshold θ (default −50).
    pub v_threshold_mv: f64,
    /// \[mV\] reset potential (default −60); must be below the threshold.
    pub v_reset_mv: f64,
    /// \[ms\] absolute refractory period (default 2).
    pub t_ref_ms: f64,
    /// [µA/cm²] constant applied current (default 0).
    pub i_app: f64,
}

impl Default for LifParams {
    fn default() -> Self {
        Self {
            tau_m_ms: 20.0,
            c_m: 1.0,
            e_l_mv: -70.0,
            v_threshold_mv: -50.0,
            v_reset_mv: -60.0,
            t_ref_ms: 2.0,
            i_app: 0.0,
        }
    }
}

impl LifParams {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), ParamError> {
        positive("neuron.tau_m_ms", self.tau_m_ms, "ms")?;
        positive("neuron.c_m", self.c_m, "µF/cm²")?;
        finite("neuron.e_l_mv", self.e_l_mv, "mV")?;
        finite("neuron.v_threshold_mv", self.v_threshold_mv, "mV")?;
        finite("neuron.v_reset_mv", self.v_reset_mv, "mV")?;
        if self.v_reset_mv >= self.v_threshold_mv {
            return Err(ParamError::new(
                "neuron.v_reset_mv",
                self.v_reset_mv,
                "mV",
                "< neuron.v_threshold_mv",
            ));
        }
        non_negative("neuron.t_ref_ms", self.t_ref_ms, "ms")?;
        finite("neuron.i_app", self.i_app, "µA/cm²")?;
        Ok(())
    }

    /// [mS/cm²] leak conductance g_L = C/τ_m.
    pub fn g_l(&self) -> f64 {
        self.c_m / self.tau_m_ms
    }
}

impl Model for LifParams {
    fn c_m(&self) -> f64 {
        self.c_m
    }
    #[inline(always)]
    fn membrane(&self, _: &HhState) -> (f64, f64) {
        let g = self.g_l();
        (g, g * self.e_l_mv + self.i_app)
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
        (0.0, 0.0, self.g_l() * (s.v - self.e_l_mv))
    }
    fn threshold(&self) -> Option<(f64, f64, f64)> {
        Some((self.v_threshold_mv, self.v_reset_mv, self.t_ref_ms))
    }
}
