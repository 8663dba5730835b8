//! The generic trial loop: any [`Model`] × any [`Synapse`] × any
//! [`GenericStepper`], one trial at a time, monomorphised once per trial
//! (no configuration is looked at inside the step loop).
//!
//! It runs every protocol that is not the default (HH 1952 with delta
//! synapses), which runs on the lanes engine or on `trial::simulate`.
//! Grid timing as everywhere: a step's input events, drawn per population
//! in stream order exactly as on the default path, act at the step's end:
//! delta synapses make V jump, the others increment their synaptic variable
//! after it has been advanced over the step.

use crate::detect::SpikeDetector;
use crate::hh::HhState;
use crate::method::{Euler, Method, Rk4, RushLarsen};
use crate::models::{Model, Neuron};
use crate::ode::{DenseStep, OdeSystem, Rk45};
use crate::process::{ProcessState, uniform};
use crate::synapse::{
    AlphaCond, AlphaCurrent, Channel, ChannelState, Delta, ExpCond, ExpCurrent, Stage, Synapse,
    SynapseKind,
};
use crate::trial::Timing;
use crate::trial::{Protocol, Trace, TrialError, TrialOutput, V_LIMIT_MV, hermite_crossing};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::ops::ControlFlow;

/// One step of a model with synapses, V and gates together.
pub(crate) trait GenericStepper {
    /// Advances `s` by `dt` with the synaptic drive of channels `ch` whose
    /// state at the step's start is `st`.
    fn step<M: Model, S: Synapse>(
        m: &M,
        ch: &[Channel],
        st: &[ChannelState],
        s: &mut HhState,
        dt: f64,
    );
}

/// dV/dt and the gate derivatives at `s` with the synaptic drive at `stage`.
#[inline(always)]
fn derivative<M: Model, S: Synapse>(
    m: &M,
    ch: &[Channel],
    st: &[ChannelState],
    s: &HhState,
    stage: Stage,
) -> HhState {
    let (g, a) = m.membrane(s);
    let (gs, as_) = S::drive(ch, st, stage);
    let mut d = m.gate_derivative(s);
    d.v = (a + as_ - (g + gs) * s.v) / m.c_m();
    d
}

impl GenericStepper for Euler {
    #[inline(always)]
    fn step<M: Model, S: Synapse>(
        m: &M,
        ch: &[Channel],
        st: &[ChannelState],
        s: &mut HhState,
        dt: f64,
    ) {
        let d = derivative::<M, S>(m, ch, st, s, Stage::Start);
        *s = s.add_scaled(&d, dt);
    }
}

impl GenericStepper for Rk4 {
    #[inline(always)]
    fn step<M: Model, S: Synapse>(
        m: &M,
        ch: &[Channel],
        st: &[ChannelState],
        s: &mut HhState,
        dt: f64,
    ) {
        // The synaptic variables are known exactly inside the step, so each
        // stage sees g(t0 + c·dt) for its own c: RK4 keeps its order.
        let k1 = derivative::<M, S>(m, ch, st, s, Stage::Start);
        let k2 = derivative::<M, S>(m, ch, st, &s.add_scaled(&k1, 0.5 * dt), Stage::Half);
        let k3 = derivative::<M, S>(m, ch, st, &s.add_scaled(&k2, 0.5 * dt), Stage::Half);
        let k4 = derivative::<M, S>(m, ch, st, &s.add_scaled(&k3, dt), Stage::End);
        let c = dt / 6.0;
        *s = HhState {
            v: s.v + c * (k1.v + 2.0 * k2.v + 2.0 * k3.v + k4.v),
            m: s.m + c * (k1.m + 2.0 * k2.m + 2.0 * k3.m + k4.m),
            h: s.h + c * (k1.h + 2.0 * k2.h + 2.0 * k3.h + k4.h),
            n: s.n + c * (k1.n + 2.0 * k2.n + 2.0 * k3.n + k4.n),
        };
    }
}

impl GenericStepper for RushLarsen {
    #[inline(always)]
    fn step<M: Model, S: Synapse>(
        m: &M,
        ch: &[Channel],
        st: &[ChannelState],
        s: &mut HhState,
        dt: f64,
    ) {
        // Gates exactly with V frozen; V exactly with gates and synaptic
        // conductances frozen at the step's start: C V' = A − G·V.
        let (g, a) = m.membrane(s);
        let (gs, as_) = S::drive(ch, st, Stage::Start);
        let g_tot = g + gs;
        let v_inf = (a + as_) / g_tot;
        let v = v_inf + (s.v - v_inf) * (-dt * g_tot / m.c_m()).exp();
        *s = HhState {
            v,
            ..m.gates_exact(s, dt)
        };
    }
}

/// How a step's input counts are drawn, chosen once per trial.
pub(crate) trait Draw {
    /// Per-trial state; `rngs` are at the trial's start; `record`: collect
    /// the source spikes of the populations that ask for it.
    fn start(protocol: &Protocol, rngs: &mut [Xoshiro256PlusPlus], record: bool) -> Self;
    /// The collected source spikes (population, source, t).
    fn take_sources(&mut self) -> Vec<(u32, u32, f64)> {
        Vec::new()
    }
    /// Transmitted events of population `i` in [t0, t1).
    fn count(
        &mut self,
        protocol: &Protocol,
        i: usize,
        rng: &mut Xoshiro256PlusPlus,
        t0: f64,
        t1: f64,
    ) -> u32;
    /// Exact timing: pushes (time, population) of every transmitted event
    /// of population `i` in [t0, t1) to `buf`. Superposed Poisson: the
    /// count's draw, then one uniform time per event.
    fn events(
        &mut self,
        protocol: &Protocol,
        i: usize,
        rng: &mut Xoshiro256PlusPlus,
        t0: f64,
        t1: f64,
        buf: &mut Vec<(f64, usize)>,
    );
}

/// Superposed Poisson events of population `i` at uniform times in [t0, t1).
#[inline]
fn poisson_events(
    protocol: &Protocol,
    i: usize,
    rng: &mut Xoshiro256PlusPlus,
    t0: f64,
    t1: f64,
    buf: &mut Vec<(f64, usize)>,
) {
    let k = protocol.inputs[i].sampler.sample(rng);
    for _ in 0..k {
        buf.push((t0 + uniform(rng) * (t1 - t0), i));
    }
}

/// Every population superposed homogeneous Poisson: one table draw each.
struct PoissonDraw;

impl Draw for PoissonDraw {
    fn start(_: &Protocol, _: &mut [Xoshiro256PlusPlus], _: bool) -> Self {
        PoissonDraw
    }
    #[inline(always)]
    fn count(
        &mut self,
        protocol: &Protocol,
        i: usize,
        rng: &mut Xoshiro256PlusPlus,
        _: f64,
        _: f64,
    ) -> u32 {
        protocol.inputs[i].sampler.sample(rng)
    }
    fn events(
        &mut self,
        protocol: &Protocol,
        i: usize,
        rng: &mut Xoshiro256PlusPlus,
        t0: f64,
        t1: f64,
        buf: &mut Vec<(f64, usize)>,
    ) {
        poisson_events(protocol, i, rng, t0, t1, buf);
    }
}

/// Some population has another process: each population's own (the match
/// is per population, on its fixed kind, so it is always predicted).
struct ProcessDraw {
    states: Vec<ProcessState>,
    /// Per population: collect its source spikes.
    record: Vec<bool>,
    sources: Vec<(u32, u32, f64)>,
}

impl Draw for ProcessDraw {
    fn start(protocol: &Protocol, rngs: &mut [Xoshiro256PlusPlus], record: bool) -> Self {
        ProcessDraw {
            states: protocol
                .processes
                .iter()
                .zip(rngs.iter_mut())
                .map(|(p, rng)| p.start(rng))
                .collect(),
            record: protocol
                .record_sources
                .iter()
                .map(|&r| r && record)
                .collect(),
            sources: Vec::new(),
        }
    }
    fn take_sources(&mut self) -> Vec<(u32, u32, f64)> {
        std::mem::take(&mut self.sources)
    }
    #[inline(always)]
    fn count(
        &mut self,
        protocol: &Protocol,
        i: usize,
        rng: &mut Xoshiro256PlusPlus,
        t0: f64,
        t1: f64,
    ) -> u32 {
        let p = &protocol.processes[i];
        if p.is_poisson() {
            protocol.inputs[i].sampler.sample(rng)
        } else if self.record[i] {
            let sources = &mut self.sources;
            p.step(&mut self.states[i], rng, t0, t1, |id, t| {
                sources.push((i as u32, id, t))
            })
        } else {
            p.step(&mut self.states[i], rng, t0, t1, |_, _| {})
        }
    }
    fn events(
        &mut self,
        protocol: &Protocol,
        i: usize,
        rng: &mut Xoshiro256PlusPlus,
        t0: f64,
        t1: f64,
        buf: &mut Vec<(f64, usize)>,
    ) {
        let p = &protocol.processes[i];
        if p.is_poisson() {
            poisson_events(protocol, i, rng, t0, t1, buf);
        } else {
            let (record, sources) = (self.record[i], &mut self.sources);
            p.step(&mut self.states[i], rng, t0, t1, |id, t| {
                buf.push((t, i));
                if record {
                    sources.push((i as u32, id, t));
                }
            });
        }
    }
}

/// Trace sampling of the generic loop.
pub(crate) trait GenericRecorder {
    /// False for recorders that ignore every sample.
    const ACTIVE: bool;
    /// Stores the trial's source spikes.
    fn sources(&mut self, _: Vec<(u32, u32, f64)>) {}
    fn record<M: Model, S: Synapse>(
        &mut self,
        m: &M,
        syn: (&[Channel], &[ChannelState]),
        step: u64,
        t: f64,
        s: &HhState,
        jump_mv: f64,
    );
}

struct NoTrace;

impl GenericRecorder for NoTrace {
    const ACTIVE: bool = false;
    #[inline(always)]
    fn record<M: Model, S: Synapse>(
        &mut self,
        _: &M,
        _: (&[Channel], &[ChannelState]),
        _: u64,
        _: f64,
        _: &HhState,
        _: f64,
    ) {
    }
}

struct Sampler<'a> {
    trace: &'a mut Trace,
    stride: u64,
    jump_sum: f64,
    gates: bool,
}

impl Sampler<'_> {
    fn push<M: Model, S: Synapse>(
        &mut self,
        m: &M,
        ch: &[Channel],
        st: &[ChannelState],
        t: f64,
        s: &HhState,
        i_delta: f64,
    ) {
        let tr = &mut *self.trace;
        let (i_na, i_k, i_l) = m.currents(s);
        let nan = f64::NAN;
        tr.t_ms.push(t);
        tr.v_mv.push(s.v);
        tr.m.push(if self.gates { s.m } else { nan });
        tr.h.push(if self.gates { s.h } else { nan });
        tr.n.push(if self.gates { s.n } else { nan });
        tr.i_na.push(if self.gates { i_na } else { nan });
        tr.i_k.push(if self.gates { i_k } else { nan });
        tr.i_l.push(i_l);
        let i_syn = if S::DELTA {
            i_delta
        } else {
            let (g, a) = S::drive(ch, st, Stage::Start);
            a - g * s.v
        };
        tr.i_syn.push(i_syn);
        if !S::DELTA {
            tr.syn.resize(ch.len(), Vec::new());
            for (col, c) in tr.syn.iter_mut().zip(st) {
                col.push(c.g);
            }
        }
    }
}

impl GenericRecorder for Sampler<'_> {
    const ACTIVE: bool = true;
    fn sources(&mut self, s: Vec<(u32, u32, f64)>) {
        self.trace.source_spikes = s;
    }
    #[inline(always)]
    fn record<M: Model, S: Synapse>(
        &mut self,
        m: &M,
        (ch, st): (&[Channel], &[ChannelState]),
        step: u64,
        t: f64,
        s: &HhState,
        jump_mv: f64,
    ) {
        self.jump_sum += jump_mv;
        if (step + 1).is_multiple_of(self.stride) {
            let interval = self.stride as f64 * (t / (step + 1) as f64);
            let i_delta = m.c_m() * self.jump_sum / interval;
            self.push::<M, S>(m, ch, st, t, s, i_delta);
            self.jump_sum = 0.0;
        }
    }
}

/// Runs one trial of a non-default protocol (see [`crate::run_trial`]).
pub(crate) fn run(
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    out: &mut TrialOutput,
    trace: Option<(&mut Trace, u64)>,
) -> Result<(), TrialError> {
    match trace {
        None => by_neuron(protocol, rngs, out, &mut NoTrace),
        Some((buf, stride)) => {
            *buf = Trace::default();
            let mut rec = Sampler {
                trace: buf,
                stride: stride.max(1),
                jump_sum: 0.0,
                gates: protocol.neuron.has_gates(),
            };
            let zero = vec![ChannelState::default(); protocol.channels.len()];
            macro_rules! first {
                ($m:expr) => {
                    match protocol.synapse.kind {
                        SynapseKind::Delta => rec.push::<_, Delta>(
                            $m,
                            &protocol.channels,
                            &zero,
                            0.0,
                            &protocol.initial,
                            0.0,
                        ),
                        _ => rec.push::<_, ExpCurrent>(
                            $m,
                            &protocol.channels,
                            &zero,
                            0.0,
                            &protocol.initial,
                            0.0,
                        ),
                    }
                };
            }
            match &protocol.neuron {
                Neuron::Hh(p) => first!(p),
                Neuron::TraubMiles(p) => first!(p),
                Neuron::Lif(p) => first!(p),
                Neuron::Passive(p) => first!(p),
            }
            by_neuron(protocol, rngs, out, &mut rec)
        }
    }
}

fn by_neuron<R: GenericRecorder>(
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    out: &mut TrialOutput,
    rec: &mut R,
) -> Result<(), TrialError> {
    match &protocol.neuron {
        Neuron::Hh(p) => by_synapse(p, protocol, rngs, out, rec),
        Neuron::TraubMiles(p) => by_synapse(p, protocol, rngs, out, rec),
        Neuron::Lif(p) => by_synapse(p, protocol, rngs, out, rec),
        Neuron::Passive(p) => by_synapse(p, protocol, rngs, out, rec),
    }
}

fn by_synapse<M: Model, R: GenericRecorder>(
    m: &M,
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    out: &mut TrialOutput,
    rec: &mut R,
) -> Result<(), TrialError> {
    match protocol.synapse.kind {
        SynapseKind::Delta => by_method::<M, Delta, R>(m, protocol, rngs, out, rec),
        SynapseKind::ExpCurrent => by_method::<M, ExpCurrent, R>(m, protocol, rngs, out, rec),
        SynapseKind::ExpConductance => by_method::<M, ExpCond, R>(m, protocol, rngs, out, rec),
        SynapseKind::AlphaCurrent => by_method::<M, AlphaCurrent, R>(m, protocol, rngs, out, rec),
        SynapseKind::AlphaConductance => by_method::<M, AlphaCond, R>(m, protocol, rngs, out, rec),
    }
}

fn by_method<M: Model, S: Synapse, R: GenericRecorder>(
    m: &M,
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    out: &mut TrialOutput,
    rec: &mut R,
) -> Result<(), TrialError> {
    if protocol.processes.iter().all(|p| p.is_poisson()) {
        by_draw::<M, S, PoissonDraw, R>(m, protocol, rngs, out, rec)
    } else {
        by_draw::<M, S, ProcessDraw, R>(m, protocol, rngs, out, rec)
    }
}

fn by_draw<M: Model, S: Synapse, D: Draw, R: GenericRecorder>(
    m: &M,
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    out: &mut TrialOutput,
    rec: &mut R,
) -> Result<(), TrialError> {
    match protocol.method {
        Method::Euler => simulate::<M, S, Euler, D, R>(m, protocol, rngs, out, rec),
        Method::Rk4 => simulate::<M, S, Rk4, D, R>(m, protocol, rngs, out, rec),
        // The generic path has no vectorized engine and no gate table:
        // every Rush–Larsen variant is the plain scheme here.
        Method::RushLarsen | Method::RushLarsenReference | Method::RushLarsenTable => {
            simulate::<M, S, RushLarsen, D, R>(m, protocol, rngs, out, rec)
        }
        Method::Rk45 => simulate_rk45::<M, S, D, R>(m, protocol, rngs, out, rec),
    }
}

/// The neuron as an ODE system for [`Rk45`]: y = (V, m, h, n), with the
/// synaptic drive known exactly from the channels' state `st` at `t_seg`.
struct ModelSystem<'a, M, S> {
    m: &'a M,
    ch: &'a [Channel],
    st: &'a [ChannelState],
    t_seg: f64,
    syn: std::marker::PhantomData<S>,
}

impl<M: Model, S: Synapse> OdeSystem for ModelSystem<'_, M, S> {
    fn dim(&self) -> usize {
        4
    }
    #[inline]
    fn rhs(&self, t_ms: f64, y: &[f64], dy: &mut [f64]) {
        let s = HhState {
            v: y[0],
            m: y[1],
            h: y[2],
            n: y[3],
        };
        let (g, a) = self.m.membrane(&s);
        let (gs, as_) = S::drive_after(self.ch, self.st, t_ms - self.t_seg);
        let d = self.m.gate_derivative(&s);
        dy[0] = (a + as_ - (g + gs) * s.v) / self.m.c_m();
        dy[1] = d.m;
        dy[2] = d.h;
        dy[3] = d.n;
    }
}

/// Spike detection on the continuous extension, with the detector's
/// hysteresis: a crossing disarms, V below `rearm_mv` at a step end re-arms.
struct DenseDetector {
    threshold: f64,
    rearm: f64,
    armed: bool,
}

impl DenseDetector {
    fn on_step(&mut self, step: &DenseStep<'_>, duration: f64, spikes: &mut Vec<f64>) {
        if self.armed
            && let Some(t) = step.upward_crossing(0, self.threshold)
        {
            self.armed = false;
            if t < duration {
                spikes.push(t);
            }
        }
        if !self.armed && step.y1[0] < self.rearm {
            self.armed = true;
        }
    }

    /// After a jump of V at `t`.
    fn on_jump(&mut self, t: f64, v: f64, duration: f64, spikes: &mut Vec<f64>) {
        if self.armed && v >= self.threshold {
            self.armed = false;
            if t < duration {
                spikes.push(t);
            }
        } else if !self.armed && v < self.rearm {
            self.armed = true;
        }
    }
}

/// Integrates `y` over `span` = (t, t_end) with the synaptic state `st`
/// as it is at t (known exactly in between: it only decays), locating
/// spikes on the dense output.
#[allow(clippy::too_many_arguments)]
fn segment<M: Model, S: Synapse>(
    m: &M,
    ch: &[Channel],
    st: &[ChannelState],
    rk: &mut Rk45,
    y: &mut [f64; 4],
    (t, t_end): (f64, f64),
    det: &mut DenseDetector,
    duration: f64,
    spikes: &mut Vec<f64>,
) -> Result<(), TrialError> {
    let sys = ModelSystem::<M, S> {
        m,
        ch,
        st,
        t_seg: t,
        syn: std::marker::PhantomData,
    };
    rk.integrate(&sys, t, y, t_end, |d| {
        det.on_step(d, duration, spikes);
        ControlFlow::Continue(())
    })?;
    Ok(())
}

/// `method = "rk45"`: the adaptive integrator from event to event. With
/// grid timing the events of a step act at its end (as every method); with
/// exact timing each at its own time, in time order (ties: population
/// order). Spikes are located on the integrator's continuous extension.
fn simulate_rk45<M: Model, S: Synapse, D: Draw, R: GenericRecorder>(
    m: &M,
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    out: &mut TrialOutput,
    rec: &mut R,
) -> Result<(), TrialError> {
    let dt = protocol.dt_ms;
    let duration = protocol.duration_ms();
    let s0 = protocol.initial;
    let mut y = [s0.v, s0.m, s0.h, s0.n];
    let ch = &protocol.channels[..];
    let mut st = vec![ChannelState::default(); ch.len()];
    let mut rk = Rk45::new(4, protocol.rk45);
    let mut det = DenseDetector {
        threshold: protocol.detect.threshold_mv,
        rearm: protocol.detect.rearm_mv,
        armed: s0.v < protocol.detect.threshold_mv,
    };
    let exact = protocol.timing == Timing::Exact;
    let mut draw = D::start(protocol, rngs, R::ACTIVE);
    let mut events: Vec<(f64, usize)> = Vec::with_capacity(64);
    let spikes = &mut out.spikes_ms;
    let state = |y: &[f64; 4]| HhState {
        v: y[0],
        m: y[1],
        h: y[2],
        n: y[3],
    };
    for step in 0..protocol.n_steps {
        let t0 = step as f64 * dt;
        let t1 = (step + 1) as f64 * dt;
        let mut jump_total = 0.0;
        if exact {
            events.clear();
            for (i, rng) in rngs.iter_mut().enumerate() {
                draw.events(protocol, i, rng, t0, t1, &mut events);
            }
            events.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut t = t0;
            for &(te, i) in &events {
                segment::<M, S>(
                    m,
                    ch,
                    &st,
                    &mut rk,
                    &mut y,
                    (t, te),
                    &mut det,
                    duration,
                    spikes,
                )?;
                S::decay_by(ch, &mut st, te - t);
                t = te;
                out.input_counts[i] += 1;
                if S::DELTA {
                    let w = protocol.inputs[i].weight_mv;
                    y[0] += w;
                    jump_total += w;
                    det.on_jump(te, y[0], duration, spikes);
                } else {
                    S::arrive(&ch[i], &mut st[i], 1.0);
                }
            }
            segment::<M, S>(
                m,
                ch,
                &st,
                &mut rk,
                &mut y,
                (t, t1),
                &mut det,
                duration,
                spikes,
            )?;
            S::decay_by(ch, &mut st, t1 - t);
        } else {
            segment::<M, S>(
                m,
                ch,
                &st,
                &mut rk,
                &mut y,
                (t0, t1),
                &mut det,
                duration,
                spikes,
            )?;
            S::decay(ch, &mut st);
            for (i, (rng, count)) in rngs.iter_mut().zip(out.input_counts.iter_mut()).enumerate() {
                let k = draw.count(protocol, i, rng, t0, t1);
                *count += k as u64;
                if S::DELTA {
                    jump_total += protocol.inputs[i].weight_mv * k as f64;
                } else {
                    S::arrive(&ch[i], &mut st[i], k as f64);
                }
            }
            if S::DELTA && jump_total != 0.0 {
                y[0] += jump_total;
                det.on_jump(t1, y[0], duration, spikes);
            }
        }
        let s = state(&y);
        rec.record::<M, S>(m, (ch, &st), step, t1, &s, jump_total);
        if !(s.v.abs() < V_LIMIT_MV) {
            return Err(TrialError::Diverged {
                t_ms: t1,
                v_mv: s.v,
                method: protocol.method.name(),
                dt_ms: dt,
            });
        }
    }
    rec.sources(draw.take_sources());
    Ok(())
}

/// The per-step loop of the generic path.
fn simulate<M: Model, S: Synapse, St: GenericStepper, D: Draw, R: GenericRecorder>(
    m: &M,
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    out: &mut TrialOutput,
    rec: &mut R,
) -> Result<(), TrialError> {
    let dt = protocol.dt_ms;
    let duration = protocol.duration_ms();
    let mut s = protocol.initial;
    let mut detector = SpikeDetector::new(&protocol.detect, s.v);
    let threshold_mv = protocol.detect.threshold_mv;
    let inputs = &protocol.inputs[..];
    let ch = &protocol.channels[..];
    let mut st = vec![ChannelState::default(); ch.len()];
    let counts = &mut out.input_counts[..];
    // Threshold models (LIF): θ, reset and the refractory period in steps.
    let fire = m.threshold();
    let ref_steps = fire.map_or(0, |(_, _, t_ref)| (t_ref / dt).round() as u64);
    let mut held = 0u64;
    let mut draw = D::start(protocol, rngs, R::ACTIVE);
    for step in 0..protocol.n_steps {
        let t0 = step as f64 * dt;
        let s0 = s;
        let st0_drive = S::drive(ch, &st, Stage::Start);
        if held == 0 {
            St::step::<M, S>(m, ch, &st, &mut s, dt);
        }
        // The synaptic drive at the step's end before its events, for the
        // spike-time refinement (zero for delta synapses).
        let end_drive = S::drive(ch, &st, Stage::End);
        S::decay(ch, &mut st);
        let v_smooth = s.v;
        let mut jump = 0.0;
        let t1 = (step + 1) as f64 * dt;
        for (i, (((input, rng), count), (c, cs))) in inputs
            .iter()
            .zip(rngs.iter_mut())
            .zip(counts.iter_mut())
            .zip(ch.iter().zip(st.iter_mut()))
            .enumerate()
        {
            let k = draw.count(protocol, i, rng, t0, t1);
            *count += k as u64;
            if S::DELTA {
                jump += input.weight_mv * k as f64;
            } else {
                S::arrive(c, cs, k as f64);
            }
        }
        if let Some((theta, reset, _)) = fire {
            if held > 0 {
                // V is held at the reset level; input is lost.
                held -= 1;
            } else {
                s.v += jump;
                if s.v >= theta {
                    if t1 < duration {
                        out.spikes_ms.push(t1);
                    }
                    s.v = reset;
                    held = ref_steps;
                }
            }
        } else {
            s.v += jump;
            if let Some(mut t) = detector.observe(t0, dt, s0.v, v_smooth, s.v) {
                if v_smooth >= threshold_mv && s0.v < threshold_mv {
                    // Cubic Hermite refinement, as on the default path.
                    let dv = |x: &HhState, (gs, as_): (f64, f64)| {
                        let (g, a) = m.membrane(x);
                        (a + as_ - (g + gs) * x.v) / m.c_m()
                    };
                    let end = HhState { v: v_smooth, ..s };
                    let dv0 = dv(&s0, st0_drive);
                    let dv1 = dv(&end, end_drive);
                    t = t0
                        + dt * hermite_crossing(
                            s0.v - threshold_mv,
                            v_smooth - threshold_mv,
                            dv0 * dt,
                            dv1 * dt,
                        );
                }
                if t < duration {
                    out.spikes_ms.push(t);
                }
            }
        }
        rec.record::<M, S>(m, (ch, &st), step, t1, &s, jump);
        if !(s.v.abs() < V_LIMIT_MV) {
            return Err(TrialError::Diverged {
                t_ms: t1,
                v_mv: s.v,
                method: protocol.method.name(),
                dt_ms: dt,
            });
        }
    }
    rec.sources(draw.take_sources());
    Ok(())
}
