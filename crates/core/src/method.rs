//! Fixed-step integrators for the HH equations between input events.
//!
//! Every method is a zero-sized type implementing [`Stepper`], so the trial
//! loop is monomorphised per method: choosing the method costs nothing per
//! step. Input (delta jumps) is applied by the trial loop at the end of each
//! step, after the integrator has advanced the smooth part.

use crate::hh::{HhParams, HhState, Rates};
use serde::{Deserialize, Serialize};

/// Integration method, as named in experiment files (`method = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Forward Euler, order 1: the question's own scheme. Unstable for HH
    /// above dt ≈ 0.05 ms.
    Euler,
    /// Classical Runge–Kutta, order 4 between input events.
    Rk4,
    /// Rush–Larsen / exponential Euler (as Brian2's `exponential_euler`):
    /// every variable is advanced exactly under its own linear ODE with the
    /// others frozen at the start of the step. Order 1, but stable at any dt
    /// for the gates. The default, run by the vectorized lanes engine: the
    /// six rates share one exponential, and all exponentials are a
    /// polynomial within 2 ulp of libm's (see docs/numerics.md and
    /// docs/performance.md for the measured effect on spike times).
    RushLarsen,
    /// The same scheme written straightforwardly, one trial at a time, with
    /// libm's `exp`/`exp_m1` for every rate ([`RushLarsen`] stepper): the
    /// reference the fast path is measured against.
    RushLarsenReference,
    /// Opt-in fast mode: [`Method::RushLarsen`] with the gate updates
    /// x ← A(V) + D(V)·x interpolated from a per-protocol table (cubic in
    /// each 1 mV cell of −150…+150 mV, built from the libm rates); the membrane is
    /// exact. The table's error and its measured effect on spike times are
    /// in docs/numerics.md and docs/performance.md.
    RushLarsenTable,
    /// Adaptive Dormand–Prince 5(4) ([`crate::Rk45`]) with error control
    /// (`[method_options]`), dense output and spike times located on its
    /// continuous extension; the only method for `timing = "exact"`. Runs on
    /// the generic path; the reference the fixed-step methods are measured
    /// against (docs/numerics.md).
    Rk45,
}

impl Method {
    /// The fixed-step methods, for help texts and tests ([`Method::Rk45`]
    /// is the adaptive one).
    pub const ALL: [Method; 5] = [
        Method::Euler,
        Method::Rk4,
        Method::RushLarsen,
        Method::RushLarsenReference,
        Method::RushLarsenTable,
    ];

    /// The name used in experiment files.
    pub fn name(self) -> &'static str {
        match self {
            Method::Euler => "euler",
            Method::Rk4 => "rk4",
            Method::RushLarsen => "rush-larsen",
            Method::RushLarsenReference => "rush-larsen-reference",
            Method::RushLarsenTable => "rush-larsen-table",
            Method::Rk45 => "rk45",
        }
    }

    /// Whether the method runs on the vectorized lanes engine (several
    /// trials per block; see [`crate::lanes::run_trials`]). Others run one
    /// trial at a time; results are the same either way.
    pub fn has_lanes(self) -> bool {
        crate::lanes::has_lanes(self)
    }
}

/// One integration step of the HH equations without input.
pub trait Stepper {
    /// Advances `s` by `dt` ms.
    fn step(p: &HhParams, s: &mut HhState, dt: f64);
}

/// Forward Euler.
#[derive(Debug, Clone, Copy)]
pub struct Euler;

impl Stepper for Euler {
    #[inline(always)]
    fn step(p: &HhParams, s: &mut HhState, dt: f64) {
        let d = p.derivative(s);
        *s = s.add_scaled(&d, dt);
    }
}

/// Classical fourth-order Runge–Kutta.
#[derive(Debug, Clone, Copy)]
pub struct Rk4;

impl Stepper for Rk4 {
    #[inline(always)]
    fn step(p: &HhParams, s: &mut HhState, dt: f64) {
        let k1 = p.derivative(s);
        let k2 = p.derivative(&s.add_scaled(&k1, 0.5 * dt));
        let k3 = p.derivative(&s.add_scaled(&k2, 0.5 * dt));
        let k4 = p.derivative(&s.add_scaled(&k3, dt));
        *s = HhState {
            v: s.v + dt / 6.0 * (k1.v + 2.0 * k2.v + 2.0 * k3.v + k4.v),
            m: s.m + dt / 6.0 * (k1.m + 2.0 * k2.m + 2.0 * k3.m + k4.m),
            h: s.h + dt / 6.0 * (k1.h + 2.0 * k2.h + 2.0 * k3.h + k4.h),
            n: s.n + dt / 6.0 * (k1.n + 2.0 * k2.n + 2.0 * k3.n + k4.n),
        };
    }
}

/// Rush–Larsen (exponential Euler), the straightforward reference
/// implementation (method `rush-larsen-reference`).
///
/// With V frozen, each gate obeys x' = α(1−x) − βx, solved exactly:
/// x ← x∞ + (x − x∞)·e^(−dt(α+β)). With the gates frozen, V obeys
/// C V' = I_app − G(V − V∞) with G = g_Na m³h + g_K n⁴ + g_L, solved exactly:
/// V ← V∞ + (V − V∞)·e^(−dt·G/C). All right-hand sides use the state at the
/// start of the step, as Brian2's `exponential_euler` does.
#[derive(Debug, Clone, Copy)]
pub struct RushLarsen;

impl Stepper for RushLarsen {
    #[inline(always)]
    fn step(p: &HhParams, s: &mut HhState, dt: f64) {
        let r = Rates::at(s.v);
        let gate = |x: f64, a: f64, b: f64| {
            let k = a + b;
            let inf = a / k;
            inf + (x - inf) * (-dt * k).exp()
        };
        let g_na = p.g_na * s.m * s.m * s.m * s.h;
        let g_k = p.g_k * (s.n * s.n) * (s.n * s.n);
        let g_tot = g_na + g_k + p.g_l;
        let v_inf = (g_na * p.e_na + g_k * p.e_k + p.g_l * p.e_l + p.i_app) / g_tot;
        let v = v_inf + (s.v - v_inf) * (-dt * g_tot / p.c_m).exp();
        *s = HhState {
            v,
            m: gate(s.m, r.alpha_m, r.beta_m),
            h: gate(s.h, r.alpha_h, r.beta_h),
            n: gate(s.n, r.alpha_n, r.beta_n),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<S: Stepper>(dt: f64, t_end: f64) -> HhState {
        let p = HhParams::default();
        let mut s = HhState {
            v: -65.0,
            m: 0.05,
            h: 0.6,
            n: 0.32,
        };
        let n = (t_end / dt).round() as usize;
        for _ in 0..n {
            S::step(&p, &mut s, dt);
        }
        s
    }

    /// Measured order of convergence from errors at dt, dt/2 against a
    /// reference at dt/64 (all the same method, so only the method's own
    /// truncation error is measured). Halving dt divides the error by
    /// 2^order.
    fn order<S: Stepper>(dt: f64) -> f64 {
        let t_end = 5.0; // through the onset action potential
        let reference = run::<S>(dt / 64.0, t_end).v;
        let e1 = (run::<S>(dt, t_end).v - reference).abs();
        let e2 = (run::<S>(dt / 2.0, t_end).v - reference).abs();
        (e1 / e2).log2()
    }

    #[test]
    fn measured_orders_match_theory() {
        // First-order methods reach their asymptotic regime only below
        // dt ≈ 0.005 ms through an action potential (the estimate approaches
        // 1 like 1 + c·dt), so they are measured at dt = 0.0025 ms.
        let e = order::<Euler>(0.0025);
        assert!((e - 1.0).abs() < 0.25, "Euler order {e}");
        let r = order::<RushLarsen>(0.0025);
        assert!((r - 1.0).abs() < 0.25, "Rush-Larsen order {r}");
        let k = order::<Rk4>(0.04);
        assert!((k - 4.0).abs() < 0.4, "RK4 order {k}");
    }

    #[test]
    fn gates_stay_in_unit_interval_even_at_large_dt_with_rush_larsen() {
        let p = HhParams {
            i_app: 20.0,
            ..HhParams::default()
        };
        let mut s = HhState::at_rest(-65.0);
        for _ in 0..10_000 {
            RushLarsen::step(&p, &mut s, 0.1);
            for x in [s.m, s.h, s.n] {
                assert!((0.0..=1.0).contains(&x), "gate {x}");
            }
        }
    }
}
