//! One trial: (model, protocol, the trial's random streams) → spikes, input
//! counts and optionally sampled traces.

use crate::detect::{DetectParams, SpikeDetector};
use crate::error::{ParamError, positive};
use crate::hh::{HhParams, HhState};
use crate::input::{PoissonInput, PreparedInput};
use crate::method::{Euler, Method, Rk4, RushLarsen, Stepper};
use crate::models::Neuron;
use crate::ode::Rk45Options;
use crate::process::Process;
use crate::synapse::{Channel, SynapseKind, SynapseParams};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// |V| above this \[mV\] means the integration has blown up (HH stays within
/// about −90…+60 mV; the gap leaves room for large delta jumps).
pub const V_LIMIT_MV: f64 = 1000.0;

/// Everything about a trial except its randomness, validated and prepared.
#[derive(Debug, Clone)]
pub struct Protocol {
    pub(crate) params: HhParams,
    pub(crate) method: Method,
    pub(crate) dt_ms: f64,
    pub(crate) n_steps: u64,
    pub(crate) detect: DetectParams,
    pub(crate) initial: HhState,
    pub(crate) inputs: Vec<PreparedInput>,
    /// The gate table of `rush-larsen-table` (built once per protocol).
    pub(crate) gate_table: Option<std::sync::Arc<crate::lanes::table::GateTable>>,
    /// The neuron model (HH 1952 unless [`Protocol::with_model`] says otherwise).
    pub(crate) neuron: Neuron,
    /// The synapses.
    pub(crate) synapse: SynapseParams,
    /// One synaptic channel per input population (unused for delta synapses).
    pub(crate) channels: Vec<Channel>,
    /// The input process of each population (all superposed Poisson unless
    /// [`Protocol::with_processes`] says otherwise).
    pub(crate) processes: Vec<Process>,
    /// When input events act: at step ends, or at their own times.
    pub(crate) timing: Timing,
    /// Per population: record source ids in traced trials.
    pub(crate) record_sources: Vec<bool>,
    /// Tolerances of `method = "rk45"`.
    pub(crate) rk45: Rk45Options,
    /// Not the default HH 1952 + delta protocol: runs on [`crate::generic`].
    pub(crate) generic: bool,
}

/// When input events act on the neuron, `timing = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timing {
    /// All events of a step act together at the step's end, as in NEST and
    /// Brian2 (the default).
    #[default]
    Grid,
    /// Every event acts at its own continuous time; the integrator (only
    /// `rk45`) steps to each event.
    Exact,
}

impl Timing {
    /// The name used in experiment files.
    pub fn name(self) -> &'static str {
        match self {
            Timing::Grid => "grid",
            Timing::Exact => "exact",
        }
    }
}

/// What [`Protocol::new`] is built from.
#[derive(Debug, Clone)]
pub struct ProtocolSpec<'a> {
    /// Neuron parameters.
    pub params: HhParams,
    /// Integration method.
    pub method: Method,
    /// \[ms\] trial length; must be a whole number of steps.
    pub duration_ms: f64,
    /// \[ms\] integration step.
    pub dt_ms: f64,
    /// Spike detector.
    pub detect: DetectParams,
    /// Initial state (see [`HhState::at_rest`]).
    pub initial: HhState,
    /// Input populations with their names (for error messages), in stream order.
    pub inputs: Vec<(&'a str, &'a PoissonInput)>,
}

impl Protocol {
    /// Validates `spec` and tabulates the input samplers.
    pub fn new(spec: ProtocolSpec<'_>) -> Result<Self, ParamError> {
        spec.params.validate()?;
        spec.detect.validate()?;
        positive("duration_ms", spec.duration_ms, "ms")?;
        positive("dt_ms", spec.dt_ms, "ms")?;
        if spec.dt_ms > spec.duration_ms {
            return Err(ParamError::new("dt_ms", spec.dt_ms, "ms", "<= duration_ms"));
        }
        let steps = spec.duration_ms / spec.dt_ms;
        let n_steps = steps.round();
        if (steps - n_steps).abs() > 1e-6 * n_steps.max(1.0) {
            return Err(ParamError::new(
                "duration_ms",
                spec.duration_ms,
                "ms",
                "a whole multiple of dt_ms",
            ));
        }
        if n_steps > 1e12 {
            return Err(ParamError::new(
                "duration_ms",
                spec.duration_ms,
                "ms",
                "<= 1e12 × dt_ms",
            ));
        }
        let s = spec.initial;
        for (name, x) in [("initial.m", s.m), ("initial.h", s.h), ("initial.n", s.n)] {
            if !(0.0..=1.0).contains(&x) {
                return Err(ParamError::new(name, x, "", "in [0, 1]"));
            }
        }
        crate::error::finite("initial.v_mv", s.v, "mV")?;
        let inputs = spec
            .inputs
            .iter()
            .map(|(name, input)| {
                input.validate(name)?;
                PreparedInput::new(name, input, spec.dt_ms)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let gate_table = (spec.method == Method::RushLarsenTable).then(|| {
            std::sync::Arc::new(crate::lanes::table::GateTable::new(
                &spec.params,
                spec.dt_ms,
            ))
        });
        let n_inputs = inputs.len();
        Ok(Self {
            gate_table,
            params: spec.params,
            method: spec.method,
            dt_ms: spec.dt_ms,
            n_steps: n_steps as u64,
            detect: spec.detect,
            initial: spec.initial,
            inputs,
            neuron: Neuron::Hh(spec.params),
            synapse: SynapseParams::default(),
            channels: spec
                .inputs
                .iter()
                .map(|(_, i)| SynapseParams::default().channel(i.weight, spec.dt_ms))
                .collect(),
            processes: vec![Process::Poisson; n_inputs],
            timing: Timing::Grid,
            record_sources: vec![false; n_inputs],
            rk45: Rk45Options::default(),
            generic: spec.method == Method::Rk45,
        })
    }

    /// Whether the protocol leaves the default path (lanes engine or
    /// `trial::simulate`): any other model, synapse, process, timing or rk45.
    fn update_generic(&mut self) {
        let default_path = matches!(self.neuron, Neuron::Hh(_))
            && self.synapse.kind == SynapseKind::Delta
            && self.processes.iter().all(Process::is_poisson)
            && self.timing == Timing::Grid
            && self.method != Method::Rk45;
        self.generic = !default_path;
    }

    /// The same protocol with input timing `timing` and rk45 tolerances
    /// `rk45` (used only by `method = "rk45"`). Exact timing needs rk45;
    /// rk45 does not run the LIF (its reset is a grid event; use
    /// `rush-larsen`, exact for the LIF between events).
    pub fn with_timing(mut self, timing: Timing, rk45: Rk45Options) -> Result<Self, ParamError> {
        rk45.validate()?;
        if timing == Timing::Exact && self.method != Method::Rk45 {
            return Err(ParamError::new(
                "timing",
                f64::NAN,
                "",
                "\"grid\" unless method = \"rk45\" (only rk45 steps to each event)",
            ));
        }
        self.timing = timing;
        self.rk45 = rk45;
        self.check_rk45_model()?;
        self.update_generic();
        Ok(self)
    }

    fn check_rk45_model(&self) -> Result<(), ParamError> {
        if self.method == Method::Rk45 && matches!(self.neuron, Neuron::Lif(_)) {
            return Err(ParamError::new(
                "method",
                f64::NAN,
                "",
                "not \"rk45\" for model = \"lif\" (use rush-larsen, exact for the LIF between events)",
            ));
        }
        Ok(())
    }

    /// Records the source spikes of the populations flagged in `record`
    /// (one flag per population) in traced trials; see
    /// [`Trace::source_spikes`].
    pub fn with_recorded_sources(mut self, record: Vec<bool>) -> Self {
        assert_eq!(record.len(), self.inputs.len(), "one flag per input");
        self.record_sources = record;
        self
    }

    /// Input timing.
    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// The same protocol with input processes other than superposed Poisson
    /// (one per population, in stream order; see [`InputSpec::prepare`](crate::process::InputSpec::prepare)).
    /// Any non-Poisson process sends the protocol to the generic path.
    ///
    /// # Panics
    /// If the number of processes differs from the number of populations.
    pub fn with_processes(mut self, processes: Vec<Process>) -> Self {
        assert_eq!(processes.len(), self.inputs.len(), "one process per input");
        self.processes = processes;
        self.update_generic();
        self
    }

    /// The input process of each population.
    pub fn processes(&self) -> &[Process] {
        &self.processes
    }

    /// The same protocol with another neuron model and synapse kind.
    ///
    /// With `Neuron::Hh` and delta synapses nothing changes (the default
    /// path, bit for bit). Anything else runs on the generic scalar path, one
    /// trial at a time; a Rush–Larsen protocol then reports its method as
    /// [`Method::RushLarsenReference`] (there is no vectorized engine for
    /// it). The initial state's gates are checked as in [`Protocol::new`];
    /// pass them from [`Neuron::at_rest`].
    pub fn with_model(
        mut self,
        neuron: Neuron,
        synapse: SynapseParams,
    ) -> Result<Self, ParamError> {
        neuron.validate()?;
        synapse.validate()?;
        if let Neuron::Hh(p) = neuron {
            self.params = p;
        }
        self.channels = self
            .inputs
            .iter()
            .map(|i| synapse.channel(i.weight_mv, self.dt_ms))
            .collect();
        self.neuron = neuron;
        self.synapse = synapse;
        self.check_rk45_model()?;
        self.update_generic();
        Ok(self)
    }

    /// Per-population synaptic time constants \[ms\] and reversal potentials
    /// \[mV\] overriding the `[synapse]` class defaults (`None`: keep); one
    /// entry per population, `names` for error messages. Call after
    /// [`Protocol::with_model`].
    pub fn with_channel_overrides(
        mut self,
        names: &[&str],
        overrides: &[(Option<f64>, Option<f64>)],
    ) -> Result<Self, ParamError> {
        assert_eq!(overrides.len(), self.inputs.len(), "one override per input");
        let kind = self.synapse.kind;
        let conductance = matches!(
            kind,
            SynapseKind::ExpConductance | SynapseKind::AlphaConductance
        );
        for (i, (&(tau, rev), name)) in overrides.iter().zip(names).enumerate() {
            if let Some(t) = tau {
                if kind == SynapseKind::Delta {
                    return Err(ParamError::new(
                        &format!("inputs.{name}.tau_ms"),
                        t,
                        "ms",
                        "absent with synapse.kind = \"delta\"",
                    ));
                }
                crate::error::positive(&format!("inputs.{name}.tau_ms"), t, "ms")?;
            }
            if let Some(e) = rev {
                if !conductance {
                    return Err(ParamError::new(
                        &format!("inputs.{name}.reversal_mv"),
                        e,
                        "mV",
                        "absent unless synapse.kind is a conductance",
                    ));
                }
                crate::error::finite(&format!("inputs.{name}.reversal_mv"), e, "mV")?;
            }
            self.channels[i] =
                self.synapse
                    .channel_with(self.inputs[i].weight_mv, self.dt_ms, tau, rev);
        }
        Ok(self)
    }

    /// The neuron model.
    pub fn neuron(&self) -> &Neuron {
        &self.neuron
    }

    /// The synapses.
    pub fn synapse(&self) -> &SynapseParams {
        &self.synapse
    }

    /// Whether trials run on the generic scalar path (any model other than
    /// HH 1952 with delta synapses).
    pub fn is_generic(&self) -> bool {
        self.generic
    }

    /// Number of integration steps per trial.
    pub fn n_steps(&self) -> u64 {
        self.n_steps
    }

    /// \[ms\] step.
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    /// \[ms\] trial length, n_steps · dt.
    pub fn duration_ms(&self) -> f64 {
        self.n_steps as f64 * self.dt_ms
    }

    /// Number of input populations (= random streams a trial needs).
    pub fn n_inputs(&self) -> usize {
        self.inputs.len()
    }

    /// The prepared inputs, in stream order.
    pub fn inputs(&self) -> &[PreparedInput] {
        &self.inputs
    }

    /// The integration method as run: any lanes-engine method on the
    /// generic path is the plain scalar Rush–Larsen scheme, reported as
    /// [`Method::RushLarsenReference`] (so no caller sends such a protocol
    /// to the lanes engine, which runs only HH 1952 with delta synapses).
    pub fn method(&self) -> Method {
        match self.method {
            m if self.generic && crate::lanes::has_lanes(m) => Method::RushLarsenReference,
            m => m,
        }
    }
}

/// Buffers a trial writes into; reuse one per worker to avoid allocation.
#[derive(Debug, Clone, Default)]
pub struct TrialOutput {
    /// \[ms\] spike times, increasing, in [0, duration).
    pub spikes_ms: Vec<f64>,
    /// Transmitted input events per population, in stream order.
    pub input_counts: Vec<u64>,
}

/// Sampled state of one trial, column by column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// \[ms\] sample times: 0, stride·dt, 2·stride·dt, …
    pub t_ms: Vec<f64>,
    /// \[mV\] membrane potential (after the step's input jump).
    pub v_mv: Vec<f64>,
    /// Gates.
    pub m: Vec<f64>,
    /// Gates.
    pub h: Vec<f64>,
    /// Gates.
    pub n: Vec<f64>,
    /// [µA/cm²] sodium current (outward positive).
    pub i_na: Vec<f64>,
    /// [µA/cm²] potassium current.
    pub i_k: Vec<f64>,
    /// [µA/cm²] leak current.
    pub i_l: Vec<f64>,
    /// [µA/cm²] mean synaptic current over the sampling interval ending at
    /// t: C_m · (sum of delta jumps) / interval (inward positive). 0 at t = 0.
    /// For current and conductance synapses: the instantaneous synaptic
    /// current Σ I or Σ g·(E − V) at t (inward positive).
    pub i_syn: Vec<f64>,
    /// Per input population (stream order), its synaptic variable at t:
    /// the current I [µA/cm²] or the conductance g [mS/cm²]. Empty for delta
    /// synapses. For models without gates (LIF, passive) `m`, `h`, `n`,
    /// `i_na`, `i_k` are NaN.
    pub syn: Vec<Vec<f64>>,
    /// Transmitted input spikes of the populations with `record_sources`:
    /// (population index in stream order, source id, time \[ms\]), in step
    /// order (and time order within a population and step).
    pub source_spikes: Vec<(u32, u32, f64)>,
}

impl Trace {
    fn push(&mut self, p: &HhParams, t: f64, s: &HhState, i_syn: f64) {
        let (i_na, i_k, i_l) = p.currents(s);
        self.t_ms.push(t);
        self.v_mv.push(s.v);
        self.m.push(s.m);
        self.h.push(s.h);
        self.n.push(s.n);
        self.i_na.push(i_na);
        self.i_k.push(i_k);
        self.i_l.push(i_l);
        self.i_syn.push(i_syn);
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.t_ms.len()
    }

    /// True without samples.
    pub fn is_empty(&self) -> bool {
        self.t_ms.is_empty()
    }
}

/// A trial that could not be completed.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum TrialError {
    /// V left ±[`V_LIMIT_MV`] or became NaN: dt is too large for the method.
    #[error(
        "numerical blow-up at t = {t_ms} ms (V = {v_mv} mV) with method {method} and dt_ms = {dt_ms}: \
         use a smaller dt_ms or method = \"rush-larsen\""
    )]
    Diverged {
        /// \[ms\] time of the step where V left the sane range.
        t_ms: f64,
        /// \[mV\] the offending value.
        v_mv: f64,
        /// Method name.
        method: &'static str,
        /// \[ms\] step.
        dt_ms: f64,
    },
    /// The adaptive integrator gave up (`method = "rk45"`).
    #[error("{0}")]
    Rk45(#[from] crate::ode::Rk45Error),
}

/// Sampling of traces, chosen once per trial (monomorphised).
pub(crate) trait Recorder {
    /// False for recorders that ignore every sample.
    const ACTIVE: bool = true;
    fn record(&mut self, p: &HhParams, step: u64, t: f64, s: &HhState, jump_mv: f64);
}

struct NoTrace;

impl Recorder for NoTrace {
    const ACTIVE: bool = false;
    #[inline(always)]
    fn record(&mut self, _: &HhParams, _: u64, _: f64, _: &HhState, _: f64) {}
}

struct Sampler<'a> {
    trace: &'a mut Trace,
    stride: u64,
    jump_sum: f64,
}

impl Recorder for Sampler<'_> {
    #[inline(always)]
    fn record(&mut self, p: &HhParams, step: u64, t: f64, s: &HhState, jump_mv: f64) {
        self.jump_sum += jump_mv;
        if (step + 1).is_multiple_of(self.stride) {
            let interval = self.stride as f64 * (t / (step + 1) as f64);
            self.trace.push(p, t, s, p.c_m * self.jump_sum / interval);
            self.jump_sum = 0.0;
        }
    }
}

/// Runs one trial.
///
/// `rngs` holds one stream per input population (in [`Protocol::inputs`]
/// order). With `trace = Some((buf, stride))` the state is sampled every
/// `stride` steps (and at t = 0) into `buf`, which is cleared first.
pub fn run_trial(
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    out: &mut TrialOutput,
    trace: Option<(&mut Trace, u64)>,
) -> Result<(), TrialError> {
    assert_eq!(
        rngs.len(),
        protocol.inputs.len(),
        "one random stream per input population"
    );
    out.spikes_ms.clear();
    out.input_counts.clear();
    out.input_counts.resize(protocol.inputs.len(), 0);
    if protocol.generic {
        return crate::generic::run(protocol, rngs, out, trace);
    }
    match trace {
        None => dispatch(protocol, rngs, out, &mut NoTrace),
        Some((buf, stride)) => {
            *buf = Trace::default();
            buf.push(&protocol.params, 0.0, &protocol.initial, 0.0);
            let mut rec = Sampler {
                trace: buf,
                stride: stride.max(1),
                jump_sum: 0.0,
            };
            dispatch(protocol, rngs, out, &mut rec)
        }
    }
}

fn dispatch<R: Recorder>(
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    out: &mut TrialOutput,
    rec: &mut R,
) -> Result<(), TrialError> {
    match protocol.method {
        Method::Euler => simulate::<Euler, R>(protocol, rngs, out, rec),
        Method::Rk4 => simulate::<Rk4, R>(protocol, rngs, out, rec),
        Method::RushLarsen | Method::RushLarsenTable => {
            crate::lanes::run_single(crate::lanes::Isa::detect(), protocol, rngs, out, rec)
        }
        Method::RushLarsenReference => simulate::<RushLarsen, R>(protocol, rngs, out, rec),
        Method::Rk45 => unreachable!("rk45 protocols run on the generic path"),
    }
}

/// The per-step loop. Input events of a step are applied as one jump at the
/// step's end (grid timing, as NEST and Brian2 do).
fn simulate<S: Stepper, R: Recorder>(
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    out: &mut TrialOutput,
    rec: &mut R,
) -> Result<(), TrialError> {
    let p = &protocol.params;
    let dt = protocol.dt_ms;
    let duration = protocol.duration_ms();
    let mut s = protocol.initial;
    let mut detector = SpikeDetector::new(&protocol.detect, s.v);
    let threshold = protocol.detect.threshold_mv;
    let inputs = &protocol.inputs[..];
    let counts = &mut out.input_counts[..];
    for step in 0..protocol.n_steps {
        let t0 = step as f64 * dt;
        let v0 = s.v;
        let s0 = s;
        S::step(p, &mut s, dt);
        let v_smooth = s.v;
        let mut jump = 0.0;
        for ((input, rng), count) in inputs.iter().zip(rngs.iter_mut()).zip(counts.iter_mut()) {
            let k = input.sampler.sample(rng);
            *count += k as u64;
            jump += input.weight_mv * k as f64;
        }
        s.v += jump;
        let t1 = (step + 1) as f64 * dt;
        if let Some(mut t) = detector.observe(t0, t1 - t0, v0, v_smooth, s.v) {
            if v_smooth >= threshold && v0 < threshold {
                // The smooth part crossed from below: refine the chord's estimate with
                // the cubic Hermite interpolant of V on the step (values and
                // dV/dt at both ends), O(dt⁴) instead of O(dt²).
                let dv0 = p.dv_dt(&s0);
                let dv1 = p.dv_dt(&HhState { v: v_smooth, ..s });
                t = t0
                    + (t1 - t0)
                        * hermite_crossing(
                            v0 - threshold,
                            v_smooth - threshold,
                            dv0 * (t1 - t0),
                            dv1 * (t1 - t0),
                        );
            }
            if t < duration {
                out.spikes_ms.push(t);
            }
        }
        rec.record(p, step, t1, &s, jump);
        if !(s.v.abs() < V_LIMIT_MV) {
            return Err(TrialError::Diverged {
                t_ms: t1,
                v_mv: s.v,
                method: protocol.method.name(),
                dt_ms: dt,
            });
        }
    }
    Ok(())
}

/// The cubic Hermite interpolant on [0, 1] with end values `f0`, `f1` and
/// end slopes `d0`, `d1`, at `x`.
#[inline(always)]
fn hermite(f0: f64, f1: f64, d0: f64, d1: f64, x: f64) -> f64 {
    let (x2, x3) = (x * x, x * x * x);
    (2.0 * x3 - 3.0 * x2 + 1.0) * f0
        + (x3 - 2.0 * x2 + x) * d0
        + (3.0 * x2 - 2.0 * x3) * f1
        + (x3 - x2) * d1
}

/// Root in [0, 1] of the cubic Hermite interpolant with end values
/// `f0 < 0 <= f1` and end slopes `d0`, `d1` (per unit of the step), by
/// bisection (a sign change is guaranteed; 52 halvings reach 1 ulp of 1).
///
/// Four halvings per round: the interpolant is evaluated at all 15 points
/// a + j·w/16 (j = 1…15) of the bracket [a, a + w] in one loop over
/// independent points (which vectorizes), and the four halvings are then
/// walked on the bit mask of signs with integer arithmetic — no branch, so
/// no mispredicted coin flips. Every point a halving would visit is among
/// the 15 and is computed exactly (a and w are multiples of 2⁻⁵² in
/// [0, 1], so a + j·w/16 has no rounding), so this takes the same points,
/// the same comparisons and gives the same result, bit for bit, as one
/// halving at a time (`hermite_crossing_by_halving` in the tests), in a
/// fraction of the latency.
#[inline(always)]
pub(crate) fn hermite_crossing(f0: f64, f1: f64, d0: f64, d1: f64) -> f64 {
    // 13 rounds × 4 halvings = 52 halvings.
    let (mut a, mut w) = (0.0f64, 1.0f64);
    for _ in 0..13 {
        let h = w * (1.0 / 16.0);
        // Bit j of `below`: the interpolant is negative at a + j·h (j = 0
        // is evaluated only to keep the loop regular; its bit is unused).
        let mut below = 0u32;
        for j in 0..16u32 {
            let x = a + f64::from(j) * h;
            below |= u32::from(hermite(f0, f1, d0, d1, x) < 0.0) << j;
        }
        // The halvings: the midpoint j = 8, then j ± 4, ± 2, ± 1 — right
        // (+) where the interpolant is negative, exactly as `a = m` there.
        let mut j = 8u32;
        for step in [4u32, 2, 1] {
            let right = (below >> j) & 1;
            j = j + 2 * step * right - step;
        }
        // The last halving leaves [a + (j−1)·h, a + j·h] or [a + j·h,
        // a + (j+1)·h].
        let low = j - 1 + ((below >> j) & 1);
        a += f64::from(low) * h;
        w = h;
    }
    0.5 * (a + (a + w))
}

/// [`hermite_crossing`] for `L` crossings at once, the same bits for each:
/// the 52 plain halvings (`m = ½(a + b)`, then `a = m` where the
/// interpolant is negative at m, else `b = m`) in lock step across the
/// crossings, each lane a select — a loop over independent lanes that
/// vectorizes, where one crossing's rounds of four halvings form a chain of
/// dependent latencies. The lanes engine defers its crossings and refines
/// them in batches with this (see `lanes::crossings`).
#[inline(always)]
pub(crate) fn hermite_crossings<const L: usize>(
    f0: &[f64; L],
    f1: &[f64; L],
    d0: &[f64; L],
    d1: &[f64; L],
) -> [f64; L] {
    let (mut a, mut b) = ([0.0f64; L], [1.0f64; L]);
    for _ in 0..52 {
        for i in 0..L {
            let m = 0.5 * (a[i] + b[i]);
            let below = hermite(f0[i], f1[i], d0[i], d1[i], m) < 0.0;
            a[i] = if below { m } else { a[i] };
            b[i] = if below { b[i] } else { m };
        }
    }
    std::array::from_fn(|i| 0.5 * (a[i] + b[i]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The straightforward bisection, one halving per iteration, which
    /// `hermite_crossing` must reproduce bit for bit.
    fn hermite_crossing_by_halving(f0: f64, f1: f64, d0: f64, d1: f64) -> f64 {
        let (mut a, mut b) = (0.0f64, 1.0f64);
        for _ in 0..52 {
            let m = 0.5 * (a + b);
            if hermite(f0, f1, d0, d1, m) < 0.0 {
                a = m;
            } else {
                b = m;
            }
        }
        0.5 * (a + b)
    }

    #[test]
    fn rounds_of_four_halvings_and_batches_match_one_at_a_time_bit_for_bit() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let mut uniform = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let mut cases = Vec::new();
        for i in 0..200_000 {
            // Crossings of every shape: steep and flat (10⁻⁶…10² per
            // step), slopes of either sign (several roots), roots at an end.
            let scale = 10f64.powi((uniform() * 9.0) as i32 - 6);
            let f0 = -uniform() * scale;
            let f1 = if i % 97 == 0 { 0.0 } else { uniform() * scale };
            let d0 = (uniform() - 0.3) * 4.0 * scale;
            let d1 = (uniform() - 0.3) * 4.0 * scale;
            let (got, want) = (
                hermite_crossing(f0, f1, d0, d1),
                hermite_crossing_by_halving(f0, f1, d0, d1),
            );
            assert_eq!(got.to_bits(), want.to_bits(), "{f0} {f1} {d0} {d1}");
            cases.push((f0, f1, d0, d1));
        }
        // Hand-picked edges: a root exactly at a dyadic point the halvings
        // visit (f = 2x − 1, zero at ½: "not below", go left), three roots
        // (steep positive end slopes), a root at 0 and at 1, huge and tiny
        // scales, and NaN slopes (every comparison false: always left).
        for (f0, f1, d0, d1) in [
            (-1.0, 1.0, 2.0, 2.0),
            (-0.25, 0.75, 1.0, 1.0),
            (-1.0, 1.0, 30.0, 30.0),
            (-1e-300, 1.0, 0.0, 0.0),
            (-1.0, 0.0, 0.0, 0.0),
            (-1e300, 1e300, 1e300, -1e300),
            (-1e-310, 1e-310, 0.0, 0.0),
            (-1.0, 1.0, f64::NAN, 0.0),
        ] {
            let (got, want) = (
                hermite_crossing(f0, f1, d0, d1),
                hermite_crossing_by_halving(f0, f1, d0, d1),
            );
            assert_eq!(got.to_bits(), want.to_bits(), "{f0} {f1} {d0} {d1}");
            cases.push((f0, f1, d0, d1));
        }
        // The batched form on them, 32 at a time: the hand-picked ones first
        // (in a batch with random ones), then the random ones but the last
        // few (which `chunks_exact` leaves).
        let hand_picked = cases.len() - 200_000;
        cases.rotate_right(hand_picked);
        for batch in cases.chunks_exact(32) {
            let column = |k: usize| -> [f64; 32] {
                std::array::from_fn(|i| [batch[i].0, batch[i].1, batch[i].2, batch[i].3][k])
            };
            let got = hermite_crossings(&column(0), &column(1), &column(2), &column(3));
            for (&(f0, f1, d0, d1), x) in batch.iter().zip(got) {
                let want = hermite_crossing_by_halving(f0, f1, d0, d1);
                assert_eq!(x.to_bits(), want.to_bits(), "{f0} {f1} {d0} {d1}");
            }
        }
    }
}
