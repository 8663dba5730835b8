//! Dormand–Prince 5(4) with a PI step-size controller, FSAL, Hairer's
//! 4th-order continuous extension and event location on it.

use crate::error::{ParamError, non_negative, positive};
use std::ops::ControlFlow;
use thiserror::Error;

// Butcher tableau of Dormand & Prince (1980), as in Hairer's DOPRI5.
const C2: f64 = 1.0 / 5.0;
const C3: f64 = 3.0 / 10.0;
const C4: f64 = 4.0 / 5.0;
const C5: f64 = 8.0 / 9.0;
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
// 5th-order weights (= the last row: the 7th stage is f at the new point).
const A71: f64 = 35.0 / 384.0;
const A73: f64 = 500.0 / 1113.0;
const A74: f64 = 125.0 / 192.0;
const A75: f64 = -2187.0 / 6784.0;
const A76: f64 = 11.0 / 84.0;
// Error weights: 5th-order minus embedded 4th-order weights.
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;
// Dense output (Hairer, Nørsett & Wanner I, §II.6; DOPRI5's CONTD5).
const D1: f64 = -12715105075.0 / 11282082432.0;
const D3: f64 = 87487479700.0 / 32700410799.0;
const D4: f64 = -10690763975.0 / 1880347072.0;
const D5: f64 = 701980252875.0 / 199316789632.0;
const D6: f64 = -1453857185.0 / 822651844.0;
const D7: f64 = 69997945.0 / 29380423.0;

// Step-size controller (Hairer's DOPRI5 defaults, growth capped at 5):
// h_new = h · clamp(SAFETY · err^(−ALPHA) · err_prev^BETA, 1/5, 5).
const SAFETY: f64 = 0.9;
const BETA: f64 = 0.04;
const ALPHA: f64 = 0.2 - 0.75 * BETA;
const FAC_MIN: f64 = 0.2;
const FAC_MAX: f64 = 5.0;

/// Tolerances and step-size limits of [`Rk45`] (experiment-file table
/// `method_options`).
///
/// The local error estimate of each step, scaled componentwise by
/// `atol + rtol·max(|y0_i|, |y1_i|)`, must have a root-mean-square ≤ 1 for
/// the step to be accepted (Hairer, Nørsett & Wanner I, eq. II.4.11).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rk45Options {
    /// Relative tolerance (dimensionless), default 1e-6; in [1e-14, 1).
    pub rtol: f64,
    /// [units of y] absolute tolerance, default 1e-8; > 0. One value for
    /// every component, so scale the state so that it fits all (mV and
    /// gates in [0, 1] both do at 1e-8).
    pub atol: f64,
    /// \[ms\] first trial step of a new integrator, default 0.01 ms. Later
    /// calls start from the step size the previous call ended with.
    pub h_init_ms: f64,
    /// \[ms\] largest step, default 1 ms.
    pub h_max_ms: f64,
    /// \[ms\] smallest step the controller may ask for before giving up with
    /// [`Rk45Error::StepTooSmall`], default 0 (only the floating-point
    /// resolution of t limits it). The last step of a call, clipped to land
    /// on the end time, may be shorter.
    pub h_min_ms: f64,
    /// Largest number of steps (accepted + rejected) in one call of
    /// [`Rk45::integrate`], default 10⁷; ≥ 1.
    pub max_steps: u64,
}

impl Default for Rk45Options {
    fn default() -> Self {
        Self {
            rtol: 1e-6,
            atol: 1e-8,
            h_init_ms: 0.01,
            h_max_ms: 1.0,
            h_min_ms: 0.0,
            max_steps: 10_000_000,
        }
    }
}

impl Rk45Options {
    /// Checks every field; the error names the `method_options.*` key, its
    /// value and the allowed range.
    pub fn validate(&self) -> Result<(), ParamError> {
        // Below ~100 ulp the error estimate is round-off (Hairer's DOPRI5
        // refuses rtol ≤ 10·eps); rtol ≥ 1 accepts anything.
        if !(1e-14..1.0).contains(&self.rtol) {
            return Err(ParamError::new(
                "method_options.rtol",
                self.rtol,
                "",
                "in [1e-14, 1)",
            ));
        }
        // atol = 0 would divide by zero where a component crosses 0.
        positive("method_options.atol", self.atol, "")?;
        positive("method_options.h_max_ms", self.h_max_ms, "ms")?;
        positive("method_options.h_init_ms", self.h_init_ms, "ms")?;
        non_negative("method_options.h_min_ms", self.h_min_ms, "ms")?;
        if self.h_init_ms > self.h_max_ms {
            return Err(ParamError::new(
                "method_options.h_init_ms",
                self.h_init_ms,
                "ms",
                "<= method_options.h_max_ms",
            ));
        }
        if self.h_min_ms > self.h_init_ms {
            return Err(ParamError::new(
                "method_options.h_min_ms",
                self.h_min_ms,
                "ms",
                "<= method_options.h_init_ms",
            ));
        }
        if self.max_steps == 0 {
            return Err(ParamError::new("method_options.max_steps", 0.0, "", ">= 1"));
        }
        Ok(())
    }
}

/// A system of ODEs y' = f(t, y) with time in ms.
pub trait OdeSystem {
    /// Number of state variables; fixed for the life of the system.
    fn dim(&self) -> usize;
    /// Writes f(t, y) into `dy` (both of length [`dim`](Self::dim)), in
    /// units of y per ms. Must not allocate: it runs six times per step.
    fn rhs(&self, t_ms: f64, y: &[f64], dy: &mut [f64]);
}

/// Why [`Rk45::integrate`] stopped before its end time.
///
/// In every case the state passed in holds the last accepted state, at
/// `t_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[non_exhaustive]
pub enum Rk45Error {
    /// The controller needed a step below `h_min_ms` (or below the
    /// resolution of t).
    #[error(
        "rk45: step size {h_ms:e} ms at t = {t_ms} ms is below the minimum; \
         the system is stiff or singular there (lower method_options.h_min_ms, \
         loosen rtol/atol, or use an implicit or exponential method)"
    )]
    StepTooSmall {
        /// \[ms\] time of the last accepted state.
        t_ms: f64,
        /// \[ms\] the step size the controller asked for.
        h_ms: f64,
    },
    /// `max_steps` steps in one call did not reach the end time.
    #[error(
        "rk45: more than method_options.max_steps steps without reaching the end, \
         stopped at t = {t_ms} ms (raise max_steps or h_max_ms, or loosen rtol/atol)"
    )]
    TooManySteps {
        /// \[ms\] time of the last accepted state.
        t_ms: f64,
    },
    /// The state or its derivative became NaN or infinite and no smaller
    /// step avoids it.
    #[error(
        "rk45: the state or its derivative is not finite at t = {t_ms} ms \
         (the model blew up: check parameters and input weights)"
    )]
    NonFinite {
        /// \[ms\] time of the last finite state.
        t_ms: f64,
    },
    /// The end time is before the start time, or either is not finite.
    #[error(
        "rk45: cannot integrate from t = {t0_ms} ms to t = {t1_ms} ms (need t0 <= t1, both finite)"
    )]
    InvalidInterval {
        /// \[ms\] start time.
        t0_ms: f64,
        /// \[ms\] end time.
        t1_ms: f64,
    },
}

/// Work counters of an [`Rk45`], cumulative since [`Rk45::new`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rk45Stats {
    /// Accepted steps.
    pub accepted: u64,
    /// Rejected steps (error too large, or a non-finite stage).
    pub rejected: u64,
    /// Evaluations of [`OdeSystem::rhs`].
    pub rhs_evals: u64,
}

/// The adaptive Dormand–Prince 5(4) integrator for systems of dimension
/// `dim`, with all scratch allocated in [`new`](Self::new).
///
/// One `Rk45` serves one trajectory at a time: it remembers the step size
/// and the derivative at the last state it produced, so a trial calls
/// [`integrate`](Self::integrate) from event to event with the same
/// integrator.
#[derive(Debug, Clone)]
pub struct Rk45 {
    dim: usize,
    opts: Rk45Options,
    /// Next step size to try \[ms\].
    h: f64,
    /// err of the last accepted step, for the PI controller.
    err_prev: f64,
    /// Whether `k[0]` is f(t_last, y_last) for the state the last call left.
    fsal_valid: bool,
    t_last: f64,
    /// State at the start of the current step.
    y0: Vec<f64>,
    /// 5th-order state at its end.
    y1: Vec<f64>,
    /// Stage argument.
    ytmp: Vec<f64>,
    /// Stage derivatives k1..k7 (k7 = f(t1, y1) is the next step's k1).
    k: [Vec<f64>; 7],
    stats: Rk45Stats,
}

impl Rk45 {
    /// An integrator for systems of dimension `dim` with validated
    /// `options` (see [`Rk45Options::validate`]; invalid options give
    /// meaningless steps, not undefined behaviour).
    pub fn new(dim: usize, options: Rk45Options) -> Self {
        Self {
            dim,
            opts: options,
            h: options.h_init_ms.min(options.h_max_ms),
            err_prev: 1e-4,
            fsal_valid: false,
            t_last: f64::NAN,
            y0: vec![0.0; dim],
            y1: vec![0.0; dim],
            ytmp: vec![0.0; dim],
            k: std::array::from_fn(|_| vec![0.0; dim]),
            stats: Rk45Stats::default(),
        }
    }

    /// The options given to [`new`](Self::new).
    pub fn options(&self) -> &Rk45Options {
        &self.opts
    }

    /// Work counters so far.
    pub fn stats(&self) -> Rk45Stats {
        self.stats
    }

    /// The step size (ms) the next call will try first.
    pub fn next_step_ms(&self) -> f64 {
        self.h
    }

    /// Forgets the stored derivative, so the next
    /// [`integrate`](Self::integrate) evaluates f at its start.
    ///
    /// `integrate` already does so when its start time or state differs
    /// from where the previous call ended (a jump applied to y); call this
    /// when the *system* changed instead (e.g. a parameter or a constant
    /// input current switched at the event). The step size is kept.
    pub fn reset_after_jump(&mut self) {
        self.fsal_valid = false;
    }

    /// Integrates `y` from `t0` to `t1` (ms), landing exactly on `t1` (the
    /// last step is clipped), and calls `on_step` after every accepted step
    /// with its [`DenseStep`]. Returns the time reached: `t1`, or the end of
    /// the step at which `on_step` returned `ControlFlow::Break(())`; `y`
    /// then holds the state at that time.
    ///
    /// The derivative at the start is reused from the previous call when
    /// `t0` and `y` are bitwise where that call ended (FSAL), else
    /// recomputed; the step size always carries over.
    ///
    /// # Errors
    /// [`Rk45Error`]; `y` then holds the last accepted state, at the
    /// error's `t_ms`.
    ///
    /// # Panics
    /// If `y.len()` or `sys.dim()` differ from the integrator's dimension.
    pub fn integrate<S: OdeSystem>(
        &mut self,
        sys: &S,
        t0: f64,
        y: &mut [f64],
        t1: f64,
        mut on_step: impl FnMut(&DenseStep<'_>) -> ControlFlow<()>,
    ) -> Result<f64, Rk45Error> {
        self.start(sys, t0, y, t1)?;
        let opts = self.opts;
        let mut t = t0;
        let mut h = self.h.min(opts.h_max_ms);
        let mut steps = 0u64;
        let mut last_rejected = false;
        while t < t1 {
            if steps >= opts.max_steps {
                return Err(self.fail(y, t, Rk45Error::TooManySteps { t_ms: t }));
            }
            steps += 1;
            // Clip to land on t1; stretch by up to 1 % rather than leave a
            // sliver of a step (as DOPRI5 does).
            let last = t + 1.01 * h >= t1;
            let h_step = if last { t1 - t } else { h };
            let t_new = if last { t1 } else { t + h_step };
            let (err, finite) = self.step(sys, t, h_step);
            if finite && err <= 1.0 {
                self.stats.accepted += 1;
                // PI controller (Hairer, Nørsett & Wanner I, eq. II.4.13 ff.).
                let err_c = err.max(1e-10);
                let fac = SAFETY * err_c.powf(-ALPHA) * self.err_prev.powf(BETA);
                let mut h_new = h_step * fac.clamp(FAC_MIN, FAC_MAX);
                if last_rejected {
                    h_new = h_new.min(h_step);
                }
                self.err_prev = err.max(1e-4);
                last_rejected = false;
                // A step clipped to land on t1 says little about the step
                // the dynamics allow: keep the unclipped proposal if larger.
                if last {
                    h_new = h_new.max(h);
                }
                h = h_new.min(opts.h_max_ms);
                let flow = on_step(&DenseStep {
                    t0: t,
                    t1: t_new,
                    y0: &self.y0,
                    y1: &self.y1,
                    h: h_step,
                    k: &self.k,
                });
                std::mem::swap(&mut self.y0, &mut self.y1);
                self.k.swap(0, 6);
                t = t_new;
                if flow.is_break() {
                    break;
                }
            } else {
                self.stats.rejected += 1;
                last_rejected = true;
                let fac = if finite {
                    (SAFETY * err.powf(-ALPHA)).max(FAC_MIN)
                } else {
                    // Overflow or NaN inside the step: shrink hard, and
                    // report NonFinite if no step avoids it.
                    FAC_MIN
                };
                let h_new = h_step * fac.min(1.0);
                if h_new < opts.h_min_ms || h_new <= 16.0 * f64::EPSILON * t.abs().max(1.0) {
                    let e = if finite {
                        Rk45Error::StepTooSmall {
                            t_ms: t,
                            h_ms: h_new,
                        }
                    } else {
                        Rk45Error::NonFinite { t_ms: t }
                    };
                    return Err(self.fail(y, t, e));
                }
                h = h_new;
            }
        }
        self.finish(y, t, h);
        Ok(t)
    }

    /// Integrates from `t0` to `t1` in `n_steps` equal steps of the 5th-order
    /// formula without error control (a diagnostic: order checks, or a
    /// reference at a chosen step). `on_step` is called as in
    /// [`integrate`](Self::integrate); the adaptive step size is not
    /// touched.
    ///
    /// # Errors
    /// [`Rk45Error::NonFinite`] if a state or derivative is not finite;
    /// [`Rk45Error::InvalidInterval`] if `t1 < t0`.
    ///
    /// # Panics
    /// As [`integrate`](Self::integrate), and if `n_steps == 0`.
    pub fn integrate_fixed<S: OdeSystem>(
        &mut self,
        sys: &S,
        t0: f64,
        y: &mut [f64],
        t1: f64,
        n_steps: u64,
        mut on_step: impl FnMut(&DenseStep<'_>) -> ControlFlow<()>,
    ) -> Result<f64, Rk45Error> {
        assert!(n_steps > 0, "integrate_fixed needs at least one step");
        self.start(sys, t0, y, t1)?;
        let h = (t1 - t0) / n_steps as f64;
        let mut t = t0;
        for j in 1..=n_steps {
            let t_new = if j == n_steps { t1 } else { t0 + j as f64 * h };
            let h_step = t_new - t;
            let (_, finite) = self.step(sys, t, h_step);
            if !finite {
                return Err(self.fail(y, t, Rk45Error::NonFinite { t_ms: t }));
            }
            self.stats.accepted += 1;
            let flow = on_step(&DenseStep {
                t0: t,
                t1: t_new,
                y0: &self.y0,
                y1: &self.y1,
                h: h_step,
                k: &self.k,
            });
            std::mem::swap(&mut self.y0, &mut self.y1);
            self.k.swap(0, 6);
            t = t_new;
            if flow.is_break() {
                break;
            }
        }
        let h_keep = self.h;
        self.finish(y, t, h_keep);
        Ok(t)
    }

    /// Checks the call, loads `y` into `y0` and makes `k[0] = f(t0, y0)`.
    fn start<S: OdeSystem>(
        &mut self,
        sys: &S,
        t0: f64,
        y: &[f64],
        t1: f64,
    ) -> Result<(), Rk45Error> {
        assert_eq!(y.len(), self.dim, "rk45: state length vs dimension");
        assert_eq!(sys.dim(), self.dim, "rk45: system dimension");
        if !(t0.is_finite() && t1.is_finite() && t0 <= t1) {
            return Err(Rk45Error::InvalidInterval {
                t0_ms: t0,
                t1_ms: t1,
            });
        }
        let resume = self.fsal_valid && self.t_last == t0 && self.y0.as_slice() == y;
        self.fsal_valid = false;
        if !resume {
            if !y.iter().all(|v| v.is_finite()) {
                return Err(Rk45Error::NonFinite { t_ms: t0 });
            }
            self.y0.copy_from_slice(y);
            sys.rhs(t0, &self.y0, &mut self.k[0]);
            self.stats.rhs_evals += 1;
            if !self.k[0].iter().all(|v| v.is_finite()) {
                return Err(Rk45Error::NonFinite { t_ms: t0 });
            }
        }
        self.fsal_valid = true;
        self.t_last = t0;
        Ok(())
    }

    /// Copies the state at `t` out; k[0] is f there, so the next call may
    /// resume without evaluating f.
    fn finish(&mut self, y: &mut [f64], t: f64, h: f64) {
        y.copy_from_slice(&self.y0);
        self.t_last = t;
        self.fsal_valid = true;
        self.h = h;
    }

    /// As [`finish`](Self::finish), returning `e`.
    fn fail(&mut self, y: &mut [f64], t: f64, e: Rk45Error) -> Rk45Error {
        let h = self.h;
        self.finish(y, t, h);
        e
    }

    /// One trial step of size `h` from (t, y0) with k[0] = f(t, y0): fills
    /// k[1..7] and y1, returns (scaled RMS error, all finite).
    fn step<S: OdeSystem>(&mut self, sys: &S, t: f64, h: f64) -> (f64, bool) {
        let n = self.dim;
        let (y0, y1, yt, k) = (&self.y0, &mut self.y1, &mut self.ytmp, &mut self.k);
        for i in 0..n {
            yt[i] = y0[i] + h * A21 * k[0][i];
        }
        sys.rhs(t + C2 * h, yt, &mut k[1]);
        for i in 0..n {
            yt[i] = y0[i] + h * (A31 * k[0][i] + A32 * k[1][i]);
        }
        sys.rhs(t + C3 * h, yt, &mut k[2]);
        for i in 0..n {
            yt[i] = y0[i] + h * (A41 * k[0][i] + A42 * k[1][i] + A43 * k[2][i]);
        }
        sys.rhs(t + C4 * h, yt, &mut k[3]);
        for i in 0..n {
            yt[i] = y0[i] + h * (A51 * k[0][i] + A52 * k[1][i] + A53 * k[2][i] + A54 * k[3][i]);
        }
        sys.rhs(t + C5 * h, yt, &mut k[4]);
        for i in 0..n {
            yt[i] = y0[i]
                + h * (A61 * k[0][i]
                    + A62 * k[1][i]
                    + A63 * k[2][i]
                    + A64 * k[3][i]
                    + A65 * k[4][i]);
        }
        sys.rhs(t + h, yt, &mut k[5]);
        for i in 0..n {
            y1[i] = y0[i]
                + h * (A71 * k[0][i]
                    + A73 * k[2][i]
                    + A74 * k[3][i]
                    + A75 * k[4][i]
                    + A76 * k[5][i]);
        }
        sys.rhs(t + h, y1, &mut k[6]);
        self.stats.rhs_evals += 6;
        let (atol, rtol) = (self.opts.atol, self.opts.rtol);
        let mut sum = 0.0;
        let mut finite = true;
        for i in 0..n {
            let e = h
                * (E1 * k[0][i]
                    + E3 * k[2][i]
                    + E4 * k[3][i]
                    + E5 * k[4][i]
                    + E6 * k[5][i]
                    + E7 * k[6][i]);
            let sc = atol + rtol * y0[i].abs().max(y1[i].abs());
            sum += (e / sc) * (e / sc);
            finite &= y1[i].is_finite() && k[6][i].is_finite();
        }
        let err = (sum / n.max(1) as f64).sqrt();
        (err, finite && err.is_finite())
    }
}

/// One accepted step, with the continuous extension over it.
///
/// Borrowed from the integrator for the duration of the `on_step` call.
#[derive(Debug, Clone, Copy)]
pub struct DenseStep<'a> {
    /// \[ms\] start of the step.
    pub t0: f64,
    /// \[ms\] end of the step (exactly the end time for the last step).
    pub t1: f64,
    /// State at `t0`.
    pub y0: &'a [f64],
    /// State at `t1` (5th order).
    pub y1: &'a [f64],
    /// \[ms\] step size used (t1 − t0 up to rounding).
    h: f64,
    k: &'a [Vec<f64>; 7],
}

impl DenseStep<'_> {
    /// The continuous extension at `t` in [t0, t1], all components, into
    /// `out`: Hairer's 4th-order Dormand–Prince interpolant (exact at both
    /// ends, C¹ across steps). Outside [t0, t1] it extrapolates.
    pub fn interpolate(&self, t: f64, out: &mut [f64]) {
        assert_eq!(out.len(), self.y0.len(), "interpolate: output length");
        let theta = (t - self.t0) / self.h;
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.poly(i, theta);
        }
    }

    /// Component `i` of the continuous extension at `t` (see
    /// [`interpolate`](Self::interpolate)).
    pub fn component(&self, t: f64, i: usize) -> f64 {
        self.poly(i, (t - self.t0) / self.h)
    }

    /// The first time in (t0, t1] at which component `i` crosses `level`
    /// upwards (from < level to ≥ level) on the continuous extension, to
    /// within 1e-12 ms (or the resolution of t); `None` if there is none.
    ///
    /// The crossing is bracketed by sampling the polynomial at 8 equal
    /// sub-intervals (so an excursion above the level and back inside one
    /// step is found unless it is narrower than h/8), with the exact `y1`
    /// as the last sample so that a crossing at a step boundary is reported
    /// once, by the step ending there; it is then refined by the Illinois
    /// variant of regula falsi, falling back to bisection when the bracket
    /// does not halve. The time returned is the bracket's upper end, where
    /// the polynomial is already ≥ level.
    ///
    /// A jump of y at an event is not a crossing of any step: the caller
    /// checks the state after applying it.
    pub fn upward_crossing(&self, i: usize, level: f64) -> Option<f64> {
        const SAMPLES: u32 = 8;
        let f = |theta: f64| self.poly(i, theta) - level;
        let (mut a, mut fa) = (0.0, self.y0[i] - level);
        for j in 1..=SAMPLES {
            let (b, fb) = if j == SAMPLES {
                (1.0, self.y1[i] - level)
            } else {
                let b = f64::from(j) / f64::from(SAMPLES);
                (b, f(b))
            };
            if fa < 0.0 && fb >= 0.0 {
                let theta = refine(f, a, fa, b, fb, 1e-12 / self.h);
                return Some(if theta >= 1.0 {
                    self.t1
                } else {
                    self.t0 + theta * self.h
                });
            }
            (a, fa) = (b, fb);
        }
        None
    }

    /// Hairer's CONTD5 at θ = (t − t0)/h for component `i`.
    #[inline]
    fn poly(&self, i: usize, theta: f64) -> f64 {
        let (k, h) = (self.k, self.h);
        let y0 = self.y0[i];
        let ydiff = self.y1[i] - y0;
        let bspl = h * k[0][i] - ydiff;
        let r4 = ydiff - h * k[6][i] - bspl;
        let r5 = h
            * (D1 * k[0][i]
                + D3 * k[2][i]
                + D4 * k[3][i]
                + D5 * k[4][i]
                + D6 * k[5][i]
                + D7 * k[6][i]);
        let theta1 = 1.0 - theta;
        y0 + theta * (ydiff + theta1 * (bspl + theta * (r4 + theta1 * r5)))
    }
}

/// Root of `f` in [a, b] with f(a) < 0 ≤ f(b), to a bracket width `tol`;
/// returns the upper end (f ≥ 0 there).
fn refine(
    f: impl Fn(f64) -> f64,
    mut a: f64,
    mut fa: f64,
    mut b: f64,
    mut fb: f64,
    tol: f64,
) -> f64 {
    // Which end the previous iterate replaced: the Illinois step halves the
    // function value at an end that survives twice, which restores
    // superlinear convergence where plain regula falsi stalls.
    let mut side = 0i8;
    let mut bisect = false;
    for _ in 0..200 {
        let width = b - a;
        if width <= tol || fb == 0.0 {
            break;
        }
        let mut x = if bisect {
            0.5 * (a + b)
        } else {
            a - fa * width / (fb - fa)
        };
        if !(x > a && x < b) {
            x = 0.5 * (a + b);
            if !(x > a && x < b) {
                break; // a and b are adjacent floats
            }
        }
        let fx = f(x);
        if fx >= 0.0 {
            (b, fb) = (x, fx);
            if side == 1 {
                fa *= 0.5;
            }
            side = 1;
        } else {
            (a, fa) = (x, fx);
            if side == -1 {
                fb *= 0.5;
            }
            side = -1;
        }
        bisect = b - a > 0.5 * width;
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tableau's consistency conditions: row sums equal the nodes, the
    /// 5th-order weights sum to 1, the error weights to 0. A typo in a
    /// coefficient breaks one of these (or the order test in
    /// tests/rk45.rs).
    #[test]
    fn tableau_is_consistent() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-15;
        assert!(close(A21, C2));
        assert!(close(A31 + A32, C3));
        assert!(close(A41 + A42 + A43, C4));
        assert!(close(A51 + A52 + A53 + A54, C5));
        assert!(close(A61 + A62 + A63 + A64 + A65, 1.0));
        assert!(close(A71 + A73 + A74 + A75 + A76, 1.0));
        assert!(close(E1 + E3 + E4 + E5 + E6 + E7, 0.0));
        // Dense output: for y' = c every k is c and the interpolant reduces
        // to y0 + θhc + θ²(1−θ)²·h·c·ΣD, so it is exact only if ΣD = 0.
        assert!((D1 + D3 + D4 + D5 + D6 + D7).abs() < 1e-12);
    }

    /// The Illinois refinement converges to the bracket tolerance on a
    /// function where plain regula falsi stalls (strongly convex).
    #[test]
    fn refine_converges_on_a_convex_function() {
        let f = |x: f64| x.powi(8) - 0.5f64.powi(8);
        let root = refine(f, 0.0, f(0.0), 1.0, f(1.0), 1e-13);
        assert!((root - 0.5).abs() < 1e-12, "{root}");
        assert!(f(root) >= 0.0);
    }
}
