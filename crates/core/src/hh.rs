//! The Hodgkin–Huxley (1952) squid-axon neuron in the question's convention.
//!
//! Per-area units: V in mV, t in ms, currents in µA/cm², conductances in
//! mS/cm², capacitance in µF/cm². Rate functions α, β in 1/ms with the
//! "V_rest ≈ −65 mV" shift used by the question (and by most textbooks since
//! Dayan & Abbott). Reference: Hodgkin A.L., Huxley A.F. (1952) J Physiol
//! 117:500–544, doi:10.1113/jphysiol.1952.sp004764.

use crate::error::{ParamError, finite, non_negative, positive};
use serde::{Deserialize, Serialize};

/// Parameters of the HH neuron. Defaults are the question's (= HH 1952 with
/// E_L = −54.387 mV, which makes −65 mV the resting potential at I_app = 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HhParams {
    /// [µF/cm²] membrane capacitance (default 1.0).
    pub c_m: f64,
    /// [mS/cm²] maximal sodium conductance (default 120.0).
    pub g_na: f64,
    /// [mS/cm²] maximal potassium conductance (default 36.0).
    pub g_k: f64,
    /// [mS/cm²] leak conductance (default 0.3).
    pub g_l: f64,
    /// \[mV\] sodium reversal potential (default 50.0).
    pub e_na: f64,
    /// \[mV\] potassium reversal potential (default −77.0).
    pub e_k: f64,
    /// \[mV\] leak reversal potential (default −54.387).
    pub e_l: f64,
    /// [µA/cm²] constant applied current (default 3.0, as in the question).
    pub i_app: f64,
}

impl Default for HhParams {
    fn default() -> Self {
        Self {
            c_m: 1.0,
            g_na: 120.0,
            g_k: 36.0,
            g_l: 0.3,
            e_na: 50.0,
            e_k: -77.0,
            e_l: -54.387,
            i_app: 3.0,
        }
    }
}

impl HhParams {
    /// Checks every parameter; the error names it with its unit and range.
    pub fn validate(&self) -> Result<(), ParamError> {
        positive("neuron.c_m", self.c_m, "µF/cm²")?;
        non_negative("neuron.g_na", self.g_na, "mS/cm²")?;
        non_negative("neuron.g_k", self.g_k, "mS/cm²")?;
        positive("neuron.g_l", self.g_l, "mS/cm²")?;
        finite("neuron.e_na", self.e_na, "mV")?;
        finite("neuron.e_k", self.e_k, "mV")?;
        finite("neuron.e_l", self.e_l, "mV")?;
        finite("neuron.i_app", self.i_app, "µA/cm²")?;
        Ok(())
    }

    /// Ionic currents (I_Na, I_K, I_L) in µA/cm², outward positive.
    #[inline]
    pub fn currents(&self, s: &HhState) -> (f64, f64, f64) {
        let i_na = self.g_na * s.m * s.m * s.m * s.h * (s.v - self.e_na);
        let i_k = self.g_k * (s.n * s.n) * (s.n * s.n) * (s.v - self.e_k);
        let i_l = self.g_l * (s.v - self.e_l);
        (i_na, i_k, i_l)
    }

    /// dV/dt [mV/ms] alone: the first component of [`Self::derivative`],
    /// bit for bit, without the gate rates (no exponentials).
    #[inline]
    pub fn dv_dt(&self, s: &HhState) -> f64 {
        let (i_na, i_k, i_l) = self.currents(s);
        (self.i_app - i_na - i_k - i_l) / self.c_m
    }

    /// The right-hand side dX/dt of the four HH equations, in mV/ms and 1/ms.
    #[inline]
    pub fn derivative(&self, s: &HhState) -> HhState {
        let r = Rates::at(s.v);
        HhState {
            v: self.dv_dt(s),
            m: r.alpha_m * (1.0 - s.m) - r.beta_m * s.m,
            h: r.alpha_h * (1.0 - s.h) - r.beta_h * s.h,
            n: r.alpha_n * (1.0 - s.n) - r.beta_n * s.n,
        }
    }
}

/// State of the HH neuron: V \[mV\] and the gates m, h, n (dimensionless, in [0, 1]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HhState {
    /// \[mV\] membrane potential.
    pub v: f64,
    /// Sodium activation.
    pub m: f64,
    /// Sodium inactivation.
    pub h: f64,
    /// Potassium activation.
    pub n: f64,
}

impl HhState {
    /// V with every gate at its steady state x∞(V) = α/(α+β).
    pub fn at_rest(v: f64) -> Self {
        let r = Rates::at(v);
        Self {
            v,
            m: r.alpha_m / (r.alpha_m + r.beta_m),
            h: r.alpha_h / (r.alpha_h + r.beta_h),
            n: r.alpha_n / (r.alpha_n + r.beta_n),
        }
    }

    /// Componentwise `self + k·d` (used by the explicit integrators).
    #[inline]
    pub(crate) fn add_scaled(&self, d: &HhState, k: f64) -> HhState {
        HhState {
            v: self.v + k * d.v,
            m: self.m + k * d.m,
            h: self.h + k * d.h,
            n: self.n + k * d.n,
        }
    }
}

/// `exprel(z) = (e^z − 1)/z`, with `exprel(0) = 1`.
///
/// `exp_m1` is accurate to an ulp near 0, so this is exact at and around the
/// removable singularities of α_m (−40 mV) and α_n (−55 mV), where the
/// textbook formula is 0/0.
#[inline]
pub fn exprel(z: f64) -> f64 {
    if z == 0.0 { 1.0 } else { z.exp_m1() / z }
}

/// The six HH rate functions at one voltage, in 1/ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// α_m = 0.1 (V+40) / (1 − e^(−(V+40)/10)).
    pub alpha_m: f64,
    /// β_m = 4 e^(−(V+65)/18).
    pub beta_m: f64,
    /// α_h = 0.07 e^(−(V+65)/20).
    pub alpha_h: f64,
    /// β_h = 1 / (1 + e^(−(V+35)/10)).
    pub beta_h: f64,
    /// α_n = 0.01 (V+55) / (1 − e^(−(V+55)/10)).
    pub alpha_n: f64,
    /// β_n = 0.125 e^(−(V+65)/80).
    pub beta_n: f64,
}

impl Rates {
    /// Evaluates all six rates at `v` \[mV\].
    ///
    /// 0.1 (V+40)/(1 − e^(−x)) with x = (V+40)/10 equals 1/exprel(−x), which
    /// is finite and smooth through x = 0; likewise α_n = 0.1/exprel(−x) with
    /// x = (V+55)/10.
    #[inline]
    pub fn at(v: f64) -> Self {
        Self {
            alpha_m: 1.0 / exprel(-(v + 40.0) / 10.0),
            beta_m: 4.0 * (-(v + 65.0) / 18.0).exp(),
            alpha_h: 0.07 * (-(v + 65.0) / 20.0).exp(),
            beta_h: 1.0 / (1.0 + (-(v + 35.0) / 10.0).exp()),
            alpha_n: 0.1 / exprel(-(v + 55.0) / 10.0),
            beta_n: 0.125 * (-(v + 65.0) / 80.0).exp(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The question's textbook form, for comparison away from the singularities.
    fn alpha_m_naive(v: f64) -> f64 {
        0.1 * (v + 40.0) / (1.0 - (-(v + 40.0) / 10.0).exp())
    }
    fn alpha_n_naive(v: f64) -> f64 {
        0.01 * (v + 55.0) / (1.0 - (-(v + 55.0) / 10.0).exp())
    }

    #[test]
    fn rates_match_textbook_form_away_from_singularities() {
        for i in 0..2000 {
            let v = -100.0 + 0.0731 * i as f64;
            if (v + 40.0).abs() < 1e-3 || (v + 55.0).abs() < 1e-3 {
                continue;
            }
            let r = Rates::at(v);
            // Relative 1e-9: the naive form loses digits to cancellation only
            // within ~1e-3 mV of the singular points, which are skipped.
            assert!(
                (r.alpha_m / alpha_m_naive(v) - 1.0).abs() < 1e-9,
                "alpha_m at {v}"
            );
            assert!(
                (r.alpha_n / alpha_n_naive(v) - 1.0).abs() < 1e-9,
                "alpha_n at {v}"
            );
        }
    }

    #[test]
    fn alphas_are_finite_and_continuous_through_singular_points() {
        // Limits: α_m(−40) = 0.1·10 = 1, α_n(−55) = 0.01·10 = 0.1.
        assert_eq!(Rates::at(-40.0).alpha_m, 1.0);
        assert_eq!(Rates::at(-55.0).alpha_n, 0.1);
        for (centre, f) in [
            (-40.0, (|v| Rates::at(v).alpha_m) as fn(f64) -> f64),
            (-55.0, |v| Rates::at(v).alpha_n),
        ] {
            let mid = f(centre);
            for k in 1..=15 {
                let h = 10f64.powi(-k);
                let (lo, hi) = (f(centre - h), f(centre + h));
                assert!(lo.is_finite() && hi.is_finite());
                // The derivative of α near the singularity is ~0.05 /mV·scale,
                // so a step h can change α by at most ~h (generous: slope < 1).
                assert!(
                    (hi - mid).abs() <= h + 1e-15,
                    "jump above {centre} at h={h}"
                );
                assert!(
                    (mid - lo).abs() <= h + 1e-15,
                    "jump below {centre} at h={h}"
                );
                assert!(
                    lo < mid && mid < hi || h < 1e-14,
                    "alpha must increase with V"
                );
            }
        }
    }

    #[test]
    fn steady_state_gates_are_fixed_points() {
        // x∞ = α/(α+β) makes every gate derivative vanish at any V.
        for v in [-80.0, -65.0, -55.0, -40.0, 0.0, 30.0] {
            let d = HhParams::default().derivative(&HhState::at_rest(v));
            assert!(
                d.m.abs() < 1e-14 && d.h.abs() < 1e-14 && d.n.abs() < 1e-14,
                "at {v}"
            );
        }
    }

    #[test]
    fn validation_names_parameter_unit_and_range() {
        let p = HhParams {
            c_m: -1.0,
            ..HhParams::default()
        };
        let msg = p.validate().unwrap_err().to_string();
        assert!(
            msg.contains("neuron.c_m") && msg.contains("µF/cm²") && msg.contains("> 0"),
            "{msg}"
        );
        let p = HhParams {
            e_na: f64::NAN,
            ..HhParams::default()
        };
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("neuron.e_na")
        );
        assert!(HhParams::default().validate().is_ok());
    }
}
