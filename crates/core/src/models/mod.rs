//! Neuron models beyond the default HH 1952 neuron, and the interface the
//! generic (scalar, one trial at a time) trial loop uses for every model.
//!
//! Every model is written in the same per-area units as [`HhParams`]:
//! V in mV, t in ms, currents in µA/cm², conductances in mS/cm²,
//! capacitance in µF/cm². Its membrane equation is brought into the linear
//! form C dV/dt = A − G·V (G = total conductance, A = Σ gᵢEᵢ + I_app, both
//! depending on the gates), which is all that Euler, RK4 and Rush–Larsen
//! need, and synapses add their own (G, A).
//! The state of every model is an [`HhState`]: models without gates leave
//! m, h, n untouched.

mod lif;
mod passive;
mod traub;

pub use lif::LifParams;
pub use passive::PassiveParams;
pub use traub::{TraubParams, TraubRates};

use crate::error::ParamError;
use crate::hh::{HhParams, HhState, Rates};
use serde::{Deserialize, Serialize};

/// A neuron model with its parameters, `[neuron] model = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", deny_unknown_fields)]
pub enum Neuron {
    /// Hodgkin–Huxley 1952 (`model = "hh"`, the default).
    #[serde(rename = "hh")]
    Hh(HhParams),
    /// Traub–Miles HH as in Brette et al. 2007's COBAHH benchmark
    /// (`model = "traub-miles"`).
    #[serde(rename = "traub-miles")]
    TraubMiles(TraubParams),
    /// Leaky integrate-and-fire (`model = "lif"`).
    #[serde(rename = "lif")]
    Lif(LifParams),
    /// A passive membrane: leak and capacitance only (`model = "passive"`).
    #[serde(rename = "passive")]
    Passive(PassiveParams),
}

impl Default for Neuron {
    fn default() -> Self {
        Neuron::Hh(HhParams::default())
    }
}

impl Neuron {
    /// The name used in experiment files.
    pub fn name(&self) -> &'static str {
        match self {
            Neuron::Hh(_) => "hh",
            Neuron::TraubMiles(_) => "traub-miles",
            Neuron::Lif(_) => "lif",
            Neuron::Passive(_) => "passive",
        }
    }

    /// Checks every parameter; errors name `neuron.KEY` with unit and range.
    pub fn validate(&self) -> Result<(), ParamError> {
        match self {
            Neuron::Hh(p) => p.validate(),
            Neuron::TraubMiles(p) => p.validate(),
            Neuron::Lif(p) => p.validate(),
            Neuron::Passive(p) => p.validate(),
        }
    }

    /// The state at potential `v` \[mV\] with every gate at its steady state
    /// (models without gates: m = h = n = 0, unused).
    pub fn at_rest(&self, v: f64) -> HhState {
        match self {
            Neuron::Hh(_) => HhState::at_rest(v),
            Neuron::TraubMiles(p) => p.at_rest(v),
            Neuron::Lif(_) | Neuron::Passive(_) => HhState {
                v,
                m: 0.0,
                h: 0.0,
                n: 0.0,
            },
        }
    }

    /// Whether the model has the gates m, h, n (and `initial.m/h/n` apply).
    pub fn has_gates(&self) -> bool {
        matches!(self, Neuron::Hh(_) | Neuron::TraubMiles(_))
    }
}

/// What the generic trial loop needs of a model.
pub(crate) trait Model {
    /// [µF/cm²] membrane capacitance.
    fn c_m(&self) -> f64;
    /// Ionic membrane (G [mS/cm²], A [µA/cm²]): C dV/dt = A − G·V.
    fn membrane(&self, s: &HhState) -> (f64, f64);
    /// Gate derivatives [1/ms] at `s` (the v component is unused).
    fn gate_derivative(&self, s: &HhState) -> HhState;
    /// Gates advanced by `dt` exactly with V frozen at `s.v` (Rush–Larsen).
    fn gates_exact(&self, s: &HhState, dt: f64) -> HhState;
    /// Ionic currents (I_Na, I_K, I_L) [µA/cm²] for traces, outward positive.
    fn currents(&self, s: &HhState) -> (f64, f64, f64);
    /// Threshold model: (θ \[mV\], V_reset \[mV\], t_ref \[ms\]); spikes are then
    /// threshold events of the model, not detector crossings.
    fn threshold(&self) -> Option<(f64, f64, f64)> {
        None
    }
}

/// x∞ + (x − x∞)·e^(−dt(α+β)): a gate's exact update with V frozen.
#[inline(always)]
pub(crate) fn gate_exact(x: f64, a: f64, b: f64, dt: f64) -> f64 {
    let k = a + b;
    let inf = a / k;
    inf + (x - inf) * (-dt * k).exp()
}

impl Model for HhParams {
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
        let r = Rates::at(s.v);
        HhState {
            v: 0.0,
            m: r.alpha_m * (1.0 - s.m) - r.beta_m * s.m,
            h: r.alpha_h * (1.0 - s.h) - r.beta_h * s.h,
            n: r.alpha_n * (1.0 - s.n) - r.beta_n * s.n,
        }
    }
    #[inline(always)]
    fn gates_exact(&self, s: &HhState, dt: f64) -> HhState {
        let r = Rates::at(s.v);
        HhState {
            v: s.v,
            m: gate_exact(s.m, r.alpha_m, r.beta_m, dt),
            h: gate_exact(s.h, r.alpha_h, r.beta_h, dt),
            n: gate_exact(s.n, r.alpha_n, r.beta_n, dt),
        }
    }
    fn currents(&self, s: &HhState) -> (f64, f64, f64) {
        HhParams::currents(self, s)
    }
}
