//! Synapses: how a transmitted input event acts on the neuron.
//!
//! Every input population drives its own synaptic channel; `[synapse] kind`
//! is shared by all of them.
//!
//! | kind                | event of weight w                     | enters the membrane as            |
//! |---------------------|---------------------------------------|-----------------------------------|
//! | `delta` (default)   | V jumps by w \[mV\]                     | —                                 |
//! | `exp-current`       | I jumps by w [µA/cm²], decays with τ  | C dV/dt += I                      |
//! | `alpha-current`     | I(t) = w·(t/τ)·e^(1−t/τ), peak w at τ | C dV/dt += I                      |
//! | `exp-conductance`   | g jumps by |w| [mS/cm²], decays with τ| C dV/dt += g·(E − V)              |
//! | `alpha-conductance` | g(t) = |w|·(t/τ)·e^(1−t/τ), peak |w|  | C dV/dt += g·(E − V)              |
//!
//! The sign of a population's `weight` picks its class: w ≥ 0 is excitatory
//! (τ = `tau_exc_ms`, E = `e_exc_mv`), w < 0 inhibitory (τ = `tau_inh_ms`,
//! E = `e_inh_mv`). A current keeps its sign; a conductance jumps by |w|.
//!
//! Between events the synaptic variables are advanced exactly: an
//! exponential synapse by g ← g·e^(−dt/τ); an alpha synapse as the linear
//! pair dy/dt = −y/τ, dg/dt = y − g/τ, whose propagator over dt is
//! y ← y·E, g ← (g + y·dt)·E with E = e^(−dt/τ); an event adds w·e/τ to y,
//! so a lone event gives g(t) = w·(t/τ)·e^(1−t/τ) (NEST's normalisation:
//! peak w at t = τ, integral w·e·τ). Inside a step an integrator sees the
//! exact g(t0 + θ·dt) of the step's start values (θ = 0, ½, 1).
//! Defaults are those of the COBAHH benchmark (Brette et al. 2007,
//! doi:10.1007/s10827-007-0038-6): τ_exc = 5 ms, τ_inh = 10 ms,
//! E_exc = 0 mV, E_inh = −80 mV.

use crate::error::{ParamError, finite, positive};
use serde::{Deserialize, Serialize};

/// Synapse kind, `[synapse] kind = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SynapseKind {
    /// Instantaneous voltage jump (mV per transmitted spike).
    Delta,
    /// Exponentially decaying current (µA/cm² jump per spike).
    ExpCurrent,
    /// Exponentially decaying conductance (mS/cm² jump per spike) with a
    /// reversal potential.
    ExpConductance,
    /// Alpha-function current (µA/cm² peak per spike).
    AlphaCurrent,
    /// Alpha-function conductance (mS/cm² peak per spike).
    AlphaConductance,
}

impl SynapseKind {
    /// All kinds, for help texts and tests.
    pub const ALL: [SynapseKind; 5] = [
        SynapseKind::Delta,
        SynapseKind::ExpCurrent,
        SynapseKind::ExpConductance,
        SynapseKind::AlphaCurrent,
        SynapseKind::AlphaConductance,
    ];

    /// The name used in experiment files.
    pub fn name(self) -> &'static str {
        match self {
            SynapseKind::Delta => "delta",
            SynapseKind::ExpCurrent => "exp-current",
            SynapseKind::ExpConductance => "exp-conductance",
            SynapseKind::AlphaCurrent => "alpha-current",
            SynapseKind::AlphaConductance => "alpha-conductance",
        }
    }

    /// Unit of a population's `weight` under this kind.
    pub fn weight_unit(self) -> &'static str {
        match self {
            SynapseKind::Delta => "mV",
            SynapseKind::ExpCurrent | SynapseKind::AlphaCurrent => "µA/cm²",
            SynapseKind::ExpConductance | SynapseKind::AlphaConductance => "mS/cm²",
        }
    }
}

/// `[synapse]`: the kind and its time constants and reversal potentials.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SynapseParams {
    /// Synapse kind (default `delta`).
    pub kind: SynapseKind,
    /// \[ms\] decay time constant (exp) or time to peak (alpha) of excitatory
    /// populations (weight ≥ 0); default 5 (COBAHH).
    pub tau_exc_ms: f64,
    /// \[ms\] the same for inhibitory populations (weight < 0); default 10.
    pub tau_inh_ms: f64,
    /// \[mV\] reversal potential of excitatory conductances; default 0.
    pub e_exc_mv: f64,
    /// \[mV\] reversal potential of inhibitory conductances; default −80.
    pub e_inh_mv: f64,
}

impl Default for SynapseParams {
    fn default() -> Self {
        Self {
            kind: SynapseKind::Delta,
            tau_exc_ms: 5.0,
            tau_inh_ms: 10.0,
            e_exc_mv: 0.0,
            e_inh_mv: -80.0,
        }
    }
}

impl SynapseParams {
    /// Checks every parameter; errors name `synapse.KEY`.
    pub fn validate(&self) -> Result<(), ParamError> {
        positive("synapse.tau_exc_ms", self.tau_exc_ms, "ms")?;
        positive("synapse.tau_inh_ms", self.tau_inh_ms, "ms")?;
        finite("synapse.e_exc_mv", self.e_exc_mv, "mV")?;
        finite("synapse.e_inh_mv", self.e_inh_mv, "mV")?;
        Ok(())
    }

    /// The channel of a population with `weight`, at step `dt` \[ms\].
    pub(crate) fn channel(&self, weight: f64, dt: f64) -> Channel {
        self.channel_with(weight, dt, None, None)
    }

    /// The channel of a population with `weight` and, if given, its own
    /// time constant `tau_ms` and reversal potential `reversal_mv`.
    pub(crate) fn channel_with(
        &self,
        weight: f64,
        dt: f64,
        tau_ms: Option<f64>,
        reversal_mv: Option<f64>,
    ) -> Channel {
        let inhibitory = weight < 0.0;
        let tau = tau_ms.unwrap_or(if inhibitory {
            self.tau_inh_ms
        } else {
            self.tau_exc_ms
        });
        let conductance = matches!(
            self.kind,
            SynapseKind::ExpConductance | SynapseKind::AlphaConductance
        );
        let w = if conductance { weight.abs() } else { weight };
        let alpha = matches!(
            self.kind,
            SynapseKind::AlphaCurrent | SynapseKind::AlphaConductance
        );
        Channel {
            // Alpha: an event adds w·e/τ to y so that g peaks at w.
            jump: if alpha {
                w * std::f64::consts::E / tau
            } else {
                w
            },
            e_rev: reversal_mv.unwrap_or(if inhibitory {
                self.e_inh_mv
            } else {
                self.e_exc_mv
            }),
            decay: (-dt / tau).exp(),
            decay_half: (-0.5 * dt / tau).exp(),
            dt,
            tau,
        }
    }
}

/// One population's synaptic channel, prepared for a step of `dt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Channel {
    /// Increment per event: of g (exp) or of y (alpha).
    pub jump: f64,
    /// \[mV\] reversal potential (conductance kinds only).
    pub e_rev: f64,
    /// e^(−dt/τ).
    pub decay: f64,
    /// e^(−dt/(2τ)).
    pub decay_half: f64,
    /// \[ms\] step.
    pub dt: f64,
    /// \[ms\] time constant.
    pub tau: f64,
}

/// State of one channel: g (the current or conductance) and, for alpha
/// synapses, its driver y.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct ChannelState {
    pub g: f64,
    pub y: f64,
}

/// A synapse kind as a type, so the trial loop is monomorphised over it.
pub(crate) trait Synapse {
    /// Delta synapse: events are voltage jumps, channels are unused.
    const DELTA: bool;
    /// Alpha (two-state) rather than exponential.
    const ALPHA: bool;
    /// Conductance rather than current.
    const CONDUCTANCE: bool;

    /// The channel's g at `θ·dt` into the step (θ ∈ {0, ½, 1}), exactly.
    #[inline(always)]
    fn g_at(c: &Channel, s: &ChannelState, theta: Stage) -> f64 {
        let (e, h) = match theta {
            Stage::Start => return s.g,
            Stage::Half => (c.decay_half, 0.5 * c.dt),
            Stage::End => (c.decay, c.dt),
        };
        if Self::ALPHA {
            (s.g + s.y * h) * e
        } else {
            s.g * e
        }
    }

    /// Synaptic (G, A) at stage `theta`: the membrane gets C dV/dt += A − G·V
    /// (G [mS/cm²] = Σ g, A [µA/cm²] = Σ g·E for conductances; G = 0,
    /// A = Σ I for currents).
    #[inline(always)]
    fn drive(ch: &[Channel], st: &[ChannelState], theta: Stage) -> (f64, f64) {
        let (mut g_sum, mut a_sum) = (0.0, 0.0);
        if Self::DELTA {
            return (0.0, 0.0);
        }
        for (c, s) in ch.iter().zip(st) {
            let g = Self::g_at(c, s, theta);
            if Self::CONDUCTANCE {
                g_sum += g;
                a_sum += g * c.e_rev;
            } else {
                a_sum += g;
            }
        }
        (g_sum, a_sum)
    }

    /// Advances every channel by one step without events (exactly).
    #[inline(always)]
    fn decay(ch: &[Channel], st: &mut [ChannelState]) {
        if Self::DELTA {
            return;
        }
        for (c, s) in ch.iter().zip(st.iter_mut()) {
            if Self::ALPHA {
                s.g = (s.g + s.y * c.dt) * c.decay;
                s.y *= c.decay;
            } else {
                s.g *= c.decay;
            }
        }
    }

    /// The channel's g `h` ms after the state `s` (any h ≥ 0; one exp).
    #[inline(always)]
    fn g_after(c: &Channel, s: &ChannelState, h: f64) -> f64 {
        let e = (-h / c.tau).exp();
        if Self::ALPHA {
            (s.g + s.y * h) * e
        } else {
            s.g * e
        }
    }

    /// Synaptic (G, A) `h` ms after the states `st` (see [`Synapse::drive`]).
    #[inline(always)]
    fn drive_after(ch: &[Channel], st: &[ChannelState], h: f64) -> (f64, f64) {
        let (mut g_sum, mut a_sum) = (0.0, 0.0);
        if Self::DELTA {
            return (0.0, 0.0);
        }
        for (c, s) in ch.iter().zip(st) {
            let g = Self::g_after(c, s, h);
            if Self::CONDUCTANCE {
                g_sum += g;
                a_sum += g * c.e_rev;
            } else {
                a_sum += g;
            }
        }
        (g_sum, a_sum)
    }

    /// Advances every channel by `h` ms without events (exactly).
    #[inline(always)]
    fn decay_by(ch: &[Channel], st: &mut [ChannelState], h: f64) {
        if Self::DELTA {
            return;
        }
        for (c, s) in ch.iter().zip(st.iter_mut()) {
            let e = (-h / c.tau).exp();
            if Self::ALPHA {
                s.g = (s.g + s.y * h) * e;
                s.y *= e;
            } else {
                s.g *= e;
            }
        }
    }

    /// Applies `k` events to a channel.
    #[inline(always)]
    fn arrive(c: &Channel, s: &mut ChannelState, k: f64) {
        if Self::ALPHA {
            s.y += c.jump * k;
        } else {
            s.g += c.jump * k;
        }
    }
}

/// Where in the step a synaptic value is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Start,
    Half,
    End,
}

macro_rules! synapse_type {
    ($name:ident, $delta:expr, $alpha:expr, $cond:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy)]
        pub(crate) struct $name;
        impl Synapse for $name {
            const DELTA: bool = $delta;
            const ALPHA: bool = $alpha;
            const CONDUCTANCE: bool = $cond;
        }
    };
}

synapse_type!(Delta, true, false, false, "Voltage jumps.");
synapse_type!(ExpCurrent, false, false, false, "Exponential current.");
synapse_type!(ExpCond, false, false, true, "Exponential conductance.");
synapse_type!(AlphaCurrent, false, true, false, "Alpha current.");
synapse_type!(AlphaCond, false, true, true, "Alpha conductance.");

#[cfg(test)]
mod tests {
    use super::*;

    /// The alpha propagator reproduces w·(t/τ)·e^(1−t/τ) after one event.
    #[test]
    fn alpha_propagator_is_exact() {
        let p = SynapseParams {
            kind: SynapseKind::AlphaConductance,
            ..SynapseParams::default()
        };
        let dt = 0.1;
        let c = p.channel(2.0, dt);
        let mut s = ChannelState::default();
        AlphaCond::arrive(&c, &mut s, 1.0);
        for n in 1..=200 {
            AlphaCond::decay(std::slice::from_ref(&c), std::slice::from_mut(&mut s));
            let t = n as f64 * dt;
            let want = 2.0 * (t / 5.0) * (1.0 - t / 5.0).exp();
            assert!((s.g - want).abs() < 1e-12, "t = {t}: {} vs {want}", s.g);
        }
        // Half-step value is the exact curve too.
        let mut s = ChannelState::default();
        AlphaCond::arrive(&c, &mut s, 1.0);
        let half = AlphaCond::g_at(&c, &s, Stage::Half);
        let t: f64 = 0.05;
        assert!((half - 2.0 * (t / 5.0) * (1.0 - t / 5.0).exp()).abs() < 1e-12);
    }

    #[test]
    fn sign_of_weight_picks_class() {
        let p = SynapseParams {
            kind: SynapseKind::ExpConductance,
            ..SynapseParams::default()
        };
        let c = p.channel(-0.5, 0.1);
        assert_eq!(c.jump, 0.5);
        assert_eq!(c.e_rev, -80.0);
        assert!((c.decay - (-0.01f64).exp()).abs() < 1e-15);
        let c = p.channel(0.5, 0.1);
        assert_eq!(c.e_rev, 0.0);
        assert!((c.decay - (-0.02f64).exp()).abs() < 1e-15);
        let cur = SynapseParams {
            kind: SynapseKind::ExpCurrent,
            ..p
        };
        assert_eq!(cur.channel(-0.5, 0.1).jump, -0.5);
    }

    #[test]
    fn validation_names_key() {
        let p = SynapseParams {
            tau_exc_ms: 0.0,
            ..SynapseParams::default()
        };
        let m = p.validate().unwrap_err().to_string();
        assert!(m.contains("synapse.tau_exc_ms") && m.contains("ms"), "{m}");
    }
}
