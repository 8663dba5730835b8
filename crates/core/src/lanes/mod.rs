//! The lanes engine: up to [`LANES`] trials of one protocol advanced
//! together, their states in structure-of-arrays form, the Rush–Larsen step
//! split into short loops over lanes (see `kernel.rs`), compiled three
//! times — for AVX-512 and for AVX2+FMA (the best the CPU has, chosen at run
//! time) and portably — with bit-identical results.
//!
//! Every lane keeps its own trial's random streams, detector and counters
//! and does exactly what [`crate::run_trial`] does for that trial: one
//! Poisson draw per population and step in population order, the jump at
//! the step's end, the same spike detection (with the cubic-Hermite
//! refinement, computed only for lanes that crossed, in batches) and the same
//! divergence check. The arithmetic of a lane never looks at another lane,
//! so a trial's result does not depend on the block it runs in, on its lane,
//! on the other trials or on the instruction set; and `run_trial` itself
//! runs these methods as a 1-lane block, so single-trial runs (replay,
//! traced trials) give the same bits as the ensemble.

/// Defines `block`, [`block_impl`] for `$path` compiled with the target
/// features `$features` enabled (the entry point of one SIMD copy of the
/// engine; chosen at run time by [`Isa::detect`], never called elsewhere).
macro_rules! simd_block_entry {
    ($features:literal, $path:ty, $safety:literal) => {
        use super::{Kernel, block_impl};
        use crate::trial::{Protocol, Recorder, TrialError, TrialOutput};
        use rand_xoshiro::Xoshiro256PlusPlus;

        /// # Safety
        #[doc = $safety]
        #[target_feature(enable = $features)]
        pub(super) unsafe fn block<K: Kernel, const B: usize, R: Recorder, const FULL: bool>(
            kernel: &K,
            protocol: &Protocol,
            rngs: &mut [Xoshiro256PlusPlus],
            outs: &mut [TrialOutput],
            rec: &mut R,
            errors: &mut [Option<TrialError>],
        ) {
            block_impl::<K, B, R, $path, FULL>(kernel, protocol, rngs, outs, rec, errors)
        }

        /// [`crate::trial::hermite_crossings`] on the pending crossings,
        /// compiled with the same features, out of line (once per
        /// [`super::crossings::PENDING`] spikes).
        ///
        /// # Safety
        #[doc = $safety]
        #[target_feature(enable = $features)]
        #[inline(never)]
        pub(super) unsafe fn hermite_crossings(
            c: &super::crossings::PendingCrossings,
        ) -> [f64; super::crossings::PENDING] {
            c.roots()
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod crossings;
pub(crate) mod exp;
pub(crate) mod kernel;
mod streams;
pub(crate) mod table;

use crate::hh::HhState;
use crate::method::Method;
use crate::poisson::{LINEAR_WIDE, MEDIUM, NARROW, NARROW_MAX_SPILL, WINDOW};
use crate::trial::{Protocol, Recorder, TrialError, TrialOutput, V_LIMIT_MV};
use crossings::{PENDING, PendingCrossings};
use kernel::{Consts, Scratch, State};
use rand_xoshiro::Xoshiro256PlusPlus;
use streams::InputLanes;

pub use exp::exp_poly;

/// Trials advanced together in one block of the lanes engine.
pub const LANES: usize = 32;

/// Instruction set of the lanes engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Plain Rust, whatever the target (software FMA where the CPU has none).
    Portable,
    /// x86-64 with AVX2 and FMA.
    Avx2Fma,
    /// x86-64 with AVX-512 F, DQ and VL (and AVX2, FMA): 8 lanes per register.
    Avx512,
}

impl Isa {
    /// The fastest instruction set this CPU supports.
    pub fn detect() -> Isa {
        if Isa::Avx512.is_available() {
            Isa::Avx512
        } else if Isa::Avx2Fma.is_available() {
            Isa::Avx2Fma
        } else {
            Isa::Portable
        }
    }

    /// The name recorded in a run's `_run.json` (`timings.instruction_set`).
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2Fma => "avx2-fma",
            Isa::Avx512 => "avx512",
        }
    }

    /// Whether this CPU can run code for `self`.
    pub fn is_available(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                Isa::Avx2Fma.is_available()
                    && std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512vl")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx2Fma | Isa::Avx512 => false,
        }
    }
}

/// The instruction set a block is compiled for, as a type: the few pieces
/// written with intrinsics pick their version by it at compile time.
pub(crate) trait IsaPath {
    /// True for the AVX2+FMA and AVX-512 blocks (entered only on CPUs with
    /// AVX2 and FMA).
    const AVX2: bool;
    /// True for the AVX-512 block (entered only on CPUs with AVX-512 F, DQ
    /// and VL).
    const AVX512: bool;
    /// [`crate::trial::hermite_crossings`] of the pending crossings,
    /// compiled for this instruction set (same bits on all).
    fn hermite_crossings(c: &PendingCrossings) -> [f64; PENDING];
}

/// Plain Rust.
pub(crate) struct PortablePath;

impl IsaPath for PortablePath {
    const AVX2: bool = false;
    const AVX512: bool = false;
    #[inline(never)]
    fn hermite_crossings(c: &PendingCrossings) -> [f64; PENDING] {
        c.roots()
    }
}

/// [`IsaPath`] for a SIMD block whose entry points (`block`, `hermite_crossings`) are
/// in `$module`.
macro_rules! simd_isa_path {
    ($path:ident, $module:ident, avx512: $avx512:literal) => {
        #[cfg(target_arch = "x86_64")]
        impl IsaPath for $path {
            const AVX2: bool = true;
            const AVX512: bool = $avx512;
            #[inline(always)]
            fn hermite_crossings(c: &PendingCrossings) -> [f64; PENDING] {
                // SAFETY: this path's blocks run only on CPUs with its
                // features (`Isa::detect`), and only they call it.
                unsafe { $module::hermite_crossings(c) }
            }
        }
    };
}

/// The AVX2+FMA block.
#[cfg(target_arch = "x86_64")]
pub(crate) struct Avx2Path;
simd_isa_path!(Avx2Path, avx2, avx512: false);

/// The AVX-512 block (the table's AVX2 cell reads included).
#[cfg(target_arch = "x86_64")]
pub(crate) struct Avx512Path;
simd_isa_path!(Avx512Path, avx512, avx512: true);

/// One integration step over lanes `0..n` of a block.
pub(crate) trait Kernel {
    fn step<const B: usize, X: IsaPath>(&self, s: &mut State<B>, w: &mut Scratch<B>, n: usize);
}

/// Exact Rush–Larsen with shared and polynomial exponentials.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exact(Consts);

impl Kernel for Exact {
    #[inline(always)]
    fn step<const B: usize, X: IsaPath>(&self, s: &mut State<B>, w: &mut Scratch<B>, n: usize) {
        kernel::step_exact(&self.0, s, w, n)
    }
}

/// Rush–Larsen with tabulated gates (opt-in).
#[derive(Debug, Clone)]
pub(crate) struct Table<'a>(Consts, &'a table::GateTable);

impl Kernel for Table<'_> {
    #[inline(always)]
    fn step<const B: usize, X: IsaPath>(&self, s: &mut State<B>, w: &mut Scratch<B>, n: usize) {
        kernel::step_table::<B, X>(&self.0, self.1, s, w, n)
    }
}

/// Whether `method` runs on the lanes engine.
pub(crate) fn has_lanes(method: Method) -> bool {
    matches!(method, Method::RushLarsen | Method::RushLarsenTable)
}

/// Runs `$body` with `$k` bound to the kernel of `$protocol`'s method
/// (chosen once per call, outside every step loop).
macro_rules! with_kernel {
    ($protocol:expr, |$k:ident| $body:expr) => {{
        let consts = Consts::new(&$protocol.params, $protocol.dt_ms);
        match $protocol.method {
            Method::RushLarsenTable => {
                let table = $protocol
                    .gate_table
                    .as_deref()
                    .expect("Protocol::new builds the table for rush-larsen-table");
                let $k = Table(consts, table);
                $body
            }
            _ => {
                let $k = Exact(consts);
                $body
            }
        }
    }};
}

/// Runs trials `outs` of `protocol` (rngs: `outs.len() × n_inputs` streams,
/// trial-major) on `isa`, in blocks of [`LANES`]. Each output is exactly
/// what [`crate::run_trial`] gives for that trial and streams (without
/// trace); the returned vector holds each trial's error, if any.
///
/// # Panics
/// If the stream count does not match or `isa` is not available.
pub fn run_trials_isa(
    isa: Isa,
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    outs: &mut [TrialOutput],
) -> Vec<Result<(), TrialError>> {
    let n_in = protocol.n_inputs();
    assert_eq!(
        rngs.len(),
        outs.len() * n_in,
        "one random stream per trial and input population"
    );
    assert!(isa.is_available(), "{isa:?} is not supported by this CPU");
    if !has_lanes(protocol.method()) {
        return outs
            .iter_mut()
            .enumerate()
            .map(|(k, out)| {
                crate::run_trial(protocol, &mut rngs[k * n_in..(k + 1) * n_in], out, None)
            })
            .collect();
    }
    let mut errors = vec![None; outs.len()];
    let rng_blocks: Box<dyn Iterator<Item = &mut [Xoshiro256PlusPlus]>> = if n_in == 0 {
        Box::new(std::iter::repeat_with(|| &mut [][..]))
    } else {
        Box::new(rngs.chunks_mut(LANES * n_in))
    };
    for ((outs, rngs), errors) in outs
        .chunks_mut(LANES)
        .zip(rng_blocks)
        .zip(errors.chunks_mut(LANES))
    {
        with_kernel!(protocol, |kernel| dispatch::<_, LANES, _>(
            isa, &kernel, protocol, rngs, outs, &mut NoRec, errors
        ));
    }
    errors
        .into_iter()
        .map(|e| match e {
            None => Ok(()),
            Some(e) => Err(e),
        })
        .collect()
}

/// [`run_trials_isa`] on the fastest instruction set of this CPU.
pub fn run_trials(
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    outs: &mut [TrialOutput],
) -> Vec<Result<(), TrialError>> {
    run_trials_isa(Isa::detect(), protocol, rngs, outs)
}

/// One trial of a lanes method as a 1-lane block (used by `run_trial`).
pub(crate) fn run_single<R: Recorder>(
    isa: Isa,
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    out: &mut TrialOutput,
    rec: &mut R,
) -> Result<(), TrialError> {
    let mut err = [None];
    with_kernel!(protocol, |kernel| dispatch::<_, 1, _>(
        isa,
        &kernel,
        protocol,
        rngs,
        std::slice::from_mut(out),
        rec,
        &mut err,
    ));
    match err[0].take() {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

struct NoRec;

impl Recorder for NoRec {
    const ACTIVE: bool = false;
    #[inline(always)]
    fn record(&mut self, _: &crate::HhParams, _: u64, _: f64, _: &HhState, _: f64) {}
}

fn dispatch<K: Kernel, const B: usize, R: Recorder>(
    isa: Isa,
    kernel: &K,
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    outs: &mut [TrialOutput],
    rec: &mut R,
    errors: &mut [Option<TrialError>],
) {
    // A block whose computed width is all of B gets a copy of the loop in
    // which every lane loop has the constant trip count B: the compiler
    // then unrolls them (no counters, constant addresses; 5–7 % fewer
    // instructions per step). Both copies compute the same lanes.
    let full = vector_width::<B>(outs.len()) == B;
    // `$block::<…, FULL>` with FULL = `full`, the same arguments every time.
    macro_rules! by_width {
        ($($block:ident)::+) => {
            if full {
                $($block)::+::<K, B, R, true>(kernel, protocol, rngs, outs, rec, errors)
            } else {
                $($block)::+::<K, B, R, false>(kernel, protocol, rngs, outs, rec, errors)
            }
        };
    }
    assert!(isa.is_available(), "{isa:?} is not supported by this CPU");
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        Isa::Avx2Fma => unsafe { by_width!(avx2::block) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU supports AVX-512 F/DQ/VL, AVX2 and FMA (checked
        // just above).
        Isa::Avx512 => unsafe { by_width!(avx512::block) },
        _ => {
            if full {
                block_impl::<K, B, R, PortablePath, true>(kernel, protocol, rngs, outs, rec, errors)
            } else {
                block_impl::<K, B, R, PortablePath, false>(
                    kernel, protocol, rngs, outs, rec, errors,
                )
            }
        }
    }
}

/// Lanes the kernel computes for a block of `lanes` trials: whole 4-lane
/// vectors, at most B.
fn vector_width<const B: usize>(lanes: usize) -> usize {
    lanes.div_ceil(4).saturating_mul(4).min(B)
}

/// The block loop: `outs.len() ≤ B` trials, all steps. Lane `i` uses
/// `rngs[i·n_in..(i+1)·n_in]`, writes `outs[i]` and, if it diverges,
/// `errors[i]` (it is then dropped from the block). `FULL`: the block's
/// [`vector_width`] is B, known at compile time.
#[inline(always)]
pub(crate) fn block_impl<K: Kernel, const B: usize, R: Recorder, X: IsaPath, const FULL: bool>(
    kernel: &K,
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    outs: &mut [TrialOutput],
    rec: &mut R,
    errors: &mut [Option<TrialError>],
) {
    let lanes = outs.len();
    assert!(lanes <= B && errors.len() == lanes);
    let n_in = protocol.inputs.len();
    assert_eq!(rngs.len(), lanes * n_in);
    if lanes == 0 {
        return;
    }
    // Lanes computed by the kernel: whole 4-lane vectors.
    assert!(!FULL || vector_width::<B>(lanes) == B);
    let width = if FULL { B } else { vector_width::<B>(lanes) };
    let p = &protocol.params;
    let dt = protocol.dt_ms;
    let duration = protocol.duration_ms();
    let threshold = protocol.detect.threshold_mv;
    let init = protocol.initial;
    let inputs = &protocol.inputs[..];
    let mut s = State::<B> {
        v: [init.v; B],
        m: [init.m; B],
        h: [init.h; B],
        n: [init.n; B],
    };
    let mut w = Scratch::<B>::new();
    let levels = crate::detect::Levels::new(&protocol.detect);
    let mut detectors = [crate::SpikeDetector::new(&protocol.detect, init.v); B];
    // Each lane's quiet band (see `QuietBand`): while V stays strictly inside
    // it at both points of a step, neither the detector nor the divergence
    // check has anything to do. Padding lanes get the whole line.
    let band = QuietBand::new(&levels);
    let (mut lo, mut hi) = ([f64::NEG_INFINITY; B], [f64::INFINITY; B]);
    for (lane, d) in detectors[..lanes].iter().enumerate() {
        (lo[lane], hi[lane]) = band.of(d.is_armed());
    }
    let mut alive = [false; B];
    alive[..lanes].fill(true);
    let mut v_smooth = [0.0f64; B];
    // Input: each population's streams in SoA form (written back at the
    // end) with its counts and jump parts per lane; all-ones masks of live
    // lanes.
    let mut input_lanes: Vec<InputLanes<B>> = (0..n_in)
        .map(|j| InputLanes::load(rngs.iter().skip(j).step_by(n_in)))
        .collect();
    // How many thresholds each population compares with: the fewest whose
    // window a draw leaves with probability below NARROW_MAX_SPILL (chosen
    // once per block).
    let fits =
        |j: &usize, w: usize| inputs[*j].sampler.window().spill_probability(w) < NARROW_MAX_SPILL;
    let (narrow, rest): (Vec<usize>, Vec<usize>) = (0..n_in).partition(|j| fits(j, NARROW));
    let (medium, wide): (Vec<usize>, Vec<usize>) = rest.into_iter().partition(|j| fits(j, MEDIUM));
    let mut alive_mask = [0u64; B];
    alive_mask[..lanes].fill(u64::MAX);
    for out in outs.iter_mut() {
        out.spikes_ms.clear();
    }
    let mut pending = PendingCrossings::new(p, threshold, duration);
    for step in 0..protocol.n_steps {
        let t0 = step as f64 * dt;
        let t1 = (step + 1) as f64 * dt;
        let s0 = s;
        kernel.step::<B, X>(&mut s, &mut w, width);
        // Input: one draw per population, every lane from its own stream
        // (dead lanes draw too, but count nothing; their results are
        // discarded); by window size, narrow, medium, wide; the jump sums
        // the parts in population order, exactly as one draw after the
        // other would.
        macro_rules! draw_populations {
            ($populations:expr, $window:expr) => {
                for &j in &$populations {
                    input_lanes[j].draw_complete::<$window, X>(
                        &inputs[j].sampler,
                        inputs[j].weight_mv,
                        width,
                        lanes,
                        &alive_mask,
                    );
                }
            };
        }
        draw_populations!(narrow, NARROW);
        draw_populations!(medium, MEDIUM);
        // All of the window where its size costs nothing (the AVX-512
        // binary search), the linear count's widest elsewhere.
        if X::AVX512 {
            draw_populations!(wide, WINDOW);
        } else {
            draw_populations!(wide, LINEAR_WIDE);
        }
        let mut jump = [0.0f64; B];
        for input in &input_lanes {
            for (total, p) in jump[..width].iter_mut().zip(&input.part[..width]) {
                *total += p;
            }
        }
        // Jumps, and whether some lane left its quiet band (the detector may
        // fire or re-arm, or V left ±V_LIMIT_MV or is NaN). Written with
        // masks and no short-circuits, so that it is one vector loop over
        // whole vectors (padding lanes get no jump).
        let mut any = 0u64;
        for i in 0..width {
            let vs = s.v[i];
            let ve = vs + f64::from_bits(jump[i].to_bits() & alive_mask[i]);
            v_smooth[i] = vs;
            s.v[i] = ve;
            any |= !in_band(lo[i], hi[i], vs, ve) as u64;
        }
        if !(any != 0 || R::ACTIVE) {
            continue;
        }
        if R::ACTIVE && alive[0] {
            let now = HhState {
                v: s.v[0],
                m: s.m[0],
                h: s.h[0],
                n: s.n[0],
            };
            rec.record(p, step, t1, &now, jump[0]);
        }
        // The lanes that left their band (only they can fire, re-arm or
        // diverge: the band lies inside ±V_LIMIT_MV), as a bit mask built
        // by a second short vector pass on the few steps that need one, then
        // visited in order — rather than a walk over all lanes testing each,
        // whose test is mispredicted at every leaving lane.
        const { assert!(B <= 64) };
        let mut leaving = 0u64;
        for i in 0..lanes {
            leaving |= (!in_band(lo[i], hi[i], v_smooth[i], s.v[i]) as u64) << i;
        }
        while leaving != 0 {
            let lane = leaving.trailing_zeros() as usize;
            leaving &= leaving - 1;
            if !alive[lane] {
                continue;
            }
            let v_end = s.v[lane];
            let vs = v_smooth[lane];
            let v0 = s0.v[lane];
            let spike = detectors[lane].observe(t0, t1 - t0, v0, vs, v_end);
            (lo[lane], hi[lane]) = band.of(detectors[lane].is_armed());
            if let Some(t) = spike {
                if vs >= threshold && v0 < threshold {
                    // The smooth part crossed: the time from the cubic
                    // Hermite interpolant (as in `run_trial`), computed
                    // later with other lanes' crossings.
                    let start = HhState {
                        v: v0,
                        m: s0.m[lane],
                        h: s0.h[lane],
                        n: s0.n[lane],
                    };
                    let end = HhState {
                        v: vs,
                        m: s.m[lane],
                        h: s.h[lane],
                        n: s.n[lane],
                    };
                    pending.push::<X>(outs, lane, (t0, t1), &start, &end);
                } else if t < duration {
                    outs[lane].spikes_ms.push(t);
                }
            }
            if !(v_end.abs() < V_LIMIT_MV) {
                errors[lane] = Some(TrialError::Diverged {
                    t_ms: t1,
                    v_mv: v_end,
                    method: protocol.method.name(),
                    dt_ms: dt,
                });
                alive[lane] = false;
                alive_mask[lane] = 0;
                (lo[lane], hi[lane]) = (f64::NEG_INFINITY, f64::INFINITY);
                // Park the lane at the initial state so it stays finite.
                s.v[lane] = init.v;
                s.m[lane] = init.m;
                s.h[lane] = init.h;
                s.n[lane] = init.n;
                if !alive[..lanes].iter().any(|&a| a) {
                    break;
                }
            }
        }
        if !alive[..lanes].iter().any(|&a| a) {
            break;
        }
    }
    pending.flush::<X>(outs);
    for (j, input) in input_lanes.iter().enumerate() {
        input.store(rngs.iter_mut().skip(j).step_by(n_in));
    }
    for (lane, out) in outs.iter_mut().enumerate() {
        out.input_counts.clear();
        out.input_counts
            .extend(input_lanes.iter().map(|input| input.counts[lane]));
    }
}

/// The band of V in which a lane's step needs no scalar look: a step whose
/// V before and after the jump both lie strictly inside (lo, hi) cannot
/// make the detector fire or re-arm and is not a divergence. The band is a
/// filter only — [`crate::SpikeDetector::observe`] still decides — so it
/// may be narrower than necessary, never wider:
/// - armed: hi = min(cross_smooth, cross_jump, V_LIMIT_MV) (a crossing
///   needs v_smooth ≥ cross_smooth or v_end ≥ cross_jump), lo = −V_LIMIT_MV;
/// - disarmed: lo = max(rearm_below, −V_LIMIT_MV) (re-arming needs one of
///   the two points below rearm_below, see `Levels::rearms`; the band then
///   excludes rearm_below itself too), hi = V_LIMIT_MV.
///
/// Four compares per lane, for any detector rule, in place of the rule's
/// crossing, re-arm and divergence tests on every step.
#[derive(Debug, Clone, Copy)]
struct QuietBand {
    armed: (f64, f64),
    disarmed: (f64, f64),
}

impl QuietBand {
    fn new(l: &crate::detect::Levels) -> Self {
        Self {
            armed: (
                -V_LIMIT_MV,
                l.cross_smooth.min(l.cross_jump).min(V_LIMIT_MV),
            ),
            disarmed: (l.rearm_below.max(-V_LIMIT_MV), V_LIMIT_MV),
        }
    }

    /// (lo, hi) of a detector in this arming state.
    fn of(&self, armed: bool) -> (f64, f64) {
        if armed { self.armed } else { self.disarmed }
    }
}

/// Whether both points lie strictly inside (lo, hi) (false for NaN).
#[inline(always)]
fn in_band(lo: f64, hi: f64, v_smooth: f64, v_end: f64) -> bool {
    (v_smooth > lo) & (v_end > lo) & (v_smooth < hi) & (v_end < hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SpikeDetector;
    use crate::detect::{DetectParams, DetectRule};

    /// The quiet band never hides a step the detector acts on: for both
    /// rules and both arming states, over every level, its neighbouring
    /// doubles, ±V_LIMIT_MV, infinities and NaN as v_smooth and v_end, a
    /// step that fires, re-arms or leaves ±V_LIMIT_MV is outside the band.
    #[test]
    fn quiet_band_never_hides_a_detector_event() {
        for rule in [DetectRule::Hysteresis, DetectRule::PreKick] {
            for (threshold_mv, rearm_mv) in [(0.0, -30.0), (0.0, 0.0), (-20.0, -20.5)] {
                let p = DetectParams {
                    threshold_mv,
                    rearm_mv,
                    rule,
                };
                if p.validate().is_err() {
                    continue;
                }
                let levels = crate::detect::Levels::new(&p);
                let band = QuietBand::new(&levels);
                let mut points = vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -65.0];
                for x in [threshold_mv, rearm_mv, V_LIMIT_MV, -V_LIMIT_MV] {
                    points.extend([x, x.next_up(), x.next_down(), x + 0.5, x - 0.5]);
                }
                let armed = SpikeDetector::new(&p, -65.0);
                let mut disarmed = armed;
                assert!(disarmed.observe(0.0, 0.01, -65.0, 10.0, 10.0).is_some());
                let mut checked = 0;
                for detector in [armed, disarmed] {
                    let (lo, hi) = band.of(detector.is_armed());
                    for &vs in &points {
                        for &ve in &points {
                            let mut d = detector;
                            let spike = d.observe(1.0, 0.01, -65.0, vs, ve);
                            let acts = spike.is_some() || d.is_armed() != detector.is_armed();
                            if acts || !(ve.abs() < V_LIMIT_MV) {
                                checked += 1;
                                assert!(
                                    !in_band(lo, hi, vs, ve),
                                    "{p:?} armed {}: ({vs}, {ve}) hidden by ({lo}, {hi})",
                                    detector.is_armed()
                                );
                            }
                        }
                    }
                }
                assert!(checked > 100, "{p:?}: only {checked} events probed");
            }
        }
    }
}
