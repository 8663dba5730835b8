//! Helpers shared by the integration tests of spikemc-core.
#![allow(dead_code)]

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use spikemc_core::{
    DetectParams, HhParams, HhState, Method, PoissonInput, Protocol, ProtocolSpec, Rates, Trace,
    TrialError, TrialOutput, run_trial,
};

/// The question's initial state (m, h, n given explicitly, V = −65 mV).
pub const QUESTION_INITIAL: HhState = HhState {
    v: -65.0,
    m: 0.05,
    h: 0.6,
    n: 0.32,
};

/// One Poisson input population.
pub fn input(count: u32, rate_hz: f64, p_transmit: f64, weight: f64) -> PoissonInput {
    PoissonInput {
        count,
        rate_hz,
        p_transmit,
        weight,
    }
}

/// The question's excitatory/inhibitory pair: N·0.8 excitatory and N·0.2
/// inhibitory inputs at 10 Hz, p = 0.5, with jumps `w_exc`, `w_inh` \[mV\].
pub fn exc_inh(n: u32, w_exc: f64, w_inh: f64) -> [PoissonInput; 2] {
    [
        input(n * 4 / 5, 10.0, 0.5, w_exc),
        input(n / 5, 10.0, 0.5, w_inh),
    ]
}

/// A validated protocol; panics with the parameter error if it is invalid.
pub fn protocol(
    params: HhParams,
    method: Method,
    duration_ms: f64,
    dt_ms: f64,
    initial: HhState,
    inputs: &[PoissonInput],
) -> Protocol {
    const NAMES: [&str; 4] = ["exc", "inh", "extra0", "extra1"];
    Protocol::new(ProtocolSpec {
        params,
        method,
        duration_ms,
        dt_ms,
        detect: DetectParams::default(),
        initial,
        inputs: inputs
            .iter()
            .enumerate()
            .map(|(i, x)| (NAMES[i], x))
            .collect(),
    })
    .expect("valid protocol")
}

/// Independent streams for trial `trial` of an experiment tagged `tag`: one
/// per input population, each seeded with a distinct u64 (SplitMix64
/// expands it to the 256-bit xoshiro state).
pub fn streams(tag: u64, trial: u64, n_inputs: usize) -> Vec<Xoshiro256PlusPlus> {
    (0..n_inputs as u64)
        .map(|pop| Xoshiro256PlusPlus::seed_from_u64((tag << 40) ^ (trial << 8) ^ pop))
        .collect()
}

/// Runs one trial without trace.
pub fn run(protocol: &Protocol, tag: u64, trial: u64) -> Result<TrialOutput, TrialError> {
    let mut rngs = streams(tag, trial, protocol.n_inputs());
    let mut out = TrialOutput::default();
    run_trial(protocol, &mut rngs, &mut out, None)?;
    Ok(out)
}

/// Runs one trial recording every `stride`-th step.
pub fn run_traced(
    protocol: &Protocol,
    tag: u64,
    trial: u64,
    stride: u64,
) -> Result<(TrialOutput, Trace), TrialError> {
    let mut rngs = streams(tag, trial, protocol.n_inputs());
    let mut out = TrialOutput::default();
    let mut trace = Trace::default();
    run_trial(protocol, &mut rngs, &mut out, Some((&mut trace, stride)))?;
    Ok((out, trace))
}

/// Total ionic current I_Na + I_K + I_L [µA/cm²] with every gate at x∞(V):
/// the steady-state I–V curve. A resting potential at applied current
/// I_app is a root of I_ss(V) = I_app.
pub fn steady_state_current(p: &HhParams, v: f64) -> f64 {
    let (i_na, i_k, i_l) = p.currents(&HhState::at_rest(v));
    i_na + i_k + i_l
}

/// Root of I_ss(V) − I_app in [lo, hi] by bisection to ~1e-12 mV.
pub fn resting_potential(p: &HhParams, lo: f64, hi: f64) -> f64 {
    let f = |v: f64| steady_state_current(p, v) - p.i_app;
    let (mut a, mut b) = (lo, hi);
    let (fa, fb) = (f(a), f(b));
    assert!(
        fa.signum() != fb.signum(),
        "I_ss − I_app does not change sign on [{lo}, {hi}]: {fa}, {fb}"
    );
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        if f(m).signum() == fa.signum() {
            a = m;
        } else {
            b = m;
        }
        if b - a < 1e-12 {
            break;
        }
    }
    0.5 * (a + b)
}

/// Steady-state gates at V, for documentation of rates used in tests.
pub fn x_inf(v: f64) -> (f64, f64, f64) {
    let r = Rates::at(v);
    (
        r.alpha_m / (r.alpha_m + r.beta_m),
        r.alpha_h / (r.alpha_h + r.beta_h),
        r.alpha_n / (r.alpha_n + r.beta_n),
    )
}
