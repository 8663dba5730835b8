//! The Traub–Miles Hodgkin–Huxley neuron of the COBAHH benchmark.
//!
//! Traub R.D., Miles R. (1991) *Neuronal Networks of the Hippocampus*,
//! Cambridge University Press; in the form of Brette et al. (2007)
//! J Comput Neurosci 23:349–398, doi:10.1007/s10827-007-0038-6 (benchmark 3,
//! COBAHH), as in NEST's `hh_cond_exp_traub` and Brian2's COBAHH example.
//! Those give the parameters for a 20 000 µm² membrane (C = 200 pF,
//! g_Na = 20 µS, g_K = 6 µS, g_L = 10 nS); divided by the area they are the
//! per-area values here (1 µF/cm², 100, 30, 0.05 mS/cm²). A synaptic
//! weight of w nS on that membrane is w/200 mS/cm² (COBAHH: 6 nS →
//! 0.03 mS/cm², 67 nS → 0.335 mS/cm²).
//!
//! C dV/dt = −g_Na m³h (V − E_Na) − g_K n⁴ (V − E_K) − g_L (V − E_L) + I_app,
//! with u = V − V_T:
//! α_m = 0.32 (13 − u)/(e^((13−u)/4) − 1), β_m = 0.28 (u − 40)/(e^((u−40)/5) − 1),
//! α_h = 0.128 e^((17−u)/18), β_h = 4/(1 + e^((40−u)/5)),
//! α_n = 0.032 (15 − u)/(e^((15−u)/5) − 1), β_n = 0.5 e^((10−u)/40), all in 1/ms,
//! the 0/0 points evaluated with [`exprel`].

use super::{Model, gate_exact};
use crate::error::{ParamError, finite, non_negative, positive};
use crate::hh::{HhState, exprel};
use serde::{Deserialize, Serialize};

/// Parameters of the Traub–Miles neuron; defaults are COBAHH's per area.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TraubParams {
    /// [µF/cm²] membrane capacitance (default 1.0; 200 pF on 20 000 µm²).
    pub c_m: f64,
    /// [mS/cm²] maximal sodium conductance (default 100; 20 µS).
    pub g_na: f64,
    /// [mS/cm²] maximal delayed-rectifier K conductance (default 30; 6 µS).
    pub g_k: f64,
    /// [mS/cm²] leak conductance (default 0.05; 10 nS).
    pub g_l: f64,
    /// \[mV\] sodium reversal potential (default 50).
    pub e_na: f64,
    /// \[mV\] potassium reversal potential (default −90).
    pub e_k: f64,
    /// \[mV\] leak reversal potential (default −60).
    pub e_l: f64,
    /// \[mV\] V_T, which shifts every rate function (default −63).
    pub v_t: f64,
    /// [µA/cm²] constant applied current (default 0).
    pub i_app: f64,
}

impl Default for TraubParams {
    fn default() -> Self {
        Self {
            c_m: 1.0,
            g_na: 100.0,
            g_k: 30.0,
            g_l: 0.05,
            e_na: 50.0,
            e_k: -90.0,
            e_l: -60.0,
            v_t: -63.0,
            i_app: 0.0,
        }
    }
}

impl TraubParams {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), ParamError> {
        positive("neuron.c_m", self.c_m, "µF/cm²")?;
        non_negative("neuron.g_na", self.g_na, "mS/cm²")?;
        non_negative("neuron.g_k", self.g_k, "mS/cm²")?;
        positive("neuron.g_l", self.g_l, "mS/cm²")?;
        finite("neuron.e_na", self.e_na, "mV")?;
        finite("neuron.e_k", self.e_k, "mV")?;
        finite("neuron.e_l", self.e_l, "mV")?;
        finite("neuron.v_t", self.v_t, "mV")?;
        finite("neuron.i_app", self.i_app, "µA/cm²")?;
        Ok(())
    }

    /// V with every gate at its steady state.
    pub fn at_rest(&self, v: f64) -> HhState {
        let r = TraubRates::at(v, self.v_t);
        HhState {
            v,
            m: r.alpha_m / (r.alpha_m + r.beta_m),
            h: r.alpha_h / (r.alpha_h + r.beta_h),
            n: r.alpha_n / (r.alpha_n + r.beta_n),
        }
    }
}

/// The six Traub–Miles rates at one voltage, in 1/ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraubRates {
    /// α_m.
    pub alpha_m: f64,
    /// β_m.
    pub beta_m: f64,
    /// α_h.
    pub alpha_h: f64,
    /// β_h.
    pub beta_h: f64,
    /// α_n.
    pub alpha_n: f64,
    /// β_n.
    pub beta_n: f64,
}

impl TraubRates {
    /// The rates at `v` \[mV\] for threshold shift `v_t` \[mV\].
    #[inline]
    pub fn at(v: f64, v_t: f64) -> Self {
        let u = v - v_t;
        Self {
            alpha_m: 0.32 * 4.0 / exprel((13.0 - u) / 4.0),
            beta_m: 0.28 * 5.0 / exprel((u - 40.0) / 5.0),
            alpha_h: 0.128 * ((17.0 - u) / 18.0).exp(),
            beta_h: 4.0 / (1.0 + ((40.0 - u) / 5.0).exp()),
            alpha_n: 0.032 * 5.0 / exprel((15.0 - u) / 5.0),
            beta_n: 0.5 * ((10.0 - u) / 40.0).exp(),
        }
    }
}

impl Model for TraubParams {
    fn c_m(&self) -> f64 {
        self.c_m
    }
    #[inline(always)]
    fn membrane(&self, s: &HhState) -> (f64, f64) {
        let g_na = self.g_na * s.m * s.m * s.m * s.h;
        let g_k = self.g_k * (s.n * s.n) * (s.n * s.n);
        (
            g_na + g_k + self.g_l,
            g_na * self.e_na + g_k * self.e_k + self.g_l * self.e_l + self.i_app,
        )
    }
    #[inline(always)]
    fn gate_derivative(&self, s: &HhState) -> HhState {
        let r = TraubRates::at(s.v, self.v_t);
        HhState {
            v: 0.0,
            m: r.alpha_m * (1.0 - s.m) - r.beta_m * s.m,
            h: r.alpha_h * (1.0 - s.h) - r.beta_h * s.h,
            n: r.alpha_n * (1.0 - s.n) - r.beta_n * s.n,
        }
    }
    #[inline(always)]
    fn gates_exact(&self, s: &HhState, dt: f64) -> HhState {
        let r = TraubRates::at(s.v, self.v_t);
        HhState {
            v: s.v,
            m: gate_exact(s.m, r.alpha_m, r.beta_m, dt),
            h: gate_exact(s.h, r.alpha_h, r.beta_h, dt),
            n: gate_exact(s.n, r.alpha_n, r.beta_n, dt),
        }
    }
    fn currents(&self, s: &HhState) -> (f64, f64, f64) {
        let i_na = self.g_na * s.m * s.m * s.m * s.h * (s.v - self.e_na);
        let i_k = self.g_k * (s.n * s.n) * (s.n * s.n) * (s.v - self.e_k);
        (i_na, i_k, self.g_l * (s.v - self.e_l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Away from the 0/0 points the exprel form equals the textbook form.
    #[test]
    fn rates_match_textbook_form() {
        for i in 0..400 {
            let v = -100.0 + 0.3137 * i as f64;
            let u = v + 63.0;
            let r = TraubRates::at(v, -63.0);
            let am = 0.32 * (13.0 - u) / (((13.0 - u) / 4.0).exp() - 1.0);
            let bm = 0.28 * (u - 40.0) / (((u - 40.0) / 5.0).exp() - 1.0);
            let an = 0.032 * (15.0 - u) / (((15.0 - u) / 5.0).exp() - 1.0);
            for (a, b) in [(r.alpha_m, am), (r.beta_m, bm), (r.alpha_n, an)] {
                assert!((a / b - 1.0).abs() < 1e-9, "at {v}: {a} vs {b}");
            }
        }
        // The singular points: limits 0.32·4, 0.28·5, 0.032·5.
        // (exprel is exactly 1 there; 0.28·5 rounds to 1.4 + 1 ulp.)
        let r = |v: f64| TraubRates::at(v - 63.0, -63.0);
        assert!((r(13.0).alpha_m - 1.28).abs() < 1e-15);
        assert!((r(40.0).beta_m - 1.4).abs() < 1e-15);
        assert!((r(15.0).alpha_n - 0.16).abs() < 1e-15);
    }

    #[test]
    fn steady_state_gates_are_fixed_points() {
        let p = TraubParams::default();
        for v in [-80.0, -60.0, -50.0, 0.0] {
            let d = p.gate_derivative(&p.at_rest(v));
            assert!(d.m.abs() < 1e-14 && d.h.abs() < 1e-14 && d.n.abs() < 1e-14);
        }
    }
}
