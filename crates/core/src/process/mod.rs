//! Input processes per population: `[inputs.NAME] process = "..."`.
//!
//! - `poisson` (default): N independent Poisson(r) trains, each spike
//!   transmitted with probability p, superposed exactly into one
//!   Poisson(N·r·p·dt) count per step ([`crate::PoissonSampler`]).
//! - `explicit`: the same N trains kept apart, each source's next spike time
//!   in a binary heap, each spike transmitted with its own Bernoulli(p) draw;
//!   cost ∝ number of input spikes (+ N log N once per trial), never N × steps.
//! - `gamma`: explicit gamma-renewal sources (shape k, mean ISI 1/r), started
//!   in their stationary state; their superposition is not Poisson.
//! - `inhomogeneous`: superposed Poisson with a time-varying rate per source,
//!   sinusoidal (r + a·sin(2πft + φ)) or piecewise constant; exact, by
//!   thinning a Poisson(N·p·r_max·dt) count per step.
//! - `mip`: multiple-interaction process (Kuhn, Aertsen & Rotter 2003,
//!   doi:10.1162/089976603321043702): a mother Poisson process of rate r/c;
//!   each of the N sources copies each mother spike with probability c, so
//!   each source is Poisson(r) and any two have count correlation c.
//!
//! Every process of a population draws from that population's one random
//! stream, in a fixed order documented on each step function, so trials
//! stay reproducible and replayable. Events of a step count at its end
//! (grid timing), as for every input.

mod sample;

pub(crate) use sample::{exponential, gamma, uniform};

use crate::error::{ParamError, finite, non_negative, positive};
use crate::input::PoissonInput;
use crate::poisson::PoissonSampler;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Input process kind, `[inputs.NAME] process = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessKind {
    /// Superposed homogeneous Poisson (the default).
    #[default]
    Poisson,
    /// Explicit per-source Poisson trains, per-spike Bernoulli transmission.
    Explicit,
    /// Superposed inhomogeneous Poisson (sinusoidal or piecewise-constant rate).
    Inhomogeneous,
    /// Explicit gamma-renewal sources.
    Gamma,
    /// Multiple-interaction process: correlated Poisson sources.
    Mip,
}

impl ProcessKind {
    /// The name used in experiment files.
    pub fn name(self) -> &'static str {
        match self {
            ProcessKind::Poisson => "poisson",
            ProcessKind::Explicit => "explicit",
            ProcessKind::Inhomogeneous => "inhomogeneous",
            ProcessKind::Gamma => "gamma",
            ProcessKind::Mip => "mip",
        }
    }
}

fn is_poisson(k: &ProcessKind) -> bool {
    *k == ProcessKind::Poisson
}

fn one() -> f64 {
    1.0
}

/// Largest `count` of an explicit or gamma population (its heap holds one
/// entry per source: 16 bytes each).
pub const MAX_EXPLICIT_SOURCES: u32 = 10_000_000;

/// One input population as written in `[inputs.NAME]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Number of input neurons N.
    pub count: u32,
    /// \[Hz\] firing rate r of each input neuron (inhomogeneous: the mean of
    /// the sinusoid, or the rate before the first profile break).
    pub rate_hz: f64,
    /// Probability p that a spike is transmitted, in [0, 1] (default 1).
    #[serde(default = "one")]
    pub p_transmit: f64,
    /// Effect of one transmitted spike; unit by `synapse.kind` (mV for delta).
    pub weight: f64,
    /// The process (default `poisson`).
    #[serde(default, skip_serializing_if = "is_poisson")]
    pub process: ProcessKind,
    /// Gamma: shape k > 0 of the ISI distribution (CV = 1/√k).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<f64>,
    /// MIP: pairwise count correlation c in (0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation: Option<f64>,
    /// \[Hz\] inhomogeneous sinusoid: amplitude a, |a| ≤ rate_hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amplitude_hz: Option<f64>,
    /// \[Hz\] inhomogeneous sinusoid: frequency f ≥ 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_hz: Option<f64>,
    /// \[rad\] inhomogeneous sinusoid: phase φ (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_rad: Option<f64>,
    /// \[ms\] inhomogeneous piecewise-constant rate: break times, increasing, > 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_times_ms: Option<Vec<f64>>,
    /// \[Hz\] the rate from each break on (same length as `profile_times_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_rates_hz: Option<Vec<f64>>,
    /// \[ms\] this population's synaptic time constant, overriding
    /// `synapse.tau_exc_ms`/`tau_inh_ms` (current and conductance synapses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau_ms: Option<f64>,
    /// Record the source id and time of every transmitted spike of this
    /// population in recorded trials (`input_spikes/`); explicit, gamma and
    /// MIP sources only (default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub record_sources: bool,
    /// \[mV\] this population's reversal potential, overriding
    /// `synapse.e_exc_mv`/`e_inh_mv` (conductance synapses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversal_mv: Option<f64>,
}

impl From<PoissonInput> for InputSpec {
    fn from(p: PoissonInput) -> Self {
        Self {
            count: p.count,
            rate_hz: p.rate_hz,
            p_transmit: p.p_transmit,
            weight: p.weight,
            process: ProcessKind::Poisson,
            shape: None,
            correlation: None,
            amplitude_hz: None,
            frequency_hz: None,
            phase_rad: None,
            profile_times_ms: None,
            profile_rates_hz: None,
            tau_ms: None,
            record_sources: false,
            reversal_mv: None,
        }
    }
}

impl InputSpec {
    /// The homogeneous part (count, rate, p, weight).
    pub fn poisson(&self) -> PoissonInput {
        PoissonInput {
            count: self.count,
            rate_hz: self.rate_hz,
            p_transmit: self.p_transmit,
            weight: self.weight,
        }
    }

    /// \[Hz\] mean transmitted event rate of the population, N·r̄·p (r̄: the
    /// time-averaged rate of a sinusoid; for a profile, `rate_hz`).
    pub fn total_rate_hz(&self) -> f64 {
        self.poisson().total_rate_hz()
    }

    /// The first key given that belongs to another process than this
    /// population's, with the process it belongs to.
    pub fn misplaced_key(&self) -> Option<(&'static str, ProcessKind)> {
        use ProcessKind as K;
        [
            ("shape", self.shape.is_some(), K::Gamma),
            ("correlation", self.correlation.is_some(), K::Mip),
            (
                "amplitude_hz",
                self.amplitude_hz.is_some(),
                K::Inhomogeneous,
            ),
            (
                "frequency_hz",
                self.frequency_hz.is_some(),
                K::Inhomogeneous,
            ),
            ("phase_rad", self.phase_rad.is_some(), K::Inhomogeneous),
            (
                "profile_times_ms",
                self.profile_times_ms.is_some(),
                K::Inhomogeneous,
            ),
            (
                "profile_rates_hz",
                self.profile_rates_hz.is_some(),
                K::Inhomogeneous,
            ),
        ]
        .into_iter()
        .find(|&(_, given, owner)| given && owner != self.process)
        .map(|(k, _, owner)| (k, owner))
    }

    /// Checks the population named `name` and prepares its process at step
    /// `dt_ms`; errors name `inputs.NAME.key` with unit and range.
    pub fn prepare(&self, name: &str, dt_ms: f64) -> Result<Process, ParamError> {
        self.poisson().validate(name)?;
        let key = |k: &str| format!("inputs.{name}.{k}");
        let kind = self.process;
        // A key of another process is an error, not silently ignored.
        if let Some((k, owner)) = self.misplaced_key() {
            return Err(ParamError::new(
                &key(k),
                f64::NAN,
                "",
                match owner {
                    ProcessKind::Gamma => "absent unless process = \"gamma\"",
                    ProcessKind::Mip => "absent unless process = \"mip\"",
                    _ => "absent unless process = \"inhomogeneous\"",
                },
            ));
        }
        if self.record_sources
            && !matches!(
                kind,
                ProcessKind::Explicit | ProcessKind::Gamma | ProcessKind::Mip
            )
        {
            return Err(ParamError::new(
                &key("record_sources"),
                f64::NAN,
                "",
                "false unless process is explicit, gamma or mip (superposed input has no source ids)",
            ));
        }
        let per_ms = self.rate_hz / 1000.0;
        let p = self.p_transmit;
        let explicit_count = |what: &'static str| {
            if self.count > MAX_EXPLICIT_SOURCES {
                return Err(ParamError::new(&key("count"), self.count as f64, "", what));
            }
            // As for superposed input: at most 1e6 events per step.
            let mean = self.count as f64 * per_ms * dt_ms;
            if !(mean <= PoissonSampler::MAX_MEAN) {
                return Err(ParamError::new(
                    &key("rate_hz"),
                    self.rate_hz,
                    "Hz",
                    "count × rate_hz × dt_ms / 1000 <= 1e6 events per step",
                ));
            }
            Ok(())
        };
        Ok(match kind {
            ProcessKind::Poisson => Process::Poisson,
            ProcessKind::Explicit => {
                explicit_count(
                    "<= 10 000 000 for process = \"explicit\" (poisson superposes any N exactly)",
                )?;
                Process::Renewal {
                    n: self.count,
                    rate_per_ms: per_ms,
                    p,
                    shape: 1.0,
                }
            }
            ProcessKind::Gamma => {
                explicit_count("<= 10 000 000 for process = \"gamma\"")?;
                let k = self.shape.ok_or_else(|| {
                    ParamError::new(
                        &key("shape"),
                        f64::NAN,
                        "",
                        "given (> 0) for process = \"gamma\"",
                    )
                })?;
                if !(k.is_finite() && (1e-3..=1e6).contains(&k)) {
                    return Err(ParamError::new(&key("shape"), k, "", "in [0.001, 1e6]"));
                }
                Process::Renewal {
                    n: self.count,
                    rate_per_ms: per_ms,
                    p,
                    shape: k,
                }
            }
            ProcessKind::Mip => {
                let c = self.correlation.ok_or_else(|| {
                    ParamError::new(
                        &key("correlation"),
                        f64::NAN,
                        "",
                        "given, in (0, 1], for process = \"mip\"",
                    )
                })?;
                if !(c > 0.0 && c <= 1.0) {
                    return Err(ParamError::new(&key("correlation"), c, "", "in (0, 1]"));
                }
                let mean = per_ms / c * dt_ms;
                if !(mean <= PoissonSampler::MAX_MEAN) {
                    return Err(ParamError::new(
                        &key("rate_hz"),
                        self.rate_hz,
                        "Hz",
                        "rate_hz / correlation × dt_ms / 1000 <= 1e6",
                    ));
                }
                Process::Mip {
                    mother: PoissonSampler::new(mean),
                    n: self.count,
                    q: c * p,
                }
            }
            ProcessKind::Inhomogeneous => {
                let profile = match (
                    self.amplitude_hz,
                    self.frequency_hz,
                    &self.profile_times_ms,
                    &self.profile_rates_hz,
                ) {
                    (Some(a), Some(f), None, None) => {
                        finite(&key("amplitude_hz"), a, "Hz")?;
                        if a.abs() > self.rate_hz {
                            return Err(ParamError::new(
                                &key("amplitude_hz"),
                                a,
                                "Hz",
                                "|amplitude_hz| <= rate_hz (a rate cannot be negative)",
                            ));
                        }
                        non_negative(&key("frequency_hz"), f, "Hz")?;
                        let phase = self.phase_rad.unwrap_or(0.0);
                        finite(&key("phase_rad"), phase, "rad")?;
                        RateProfile::Sine {
                            mean_per_ms: per_ms,
                            amp_per_ms: a / 1000.0,
                            omega_per_ms: 2.0 * std::f64::consts::PI * f / 1000.0,
                            phase,
                        }
                    }
                    (None, None, Some(times), Some(rates)) => {
                        if self.phase_rad.is_some() {
                            return Err(ParamError::new(
                                &key("phase_rad"),
                                f64::NAN,
                                "",
                                "absent with a piecewise profile",
                            ));
                        }
                        if times.len() != rates.len() || times.is_empty() {
                            return Err(ParamError::new(
                                &key("profile_rates_hz"),
                                rates.len() as f64,
                                "values",
                                "as many as profile_times_ms (at least one)",
                            ));
                        }
                        let mut last = 0.0;
                        for &t in times.iter() {
                            positive(&key("profile_times_ms"), t, "ms")?;
                            if t <= last {
                                return Err(ParamError::new(
                                    &key("profile_times_ms"),
                                    t,
                                    "ms",
                                    "strictly increasing",
                                ));
                            }
                            last = t;
                        }
                        for &r in rates.iter() {
                            non_negative(&key("profile_rates_hz"), r, "Hz")?;
                        }
                        RateProfile::Steps {
                            first_per_ms: per_ms,
                            times_ms: times.clone().into(),
                            rates_per_ms: rates.iter().map(|r| r / 1000.0).collect(),
                        }
                    }
                    _ => {
                        return Err(ParamError::new(
                            &key("process"),
                            f64::NAN,
                            "",
                            "inhomogeneous with either amplitude_hz and frequency_hz (sinusoid) \
                             or profile_times_ms and profile_rates_hz (piecewise constant)",
                        ));
                    }
                };
                let max = profile.max_per_ms();
                let mean = self.count as f64 * p * max * dt_ms;
                if !(mean <= PoissonSampler::MAX_MEAN) {
                    return Err(ParamError::new(
                        &key("count"),
                        mean,
                        "events per step at the peak rate",
                        "<= 1e6",
                    ));
                }
                Process::Inhomogeneous {
                    peak: PoissonSampler::new(mean),
                    max_per_ms: max,
                    profile,
                }
            }
        })
    }
}

/// A rate function of time, per source, in events per ms.
#[derive(Debug, Clone, PartialEq)]
pub enum RateProfile {
    /// r + a·sin(ω t + φ).
    Sine {
        /// Mean r [1/ms].
        mean_per_ms: f64,
        /// Amplitude a [1/ms].
        amp_per_ms: f64,
        /// ω [rad/ms].
        omega_per_ms: f64,
        /// φ \[rad\].
        phase: f64,
    },
    /// `first` until `times_ms[0]`, then `rates_per_ms[i]` from `times_ms[i]`.
    Steps {
        /// Rate before the first break [1/ms].
        first_per_ms: f64,
        /// Break times \[ms\].
        times_ms: Box<[f64]>,
        /// Rates from each break on [1/ms].
        rates_per_ms: Box<[f64]>,
    },
}

impl RateProfile {
    /// The rate at `t` \[ms\], in 1/ms.
    #[inline]
    pub fn at(&self, t: f64) -> f64 {
        match self {
            RateProfile::Sine {
                mean_per_ms,
                amp_per_ms,
                omega_per_ms,
                phase,
            } => (mean_per_ms + amp_per_ms * (omega_per_ms * t + phase).sin()).max(0.0),
            RateProfile::Steps {
                first_per_ms,
                times_ms,
                rates_per_ms,
            } => match times_ms.partition_point(|&b| b <= t) {
                0 => *first_per_ms,
                i => rates_per_ms[i - 1],
            },
        }
    }

    /// The largest rate, 1/ms.
    pub fn max_per_ms(&self) -> f64 {
        match self {
            RateProfile::Sine {
                mean_per_ms,
                amp_per_ms,
                ..
            } => mean_per_ms + amp_per_ms.abs(),
            RateProfile::Steps {
                first_per_ms,
                rates_per_ms,
                ..
            } => rates_per_ms.iter().fold(*first_per_ms, |a, &b| a.max(b)),
        }
    }
}

/// A population's process, prepared for the trial loop.
#[derive(Debug, Clone)]
pub enum Process {
    /// Superposed homogeneous Poisson: the population's [`crate::PreparedInput`] sampler.
    Poisson,
    /// Explicit renewal sources with gamma(shape) ISIs of mean 1/rate
    /// (shape 1: Poisson, `process = "explicit"`).
    Renewal {
        /// Number of sources.
        n: u32,
        /// Rate of each source [1/ms].
        rate_per_ms: f64,
        /// Transmission probability.
        p: f64,
        /// Gamma shape k (1 for Poisson sources).
        shape: f64,
    },
    /// Superposed inhomogeneous Poisson by thinning.
    Inhomogeneous {
        /// Poisson(N·p·r_max·dt) candidate counts.
        peak: PoissonSampler,
        /// r_max [1/ms].
        max_per_ms: f64,
        /// r(t).
        profile: RateProfile,
    },
    /// Multiple-interaction process.
    Mip {
        /// Mother events per step: Poisson(r/c·dt).
        mother: PoissonSampler,
        /// Number of sources.
        n: u32,
        /// Probability that a source copies and transmits a mother spike, c·p.
        q: f64,
    },
}

/// Per-trial state of a population's process.
#[derive(Debug, Clone, Default)]
pub struct ProcessState {
    /// Next spike time \[ms\] (as ordered bits of a non-negative f64) and
    /// source id of every explicit source; a min-heap.
    heap: BinaryHeap<Reverse<(u64, u32)>>,
}

impl Process {
    /// Whether this is the superposed homogeneous Poisson process.
    pub fn is_poisson(&self) -> bool {
        matches!(self, Process::Poisson)
    }

    /// A fresh state for a trial starting at t = 0 (explicit sources draw
    /// their first spike times here, source 0 first).
    pub fn start<R: Rng + ?Sized>(&self, rng: &mut R) -> ProcessState {
        let mut st = ProcessState::default();
        if let Process::Renewal {
            n,
            rate_per_ms,
            shape,
            ..
        } = *self
            && rate_per_ms > 0.0
        {
            st.heap.reserve(n as usize);
            for id in 0..n {
                // Stationary start: the forward recurrence time of a renewal
                // process is U·X̃ with X̃ length-biased, and the length-biased
                // gamma(k, θ) is gamma(k + 1, θ) (for k = 1 this is Exp(r)).
                let t = if shape == 1.0 {
                    exponential(rng) / rate_per_ms
                } else {
                    let u = uniform(rng);
                    u * gamma(rng, shape + 1.0) / (shape * rate_per_ms)
                };
                st.heap.push(Reverse((t.to_bits(), id)));
            }
        }
        st
    }

    /// The transmitted events in [t0, t1) of a non-Poisson process, each
    /// reported to `on_event(source, time)` (source `u32::MAX` for the
    /// superposed inhomogeneous process); returns their number.
    ///
    /// Draw order, from the population's stream: explicit/gamma — per
    /// spike in time order, one uniform for transmission (only if p < 1),
    /// then the next ISI; inhomogeneous — one Poisson draw, then per
    /// candidate one uniform for its time and one for acceptance; MIP — one
    /// Poisson draw of mother events, then per mother event its
    /// time (one uniform) and the geometric skips over source ids (one
    /// uniform each, plus one that passes N).
    #[inline]
    pub fn step<R: Rng + ?Sized, F: FnMut(u32, f64)>(
        &self,
        st: &mut ProcessState,
        rng: &mut R,
        t0: f64,
        t1: f64,
        mut on_event: F,
    ) -> u32 {
        let mut k = 0u32;
        match self {
            Process::Poisson => unreachable!("superposed Poisson is drawn by its sampler"),
            Process::Renewal {
                rate_per_ms,
                p,
                shape,
                ..
            } => {
                let end = t1.to_bits();
                while let Some(&Reverse((bits, id))) = st.heap.peek() {
                    if bits >= end {
                        break;
                    }
                    let t = f64::from_bits(bits);
                    if *p >= 1.0 || uniform(rng) < *p {
                        k += 1;
                        on_event(id, t);
                    }
                    let isi = if *shape == 1.0 {
                        exponential(rng) / rate_per_ms
                    } else {
                        gamma(rng, *shape) / (shape * rate_per_ms)
                    };
                    let next = Reverse(((t + isi).to_bits(), id));
                    // Replace the top in place: one sift, no allocation.
                    *st.heap.peek_mut().expect("non-empty") = next;
                }
            }
            Process::Inhomogeneous {
                peak,
                max_per_ms,
                profile,
            } => {
                let candidates = peak.sample(rng);
                let dt = t1 - t0;
                for _ in 0..candidates {
                    let t = t0 + uniform(rng) * dt;
                    if uniform(rng) * max_per_ms < profile.at(t) {
                        k += 1;
                        on_event(u32::MAX, t);
                    }
                }
            }
            Process::Mip { mother, n, q } => {
                let events = mother.sample(rng);
                let dt = t1 - t0;
                for _ in 0..events {
                    // The mother spike's time (used by exact timing; on the
                    // grid all of a step's events act at its end).
                    let t = t0 + uniform(rng) * dt;
                    if *q >= 1.0 {
                        for id in 0..*n {
                            on_event(id, t);
                        }
                        k += n;
                        continue;
                    }
                    // Bernoulli(q) over ids 0..n by geometric skips: the gap
                    // to the next copying source is ⌊ln U / ln(1 − q)⌋.
                    let ln1q = (-q).ln_1p();
                    let mut id = -1i64;
                    loop {
                        let u = 1.0 - uniform(rng); // (0, 1]
                        let gap = (u.ln() / ln1q).floor();
                        if !(gap < (*n as i64 - id) as f64) {
                            break;
                        }
                        id += gap as i64 + 1;
                        if id >= *n as i64 {
                            break;
                        }
                        k += 1;
                        on_event(id as u32, t);
                    }
                }
            }
        }
        k
    }
}
