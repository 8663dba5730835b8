//! The adaptive Dormand–Prince integrator against analytic solutions: global
//! error vs tolerance, the order of the 5th-order formula, dense output,
//! crossing location, landing on end times, resuming after jumps, error
//! paths, and HH spike times against the fixed-step RK4.

mod common;

use common::*;
use spikemc_core::{DenseStep, HhParams, HhState, Method, OdeSystem, Rk45, Rk45Error, Rk45Options};
use std::f64::consts::{FRAC_PI_6, PI};
use std::ops::ControlFlow;

fn go(_: &DenseStep<'_>) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

fn opts(rtol: f64, atol: f64) -> Rk45Options {
    Rk45Options {
        rtol,
        atol,
        ..Rk45Options::default()
    }
}

/// y' = −y/τ, y(t) = y(0)·e^(−t/τ).
struct Decay {
    tau_ms: f64,
}

impl OdeSystem for Decay {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = -y[0] / self.tau_ms;
    }
}

/// x'' = −ω²x as (x, x'/ω): a rotation at ω rad/ms.
struct Oscillator {
    omega: f64,
}

impl Oscillator {
    /// Exact state at t from (1, 0) at t = 0.
    fn exact(&self, t: f64) -> [f64; 2] {
        [(self.omega * t).cos(), -(self.omega * t).sin()]
    }
}

impl OdeSystem for Oscillator {
    fn dim(&self) -> usize {
        2
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = self.omega * y[1];
        dy[1] = -self.omega * y[0];
    }
}

/// y' = y·cos t: nonlinear in t, y(t) = e^(sin t). Smooth everywhere, so a
/// fixed-step method shows its classical order on it.
struct ExpSin;

impl OdeSystem for ExpSin {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = y[0] * t.cos();
    }
}

/// rtol = atol = `tol` and an h_max far above any step the tolerance
/// allows, so that the tolerance alone sets the step size (at the default
/// h_max = 1 ms the decay at tol 1e-6 would be capped by h_max).
fn unlimited(tol: f64) -> Rk45Options {
    Rk45Options {
        h_max_ms: 1e3,
        ..opts(tol, tol)
    }
}

/// Global error at the end and number of accepted steps of one adaptive
/// run.
fn decay_error(tol: f64) -> (f64, u64) {
    let sys = Decay { tau_ms: 5.0 };
    let mut rk = Rk45::new(1, unlimited(tol));
    let mut y = [1.0];
    let t = rk.integrate(&sys, 0.0, &mut y, 20.0, go).unwrap();
    assert_eq!(t, 20.0);
    ((y[0] - (-4.0f64).exp()).abs(), rk.stats().accepted)
}

fn oscillator_error(tol: f64) -> (f64, u64) {
    let sys = Oscillator {
        omega: 2.0 * PI / 10.0,
    };
    let mut rk = Rk45::new(2, unlimited(tol));
    let mut y = [1.0, 0.0];
    rk.integrate(&sys, 0.0, &mut y, 50.0, go).unwrap();
    let e = sys.exact(50.0);
    let err = (y[0] - e[0]).abs().max((y[1] - e[1]).abs());
    (err, rk.stats().accepted)
}

/// Both problems match their analytic solutions, and the global error
/// falls with the tolerance as theory says.
///
/// Bound on the error itself: the controller accepts a step only if the
/// RMS of the embedded (4th-order) error estimate, scaled by
/// atol + rtol·|y| ≤ 2·tol here (|y| ≤ 1), is ≤ 1; the propagated 5th-order
/// solution is more accurate than that estimate. Both problems are
/// non-expansive (decay contracts, the rotation is an isometry), so local
/// errors add up without amplification: |global| ≤ N_steps · √dim · 2·tol.
///
/// Scaling: the estimate is ≈ C·h⁵, so h ∝ tol^(1/5) and N ∝ tol^(−1/5).
/// Were the 4th-order solution propagated, global ≈ N·tol ∝ tol^(4/5): a
/// factor 10^(3·4/5) ≈ 250 between tol 1e-6 and 1e-9. Dormand–Prince
/// propagates the 5th-order solution (local error ∝ h⁶ ∝ tol^(6/5), global
/// ∝ tol^1, "tolerance proportionality": a factor 1000). The ratio must lie
/// between these, with half a decade on each side for the asymptotic
/// constants: in [10^1.9, 10^3.5]. An estimate of the wrong order p (a
/// wrong error weight makes it O(h^p) with p < 5) gives h ∝ tol^(1/p) and a
/// global error ∝ tol^(5/p), a ratio ≥ 10^3.75, out of the band; a grossly
/// wrong estimate fails the absolute bound. (The controller's exponents
/// only change how fast it settles on err ≈ 1, not this ratio.)
#[test]
fn global_error_matches_analytic_solutions_and_scales_with_tolerance() {
    for (name, run) in [
        ("decay", decay_error as fn(f64) -> (f64, u64)),
        ("oscillator", oscillator_error),
    ] {
        let (e6, n6) = run(1e-6);
        let (e9, n9) = run(1e-9);
        let ratio = e6 / e9;
        eprintln!(
            "{name}: error {e6:.2e} ({n6} steps) at tol 1e-6, {e9:.2e} ({n9} steps) at 1e-9, ratio 10^{:.2}",
            ratio.log10()
        );
        for (e, n, tol) in [(e6, n6, 1e-6), (e9, n9, 1e-9)] {
            let bound = n as f64 * 2f64.sqrt() * 2.0 * tol;
            assert!(e <= bound, "{name} tol {tol}: error {e} > {bound}");
        }
        assert!(
            (10f64.powf(1.9)..=10f64.powf(3.5)).contains(&ratio),
            "{name}: error ratio {ratio} outside [10^1.9, 10^3.5]"
        );
        // Steps ∝ tol^(−1/5): 1000^(1/5) ≈ 4 times more at 1e-9; allow
        // [2, 8] for the start-up steps and the clipped last step.
        let steps_ratio = n9 as f64 / n6 as f64;
        assert!(
            (2.0..=8.0).contains(&steps_ratio),
            "{name}: step ratio {steps_ratio}"
        );
    }
}

/// The 5th-order formula at forced constant steps converges at order 5 on
/// a smooth nonlinear problem: log2 of the error ratio at h and h/2 lies
/// in [4.5, 5.5] (the next-order term C₆h⁶ shifts the pairwise estimate by
/// ≈ c·h/ln 2, below 0.5 once c·h < 0.35; the errors here, 1e-6…1e-11,
/// are far above round-off at 2e-16 × 80 steps).
///
/// The error is the maximum over the coarse grid t = 0.4, 0.8, …, 4 ms,
/// common to all four runs, not the error at the end alone: the leading
/// global-error function h⁵·E(t) of this problem passes close to zero near
/// t = 4, where the end-point error is dominated by the h⁶ term at the
/// coarsest step (an independent Python DOPRI5 gives the same end-point
/// errors 7.05e-8, 2.21e-8, 9.30e-10 at 10, 20, 40 steps: orders 1.7, 4.6,
/// 4.9), which would measure the cancellation, not the order.
#[test]
fn fixed_steps_converge_at_order_five() {
    let t1: f64 = 4.0;
    let errors: Vec<f64> = [10u64, 20, 40, 80]
        .iter()
        .map(|&n| {
            let mut rk = Rk45::new(1, Rk45Options::default());
            let mut y = [1.0];
            let (mut j, mut worst) = (0, 0.0f64);
            let t = rk
                .integrate_fixed(&ExpSin, 0.0, &mut y, t1, n, |s| {
                    j += 1;
                    if j % (n / 10) == 0 {
                        worst = worst.max((s.y1[0] - s.t1.sin().exp()).abs());
                    }
                    ControlFlow::Continue(())
                })
                .unwrap();
            assert_eq!(t, t1);
            assert_eq!(rk.stats().accepted, n);
            worst
        })
        .collect();
    let orders: Vec<f64> = errors.windows(2).map(|w| (w[0] / w[1]).log2()).collect();
    eprintln!("fixed-step errors {errors:?}, orders {orders:.3?}");
    for o in orders {
        assert!((4.5..=5.5).contains(&o), "order {o} ({errors:?})");
    }
}

/// The continuous extension matches the analytic oscillator inside every
/// step. Its error is the state error at the step ends (≤ what the test
/// above bounds; measured directly here at t0 and t1 of each step) plus
/// the interpolant's own O(h⁵) error, which is of the size of the
/// embedded 4th-order estimate the controller keeps ≤ tol in RMS, i.e.
/// ≤ √2·(atol + rtol) per component; a factor 10 covers the interpolant's
/// error constant being different from the estimator's. A linear chord
/// between the ends would be off by h²·ω²/8 ≈ 1e-4 at these steps.
#[test]
fn dense_output_matches_the_analytic_solution_inside_steps() {
    let sys = Oscillator { omega: 1.0 };
    let tol = 1e-8;
    let mut rk = Rk45::new(2, opts(tol, tol));
    let mut y = [1.0, 0.0];
    let mut worst: f64 = 0.0;
    let mut max_h: f64 = 0.0;
    let mut out = [0.0; 2];
    rk.integrate(&sys, 0.0, &mut y, 20.0, |s| {
        let h = s.t1 - s.t0;
        max_h = max_h.max(h);
        let end_err = |t: f64, y: &[f64]| {
            let e = sys.exact(t);
            (y[0] - e[0]).abs().max((y[1] - e[1]).abs())
        };
        let ends = end_err(s.t0, s.y0).max(end_err(s.t1, s.y1));
        // Exact at both ends.
        s.interpolate(s.t0, &mut out);
        assert!((out[0] - s.y0[0]).abs() <= 1e-15 && (out[1] - s.y0[1]).abs() <= 1e-15);
        s.interpolate(s.t1, &mut out);
        assert!((out[0] - s.y1[0]).abs() <= 1e-14 && (out[1] - s.y1[1]).abs() <= 1e-14);
        for j in 1..10 {
            let t = s.t0 + h * f64::from(j) / 10.0;
            s.interpolate(t, &mut out);
            assert_eq!(out[1], s.component(t, 1));
            let e = end_err(t, &out);
            let bound = ends + 10.0 * 2f64.sqrt() * 2.0 * tol;
            assert!(e <= bound, "t = {t}: error {e} > {bound}");
            worst = worst.max(e);
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    eprintln!("dense output: worst interior error {worst:.2e}, largest step {max_h:.3} ms");
    // The steps must be long enough for the test to mean something (a
    // chord would fail the bound by orders of magnitude).
    assert!(max_h * max_h / 8.0 > 100.0 * 2f64.sqrt() * 2.0 * tol);
}

/// The continuous extension is of order 4: over one step from the exact
/// state its error inside the step is O(h⁵) (Hairer, Nørsett & Wanner I,
/// §II.6), so halving h divides it by 2⁵ (the pairwise estimate lies in
/// [4.5, 5.5] with the same next-order argument as the fixed-step test).
/// The maximum over θ = 1/4, 1/2, 3/4 of one step of ExpSin from t = 0.5 at
/// h = 0.1 … 0.0125 ms (errors 4e-9 … 1e-13, the smallest still ~100× the
/// round-off of y ≈ 1.6, which moves the estimate by ≲ 0.02). At h = 0.2
/// the pair (0.2, 0.1) gave 5.50: not yet asymptotic (estimates 5.50, 5.32,
/// 5.08 falling towards 5 as h halves), so the range starts at 0.1. A wrong
/// dense-output coefficient leaves an O(h²)…O(h⁴) error and fails.
#[test]
fn dense_output_is_fourth_order() {
    let errors: Vec<f64> = [0.1, 0.05, 0.025, 0.0125]
        .iter()
        .map(|&h: &f64| {
            let mut rk = Rk45::new(1, Rk45Options::default());
            let t0: f64 = 0.5;
            let mut worst = 0.0f64;
            rk.integrate_fixed(&ExpSin, t0, &mut [t0.sin().exp()], t0 + h, 1, |s| {
                for theta in [0.25, 0.5, 0.75] {
                    let t = t0 + theta * h;
                    worst = worst.max((s.component(t, 0) - t.sin().exp()).abs());
                }
                ControlFlow::Continue(())
            })
            .unwrap();
            worst
        })
        .collect();
    let orders: Vec<f64> = errors.windows(2).map(|w| (w[0] / w[1]).log2()).collect();
    eprintln!("dense output errors {errors:?}, orders {orders:.3?}");
    for o in orders {
        assert!((4.5..=5.5).contains(&o), "order {o} ({errors:?})");
    }
}

/// sin t crosses 0.5 upwards at π/6 (and downwards at 5π/6, which must not
/// count). With rtol = atol = 1e-10 the trajectory and interpolant are
/// accurate to ~1e-10, and the slope there is cos(π/6) ≈ 0.87, so the
/// located time is within ~1e-10 ms of π/6; 1e-9 is the required accuracy.
#[test]
fn upward_crossing_of_sin_is_located_at_pi_over_6() {
    // (sin t, cos t) from (0, 1) at t = 0.
    struct SinCos;
    impl OdeSystem for SinCos {
        fn dim(&self) -> usize {
            2
        }
        fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
            dy[0] = y[1];
            dy[1] = -y[0];
        }
    }
    let mut rk = Rk45::new(2, opts(1e-10, 1e-10));
    let mut y = [0.0, 1.0];
    let mut found = Vec::new();
    let t = rk
        .integrate(&SinCos, 0.0, &mut y, 2.0 * PI, |s| {
            if let Some(t) = s.upward_crossing(0, 0.5) {
                assert!(t > s.t0 && t <= s.t1);
                assert!(s.component(t, 0) >= 0.5);
                found.push(t);
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(t, 2.0 * PI);
    assert_eq!(found.len(), 1, "{found:?}");
    let err = (found[0] - FRAC_PI_6).abs();
    eprintln!("crossing at {} (error {err:.1e} ms)", found[0]);
    assert!(err < 1e-9, "crossing at {}, π/6 = {FRAC_PI_6}", found[0]);
}

/// y' = 1 from 0 in fixed steps of 0.25 ms: y reaches 0.5 at the step
/// boundary t = 0.5, up to the rounding of the weights (their sum is 1 only
/// to an ulp, so y there is 0.5 or a neighbour). Whichever step the
/// rounding gives the crossing to (the one ending at 0.5 if its end value
/// is ≥ 0.5, else the next, which then starts below), it is reported
/// exactly once, within an ulp or two of 0.5.
#[test]
fn crossing_at_a_step_boundary_is_reported_once() {
    struct Ramp;
    impl OdeSystem for Ramp {
        fn dim(&self) -> usize {
            1
        }
        fn rhs(&self, _t: f64, _y: &[f64], dy: &mut [f64]) {
            dy[0] = 1.0;
        }
    }
    let mut rk = Rk45::new(1, Rk45Options::default());
    let mut found = Vec::new();
    rk.integrate_fixed(&Ramp, 0.0, &mut [0.0], 1.0, 4, |s| {
        found.extend(s.upward_crossing(0, 0.5));
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!((found[0] - 0.5).abs() < 1e-15, "{found:?}");
}

/// An excursion above the level and back inside one step, invisible to
/// the step ends, is found on the continuous extension, and the time
/// returned is the first root of the polynomial itself to 1e-12 ms: the
/// polynomial is ≥ level there and < level everywhere before (checked on
/// a fine grid and 2e-12 ms earlier). One fixed step from t = 1 to 2.2 ms
/// over (sin t, cos t) and level 0.9: sin 1 ≈ 0.84 and sin 2.2 ≈ 0.81 are
/// below it, the peak 1 inside (a single step of 1.2 rad is accurate to
/// ~h⁶/6! ≈ 4e-3, far less than the margins 0.06 and 0.09 to the level).
#[test]
fn excursion_inside_one_step_is_found_on_the_polynomial() {
    struct SinCos;
    impl OdeSystem for SinCos {
        fn dim(&self) -> usize {
            2
        }
        fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
            dy[0] = y[1];
            dy[1] = -y[0];
        }
    }
    let mut rk = Rk45::new(2, Rk45Options::default());
    let mut found = None;
    let y0 = [1f64.sin(), 1f64.cos()];
    rk.integrate_fixed(&SinCos, 1.0, &mut y0.clone(), 2.2, 1, |s| {
        assert!(s.y1[0] < 0.9, "{}", s.y1[0]);
        let t = s.upward_crossing(0, 0.9).expect("excursion found");
        assert!(t > s.t0 && t < s.t1);
        assert!(s.component(t, 0) >= 0.9);
        assert!(s.component(t - 2e-12, 0) < 0.9);
        for j in 0..1000 {
            let u = s.t0 + (t - s.t0) * f64::from(j) / 1000.0;
            assert!(s.component(u, 0) < 0.9, "{u}");
        }
        // Downward crossings are not upward ones: cos only falls here.
        assert_eq!(s.upward_crossing(1, 0.0), None);
        found = Some(t);
        ControlFlow::Continue(())
    })
    .unwrap();
    eprintln!(
        "one-step excursion: crossing at {found:?} (sin: asin 0.9 = {})",
        0.9f64.asin()
    );
}

/// Stopping early: `on_step` breaks at the first step ending after 1 ms;
/// the state returned is that step's end state, and a second call resumes
/// from there without evaluating f again (FSAL).
#[test]
fn break_returns_the_time_reached_and_resumes_without_extra_evaluations() {
    let sys = Decay { tau_ms: 5.0 };
    let mut rk = Rk45::new(1, opts(1e-8, 1e-8));
    let mut y = [1.0];
    let mut end_state = f64::NAN;
    let t = rk
        .integrate(&sys, 0.0, &mut y, 10.0, |s| {
            end_state = s.y1[0];
            if s.t1 > 1.0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert!(t > 1.0 && t < 10.0);
    assert_eq!(y[0], end_state);
    let before = rk.stats();
    rk.integrate(&sys, t, &mut y, 10.0, go).unwrap();
    let after = rk.stats();
    let steps = after.accepted + after.rejected - before.accepted - before.rejected;
    assert_eq!(after.rhs_evals - before.rhs_evals, 6 * steps);
    assert!((y[0] - (-2.0f64).exp()).abs() < 1e-7);
}

/// Integrating event to event lands bitwise on every end time (the last
/// step is clipped, never overshoots), reuses the derivative across calls
/// (exactly 1 + 6·steps evaluations in total) and keeps its step size, so
/// chaining costs few more steps than one call over the whole interval.
#[test]
fn lands_exactly_on_each_end_time_and_keeps_step_size_between_calls() {
    let sys = Oscillator { omega: 0.7 };
    let ends: Vec<f64> = (1..=200).map(|k| 0.1 * f64::from(k) + 1e-3 / 3.0).collect();
    let mut rk = Rk45::new(2, opts(1e-7, 1e-9));
    let mut y = [1.0, 0.0];
    let mut t = 0.0;
    for &t1 in &ends {
        let mut last_t1 = f64::NAN;
        let reached = rk
            .integrate(&sys, t, &mut y, t1, |s| {
                assert!(s.t1 <= t1);
                last_t1 = s.t1;
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(reached.to_bits(), t1.to_bits());
        assert_eq!(last_t1.to_bits(), t1.to_bits());
        t = reached;
    }
    let chained = rk.stats();
    assert_eq!(
        chained.rhs_evals,
        1 + 6 * (chained.accepted + chained.rejected)
    );
    let mut single = Rk45::new(2, opts(1e-7, 1e-9));
    let mut y1 = [1.0, 0.0];
    single.integrate(&sys, 0.0, &mut y1, t, go).unwrap();
    let one = single.stats().accepted;
    // Each end time costs at most one clipped extra step, plus at most a
    // few to regrow the step; restarting from h_init = 0.01 ms each time
    // would instead cost ≥ 200 × (steps to grow 0.01 → h) ≈ 200 × 2.
    eprintln!(
        "chained: {} steps over {} calls, single call: {one} steps",
        chained.accepted,
        ends.len()
    );
    assert!(chained.accepted <= one + 2 * ends.len() as u64);
    let e = sys.exact(t);
    assert!((y[0] - e[0]).abs() < 1e-5 && (y[1] - e[1]).abs() < 1e-5);
}

/// y' = −y/τ with jumps of +w at exact times: the analytic solution is
/// piecewise exponential. The jump is applied between calls; the
/// integrator must notice the changed state (and recompute f there)
/// whether or not the caller calls `reset_after_jump`, and both ways give
/// the same result bit for bit. Error bound: as in the scaling test, steps
/// × 2·tol (decay is contractive, jumps add exactly).
#[test]
fn resuming_after_jumps_matches_the_piecewise_analytic_solution() {
    let tau = 3.0;
    let sys = Decay { tau_ms: tau };
    let events = [0.7, 1.3, 1.31, 4.0, 9.5];
    let w = 0.8;
    let t_end = 12.0;
    let tol = 1e-9;
    let run = |explicit_reset: bool| {
        let mut rk = Rk45::new(1, opts(tol, tol));
        let mut y = [0.0];
        let mut t = 0.0;
        for &te in events.iter().chain(std::iter::once(&t_end)) {
            t = rk.integrate(&sys, t, &mut y, te, go).unwrap();
            if te < t_end {
                y[0] += w;
                if explicit_reset {
                    rk.reset_after_jump();
                }
            }
        }
        (y[0], rk.stats())
    };
    let (y_auto, st_auto) = run(false);
    let (y_reset, st_reset) = run(true);
    assert_eq!(y_auto.to_bits(), y_reset.to_bits());
    assert_eq!(st_auto, st_reset);
    // One evaluation at the start and one after each jump, 6 per step.
    assert_eq!(
        st_auto.rhs_evals,
        1 + events.len() as u64 + 6 * (st_auto.accepted + st_auto.rejected)
    );
    let exact: f64 = events
        .iter()
        .map(|te| w * (-(t_end - te) / tau).exp())
        .sum();
    let bound = st_auto.accepted as f64 * 2.0 * tol * (1.0 + events.len() as f64 * w);
    let err = (y_auto - exact).abs();
    eprintln!("jumps: error {err:.2e}, bound {bound:.2e}");
    assert!(err <= bound, "{y_auto} vs {exact}");
}

/// A right-hand side that is NaN from t = 1 ms on: the integrator shrinks
/// the step until it cannot, then reports NonFinite at the last finite
/// state (t < 1), never panicking or looping forever; y holds that state.
#[test]
fn nan_rhs_is_reported_as_non_finite() {
    struct NanAfter;
    impl OdeSystem for NanAfter {
        fn dim(&self) -> usize {
            1
        }
        fn rhs(&self, t: f64, _y: &[f64], dy: &mut [f64]) {
            dy[0] = if t >= 1.0 { f64::NAN } else { 1.0 };
        }
    }
    let mut rk = Rk45::new(1, Rk45Options::default());
    let mut y = [0.0];
    let e = rk.integrate(&NanAfter, 0.0, &mut y, 2.0, go).unwrap_err();
    let Rk45Error::NonFinite { t_ms } = e else {
        panic!("{e:?}")
    };
    assert!(t_ms < 1.0 && t_ms > 0.99, "{t_ms}");
    assert!((y[0] - t_ms).abs() < 1e-12);
    assert!(e.to_string().contains("not finite"), "{e}");
    // NaN already at the start.
    let mut rk = Rk45::new(1, Rk45Options::default());
    let e = rk.integrate(&NanAfter, 1.5, &mut [0.0], 2.0, go);
    assert_eq!(e, Err(Rk45Error::NonFinite { t_ms: 1.5 }));
    let e = rk.integrate(&Decay { tau_ms: 1.0 }, 0.0, &mut [f64::NAN], 1.0, go);
    assert_eq!(e, Err(Rk45Error::NonFinite { t_ms: 0.0 }));
}

/// y' = y², y(0) = 1 blows up at t = 1: an error (step too small or
/// non-finite) near 1, not a panic or an endless loop. The numerical pole
/// is off by the solution's relative error: a relative change δ of y at
/// time s moves the pole of 1/(c − t) by δ·(1 − s) ≤ δ, and δ ≤ steps ×
/// the per-step tolerance (≈ 2·rtol at |y| ≥ 1 with atol ≤ rtol).
#[test]
fn finite_time_blow_up_stops_with_an_error() {
    struct Square;
    impl OdeSystem for Square {
        fn dim(&self) -> usize {
            1
        }
        fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
            dy[0] = y[0] * y[0];
        }
    }
    let o = Rk45Options::default();
    let mut rk = Rk45::new(1, o);
    let e = rk.integrate(&Square, 0.0, &mut [1.0], 2.0, go).unwrap_err();
    let t = match e {
        Rk45Error::StepTooSmall { t_ms, .. } | Rk45Error::NonFinite { t_ms } => t_ms,
        other => panic!("{other:?}"),
    };
    let bound = rk.stats().accepted as f64 * 2.0 * o.rtol;
    eprintln!("blow-up: {e} (bound on |t − 1|: {bound:.1e})");
    assert!((t - 1.0).abs() <= bound, "{t}");
}

/// A fast transient (rate 1000/ms) with h_min = 0.01 ms: the controller
/// needs steps of ~1e-3 ms, so it must give up with StepTooSmall, naming
/// the time and the step. And a step budget too small for the interval
/// gives TooManySteps.
#[test]
fn step_limits_are_reported() {
    let sys = Decay { tau_ms: 1e-3 };
    let o = Rk45Options {
        h_min_ms: 0.01,
        h_init_ms: 0.1,
        ..opts(1e-8, 1e-10)
    };
    o.validate().unwrap();
    let mut rk = Rk45::new(1, o);
    let e = rk.integrate(&sys, 0.0, &mut [1.0], 1.0, go).unwrap_err();
    let Rk45Error::StepTooSmall { t_ms, h_ms } = e else {
        panic!("{e:?}")
    };
    assert_eq!(t_ms, 0.0);
    assert!(h_ms < 0.01);
    let msg = e.to_string();
    assert!(
        msg.contains("h_min_ms") && msg.contains("t = 0 ms"),
        "{msg}"
    );

    let mut rk = Rk45::new(
        1,
        Rk45Options {
            max_steps: 10,
            h_max_ms: 0.01,
            ..Rk45Options::default()
        },
    );
    let mut y = [1.0];
    let e = rk.integrate(&Decay { tau_ms: 1.0 }, 0.0, &mut y, 1.0, go);
    let Err(Rk45Error::TooManySteps { t_ms }) = e else {
        panic!("{e:?}")
    };
    assert!((t_ms - 0.1).abs() < 1e-12, "{t_ms}");
    assert!((y[0] - (-t_ms).exp()).abs() < 1e-8);
    assert!(
        rk.integrate(&Decay { tau_ms: 1.0 }, 1.0, &mut y, 0.5, go)
            == Err(Rk45Error::InvalidInterval {
                t0_ms: 1.0,
                t1_ms: 0.5
            })
    );
}

/// Every bad option is rejected with its experiment-file key, the value
/// and the allowed range in the message.
#[test]
fn options_validation_names_key_value_and_range() {
    Rk45Options::default().validate().unwrap();
    let d = Rk45Options::default();
    let cases = [
        (
            Rk45Options { rtol: 0.0, ..d },
            "method_options.rtol = 0",
            "in [1e-14, 1)",
        ),
        (
            Rk45Options { rtol: 1.5, ..d },
            "method_options.rtol = 1.5",
            "in [1e-14, 1)",
        ),
        (
            Rk45Options {
                atol: f64::NAN,
                ..d
            },
            "method_options.atol = NaN",
            "> 0 and finite",
        ),
        (
            Rk45Options { atol: 0.0, ..d },
            "method_options.atol = 0",
            "> 0 and finite",
        ),
        (
            Rk45Options {
                h_init_ms: -1.0,
                ..d
            },
            "method_options.h_init_ms = -1 ms",
            "> 0 and finite",
        ),
        (
            Rk45Options {
                h_max_ms: f64::INFINITY,
                ..d
            },
            "method_options.h_max_ms = inf ms",
            "> 0 and finite",
        ),
        (
            Rk45Options {
                h_init_ms: 2.0,
                ..d
            },
            "method_options.h_init_ms = 2 ms",
            "<= method_options.h_max_ms",
        ),
        (
            Rk45Options {
                h_min_ms: -0.5,
                ..d
            },
            "method_options.h_min_ms = -0.5 ms",
            ">= 0 and finite",
        ),
        (
            Rk45Options { h_min_ms: 0.5, ..d },
            "method_options.h_min_ms = 0.5 ms",
            "<= method_options.h_init_ms",
        ),
        (
            Rk45Options { max_steps: 0, ..d },
            "method_options.max_steps = 0",
            ">= 1",
        ),
    ];
    for (o, head, range) in cases {
        let msg = o.validate().unwrap_err().to_string();
        assert!(msg.starts_with(head) && msg.ends_with(range), "{msg}");
    }
}

/// HH as an `OdeSystem`: y = (V, m, h, n).
struct Hh(HhParams);

impl OdeSystem for Hh {
    fn dim(&self) -> usize {
        4
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let d = self.0.derivative(&HhState {
            v: y[0],
            m: y[1],
            h: y[2],
            n: y[3],
        });
        dy.copy_from_slice(&[d.v, d.m, d.h, d.n]);
    }
}

/// HH free run from rest at I_app = 10 µA/cm² for 50 ms (4 spikes): RK45
/// at rtol 1e-10 with crossings located on the dense output vs the
/// existing RK4 at dt 0.001 ms through `run_trial`.
///
/// Error budget of the RK4 side: its trajectory error at dt 0.005 ms is
/// 7e-9 ms (tests/numerics.rs), ×(1/5)⁴ → 1e-11 at 0.001; its detector
/// locates crossings on the step to at most K·dt²/8 ≈ 1e-6 ms even for a
/// linear chord (measured 6e-6 ms at dt 0.005, ×1/25). RK45 at rtol 1e-10
/// keeps each step's local error ≲ 1e-10 relative; over ~50 ms of a limit
/// cycle the phase error stays orders below 1e-6 ms. So the two must agree
/// to ~1e-6 ms; 1e-4 ms (the required agreement) leaves ample margin and
/// still fails for any real defect (a wrong coefficient shifts spikes by
/// ≫ 1e-3 ms at these tolerances).
#[test]
fn hh_spike_times_agree_with_fine_rk4() {
    let p = HhParams {
        i_app: 10.0,
        ..HhParams::default()
    };
    let rest = HhState::at_rest(-65.0);
    let pr = protocol(p, Method::Rk4, 50.0, 0.001, rest, &[]);
    let rk4 = run(&pr, 0, 0).unwrap().spikes_ms;

    let mut rk = Rk45::new(4, opts(1e-10, 1e-10));
    let mut y = [rest.v, rest.m, rest.h, rest.n];
    let mut spikes = Vec::new();
    let mut armed = y[0] < 0.0;
    rk.integrate(&Hh(p), 0.0, &mut y, 50.0, |s| {
        // The detector's rule: a crossing of 0 mV disarms until V < −30 mV.
        if armed && let Some(t) = s.upward_crossing(0, 0.0) {
            spikes.push(t);
            armed = false;
        }
        if s.y1[0] < -30.0 {
            armed = true;
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    let st = rk.stats();
    eprintln!(
        "HH rk45: {} accepted, {} rejected, {} evaluations; spikes {spikes:?}; rk4 {rk4:?}",
        st.accepted, st.rejected, st.rhs_evals
    );
    assert_eq!(spikes.len(), 4, "{spikes:?}");
    assert_eq!(rk4.len(), spikes.len(), "{rk4:?} vs {spikes:?}");
    for (a, b) in spikes.iter().zip(&rk4) {
        assert!((a - b).abs() < 1e-4, "rk45 {a} vs rk4 {b}");
    }
}
