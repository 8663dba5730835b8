//! Numerical behaviour of the integrators inside `run_trial`: the resting
//! state, convergence of spike times as dt shrinks, and blow-up reporting.

mod common;

use common::*;
use spikemc_core::{HhParams, HhState, Method, Trace, TrialError, V_LIMIT_MV};

/// The resting potential at I_app = 0 is the root of the steady-state I–V
/// curve I_ss(V) = I_Na + I_K + I_L (all gates at x∞(V)). With no input and
/// no applied current every method must settle there (it is a fixed point of
/// Euler, RK4 and Rush–Larsen alike: all three leave a state with zero
/// derivative unchanged), stay within 0.1 mV of the −65 mV convention the
/// question's E_L = −54.387 mV was chosen for, and never spike.
#[test]
fn no_input_settles_at_the_true_resting_potential_with_every_method() {
    let p = HhParams {
        i_app: 0.0,
        ..HhParams::default()
    };
    let v_rest = resting_potential(&p, -70.0, -60.0);
    // E_L was fitted to put the rest at −65 mV; bisection finds −64.9964.
    assert!((v_rest + 65.0).abs() < 0.01, "V_rest = {v_rest}");
    let (m_inf, h_inf, n_inf) = x_inf(v_rest);
    for method in Method::ALL {
        // Start at −65 mV with gates at x∞(−65): 3.6 µV away from the fixed
        // point, so the trace shows the relaxation onto it.
        let pr = protocol(p, method, 1000.0, 0.01, HhState::at_rest(-65.0), &[]);
        let (out, tr) = run_traced(&pr, 0, 0, 1).unwrap();
        assert!(out.spikes_ms.is_empty(), "{method:?}: {:?}", out.spikes_ms);
        assert_eq!(tr.len(), 100_001);
        let max_dev = tr.v_mv.iter().map(|v| (v + 65.0).abs()).fold(0.0, f64::max);
        assert!(max_dev < 0.1, "{method:?}: |V + 65| reached {max_dev} mV");
        // The slowest relaxation at rest is h (τ_h ≈ 8.5 ms), so after
        // 500 ms the distance to the fixed point is ~e^(−59) of the initial
        // 4 µV, i.e. pure round-off; 1e-9 mV leaves six orders of margin
        // above double precision at 65 mV.
        let half = tr.len() / 2;
        let late_dev = tr.v_mv[half..]
            .iter()
            .map(|v| (v - v_rest).abs())
            .fold(0.0, f64::max);
        // The opt-in table moves the fixed point itself: its A(V) errs by
        // ≤ 2·10⁻⁹ (an upper bound: table_error_is_within_its_bound's
        // per-point bounds for the cubic 1 mV table are smaller, its
        // measured errors in A ≤ 2·10⁻¹²), so a gate's target
        // x∞ = A/(1 − D) errs by ≤ 2·10⁻⁹/(dt·k ≈ 10⁻³) = 2·10⁻⁶, and with
        // ∂V_rest/∂x of at most ~100 mV per unit gate at rest, V_rest by
        // ≲ 2·10⁻⁴ mV; the gates' own bound is that 2·10⁻⁶.
        let (v_bound, x_bound) = if method == Method::RushLarsenTable {
            (2e-4, 2e-6)
        } else {
            (1e-9, 1e-9)
        };
        assert!(
            late_dev < v_bound,
            "{method:?}: |V − V_rest| = {late_dev} after 500 ms"
        );
        let last = tr.len() - 1;
        for (name, x, inf) in [
            ("m", tr.m[last], m_inf),
            ("h", tr.h[last], h_inf),
            ("n", tr.n[last], n_inf),
        ] {
            assert!(
                (x - inf).abs() < x_bound,
                "{method:?}: {name} = {x}, x∞ = {inf}"
            );
        }
        eprintln!(
            "{}: V_rest = {v_rest:.6} mV, max |V + 65| = {max_dev:.2e} mV, late |V − V_rest| = {late_dev:.1e}",
            method.name()
        );
    }
}

/// Upward crossings of `0 mV` in a stride-1, input-free trace, located by
/// cubic Hermite interpolation between the step ends using the model's own
/// dV/dt at both ends, with the detector's re-arm rule (V < −30 mV).
/// Hermite interpolation is O(dt⁴) accurate, so these crossing times carry
/// the integrator's own order instead of the O(dt²) of a linear chord.
fn hermite_crossings(p: &HhParams, tr: &Trace) -> Vec<f64> {
    let state = |k: usize| HhState {
        v: tr.v_mv[k],
        m: tr.m[k],
        h: tr.h[k],
        n: tr.n[k],
    };
    let mut out = Vec::new();
    let mut armed = tr.v_mv[0] < 0.0;
    for i in 1..tr.len() {
        let (v0, v1) = (tr.v_mv[i - 1], tr.v_mv[i]);
        if armed && v1 >= 0.0 {
            let h = tr.t_ms[i] - tr.t_ms[i - 1];
            let d0 = p.derivative(&state(i - 1)).v * h;
            let d1 = p.derivative(&state(i)).v * h;
            let f = |x: f64| {
                let (x2, x3) = (x * x, x * x * x);
                (2.0 * x3 - 3.0 * x2 + 1.0) * v0
                    + (x3 - 2.0 * x2 + x) * d0
                    + (3.0 * x2 - 2.0 * x3) * v1
                    + (x3 - x2) * d1
            };
            let (mut a, mut b) = (0.0, 1.0);
            for _ in 0..60 {
                let mid = 0.5 * (a + b);
                if f(mid) < 0.0 { a = mid } else { b = mid }
            }
            out.push(tr.t_ms[i - 1] + h * 0.5 * (a + b));
            armed = false;
        }
        if v1 < -30.0 {
            armed = true;
        }
    }
    out
}

/// Largest |a_k − b_k| over spikes; the spike counts must agree.
fn max_error(label: &str, a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "{label}: spike counts {a:?} vs {b:?}");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Repetitive firing at I_app = 10 µA/cm² for 50 ms (4 spikes), no input.
const CONV_I_APP: f64 = 10.0;
const CONV_T_MS: f64 = 50.0;
const CONV_DTS: [f64; 4] = [0.04, 0.02, 0.01, 0.005];

fn conv_params() -> HhParams {
    HhParams {
        i_app: CONV_I_APP,
        ..HhParams::default()
    }
}

/// Detector spike times and Hermite crossings of one input-free run.
fn conv_run(method: Method, dt: f64) -> (Vec<f64>, Vec<f64>, Trace) {
    let p = conv_params();
    let pr = protocol(p, method, CONV_T_MS, dt, HhState::at_rest(-65.0), &[]);
    let (out, tr) = run_traced(&pr, 0, 0, 1).unwrap();
    let herm = hermite_crossings(&p, &tr);
    (out.spikes_ms, herm, tr)
}

/// Reference: RK4 at dt = 0.0005 ms, crossings by Hermite interpolation.
/// Its error is ~(0.0005/0.005)⁴ = 1e-4 of the RK4 error at the finest
/// tested dt (measured: 2e-13 ms against dt = 0.00025, vs 7e-9 ms at
/// dt = 0.005), so it is exact for every comparison below.
fn reference() -> (Vec<f64>, Trace) {
    let (_, herm, tr) = conv_run(Method::Rk4, 0.0005);
    assert_eq!(herm.len(), 4, "reference spikes {herm:?}");
    (herm, tr)
}

/// Observed orders log2(e(dt)/e(dt/2)) of successive halvings.
fn orders(errors: &[f64]) -> Vec<f64> {
    errors.windows(2).map(|w| (w[0] / w[1]).log2()).collect()
}

/// Spike times of first-order methods converge at order 1 and of RK4 (its
/// trajectory) at order 4, with the same number of spikes at every dt.
///
/// Tolerance bands, fixed before measuring: for a method of order q the
/// error is C·dt^q·(1 + c·dt + …), so the pairwise estimate is
/// q + log2((1 + 2c·dt)/(1 + c·dt)) ≈ q + c·dt/ln 2. Admitting a relative
/// next-order correction |c·dt| ≤ 0.1 at the coarsest dt gives ±0.15 for the
/// first-order methods; RK4's errors span five decades and its corrections
/// are relatively larger (c·dt up to 0.3), hence ±0.5 around 4.
/// Measured (errors in ms at dt = 0.04, 0.02, 0.01, 0.005):
/// Rush–Larsen 1.02, 0.510, 0.255, 0.127 (orders 1.00, 1.00, 1.00);
/// Euler 0.065, 0.033, 0.017, 0.0084 (0.98, 0.98, 0.99);
/// RK4 trajectory 2.7e-5, 1.6e-6, 1.2e-7, 7.4e-9 (4.03, 3.73, 4.05).
#[test]
fn spike_times_converge_at_the_order_of_each_method() {
    let (reference, _) = reference();
    for (method, order, band) in [
        (Method::RushLarsen, 1.0, 0.15),
        (Method::Euler, 1.0, 0.15),
        (Method::Rk4, 4.0, 0.5),
    ] {
        let errors: Vec<f64> = CONV_DTS
            .iter()
            .map(|&dt| {
                let (detected, herm, _) = conv_run(method, dt);
                let label = format!("{} dt {dt}", method.name());
                // Same number of spikes from the detector as from the reference.
                max_error(&label, &detected, &reference);
                // RK4's own accuracy is only visible through an O(dt⁴)
                // crossing locator (see the next test for the detector's);
                // first-order errors dwarf any interpolation error.
                let times = if method == Method::Rk4 {
                    herm
                } else {
                    detected
                };
                max_error(&label, &times, &reference)
            })
            .collect();
        let obs = orders(&errors);
        let shown: Vec<String> = errors.iter().map(|e| format!("{e:.2e}")).collect();
        eprintln!("{}: errors {shown:?} ms, orders {obs:.3?}", method.name());
        assert!(
            errors.windows(2).all(|w| w[1] < w[0]),
            "{}: errors must decrease: {errors:?}",
            method.name()
        );
        for o in &obs {
            assert!(
                (o - order).abs() <= band,
                "{}: observed order {o} outside {order} ± {band} ({obs:?})",
                method.name()
            );
        }
    }
}

/// The spike times `run_trial` reports for RK4 are located by the
/// detector's linear interpolation inside the step. A chord through
/// (t0, V0), (t0+dt, V1) misplaces the crossing by at most
/// dt²·max|V''| / (8·min|V'|) over the step (the interpolation remainder
/// V''(ξ)(t−t0)(t0+dt−t)/2 divided by the slope), so those times are only
/// second-order accurate, although the trajectory is fourth-order. This test
/// checks that bound (with max|V''|, min|V'| measured on the reference
/// within ±0.04 ms of each crossing, plus the trajectory's own error) and
/// that the error still decreases monotonically; a cubic Hermite locator in
/// the detector would restore order 4 (see the report on the detector).
/// Measured: 6.3e-4, 5.5e-5, 1.3e-5, 6.1e-6 ms at dt = 0.04 … 0.005.
#[test]
fn rk4_detector_spike_times_are_within_the_linear_interpolation_bound() {
    let (reference, rtr) = reference();
    let p = conv_params();
    // K = max|V''| / min|V'| near the crossings of the reference trajectory.
    let h = rtr.t_ms[1] - rtr.t_ms[0];
    let slope = |k: usize| {
        p.derivative(&HhState {
            v: rtr.v_mv[k],
            m: rtr.m[k],
            h: rtr.h[k],
            n: rtr.n[k],
        })
        .v
    };
    let mut k_ratio: f64 = 0.0;
    for &t in &reference {
        let centre = (t / h).round() as usize;
        let half = (0.04 / h).round() as usize;
        let (mut max_curv, mut min_slope) = (0.0f64, f64::INFINITY);
        for k in centre - half..=centre + half {
            max_curv = max_curv.max(((slope(k + 1) - slope(k - 1)) / (2.0 * h)).abs());
            min_slope = min_slope.min(slope(k).abs());
        }
        k_ratio = k_ratio.max(max_curv / min_slope);
    }
    let mut errors = Vec::new();
    for dt in CONV_DTS {
        let (detected, herm, _) = conv_run(Method::Rk4, dt);
        let label = format!("rk4 dt {dt}");
        let e_lin = max_error(&label, &detected, &reference);
        let e_traj = max_error(&label, &herm, &reference);
        let bound = k_ratio * dt * dt / 8.0 + e_traj + 1e-9;
        eprintln!(
            "rk4 dt {dt}: detector error {e_lin:.2e} ms, trajectory error {e_traj:.2e}, bound {bound:.2e} (K = {k_ratio:.2} /ms)"
        );
        assert!(e_lin <= bound, "{label}: {e_lin} > bound {bound}");
        errors.push(e_lin);
    }
    assert!(
        errors.windows(2).all(|w| w[1] < w[0]),
        "detector errors must decrease: {errors:?}"
    );
}

/// Forward Euler at dt = 0.2 ms is far beyond its stability limit for HH
/// (the fast sodium activation has τ_m ≈ 0.1–0.2 ms, so |1 − dt/τ| > 1).
/// Under strong input the trial must end in `TrialError::Diverged` telling
/// the user what to change, never in NaN spike times. Rush–Larsen, which
/// solves each gate exactly with V frozen, runs the same trials at 0.2 ms.
#[test]
fn euler_blow_up_is_reported_not_returned_as_spikes() {
    let inputs = exc_inh(5000, 1.0, -4.0);
    let euler = protocol(
        HhParams::default(),
        Method::Euler,
        100.0,
        0.2,
        HhState::at_rest(-65.0),
        &inputs,
    );
    let rush = protocol(
        HhParams::default(),
        Method::RushLarsen,
        100.0,
        0.2,
        HhState::at_rest(-65.0),
        &inputs,
    );
    for trial in 0..3 {
        let mut rngs = streams(60, trial, 2);
        let mut out = spikemc_core::TrialOutput::default();
        let err = spikemc_core::run_trial(&euler, &mut rngs, &mut out, None)
            .expect_err("forward Euler at dt = 0.2 ms must diverge");
        let TrialError::Diverged {
            t_ms,
            v_mv,
            method,
            dt_ms,
        } = err.clone()
        else {
            panic!("unexpected error {err:?}");
        };
        assert_eq!(method, "euler");
        assert_eq!(dt_ms, 0.2);
        assert!(t_ms > 0.0 && t_ms <= 100.0, "t_ms = {t_ms}");
        assert!(v_mv.is_nan() || v_mv.abs() >= V_LIMIT_MV, "v_mv = {v_mv}");
        let msg = err.to_string();
        assert!(
            msg.contains("dt_ms") && msg.contains("rush-larsen"),
            "message must point at dt_ms and rush-larsen: {msg}"
        );
        assert!(
            out.spikes_ms.iter().all(|t| t.is_finite() && *t <= t_ms),
            "spikes before the blow-up must be finite: {:?}",
            out.spikes_ms
        );
        eprintln!("trial {trial}: {msg}");

        let (ok, tr) = run_traced(&rush, 60, trial, 1).expect("rush-larsen stays stable");
        assert!(ok.spikes_ms.iter().all(|t| t.is_finite()));
        assert!(tr.v_mv.iter().all(|v| (-150.0..100.0).contains(v)));
        assert!(!ok.spikes_ms.is_empty(), "N = 5000 input drives spikes");
    }
}
