//! General ODE integration: the adaptive Dormand–Prince RK45 method.
//!
//! The fixed-step [`Stepper`](crate::Stepper)s integrate the HH equations
//! with a step chosen by the user and detect spikes on the step grid. This
//! module is the other tool: an error-controlled integrator for any system
//! `y' = f(t, y)` whose dimension is known only at run time (HH, Traub–Miles,
//! LIF or a passive membrane, each with its synapse state variables), used
//! as ground truth for the fixed-step methods and as `method = "rk45"`.
//!
//! Why Dormand–Prince 5(4):
//! - the step adapts to the dynamics: long steps between spikes, short ones
//!   on the upstroke, with the local error kept below `rtol`/`atol`;
//! - it carries a free 4th-order continuous extension ([`DenseStep`]), so
//!   spike times are located on the polynomial inside a step
//!   ([`DenseStep::upward_crossing`]) to the integrator's accuracy instead of
//!   on a chord between grid points;
//! - it is FSAL (first same as last): an accepted step costs 6 right-hand
//!   side evaluations, and the last derivative is reused across calls.
//!
//! Input events (delta jumps) are applied at exact times by integrating
//! event to event: [`Rk45::integrate`] lands exactly on its end time, the
//! caller changes `y`, and the next call recomputes the first derivative
//! (the integrator notices the changed state itself; see
//! [`Rk45::reset_after_jump`] for changes it cannot see). The step size is
//! kept between calls, so frequent events do not restart the step-size
//! search each time.
//!
//! All times are in ms (`t_ms`, `h_ms`); the units of `y` are the system's
//! (mV for a membrane potential, dimensionless gates, nS for conductances),
//! and `atol` is in those units.
//!
//! # Example
//! ```
//! use std::ops::ControlFlow;
//! use spikemc_core::{OdeSystem, Rk45, Rk45Options};
//!
//! /// Passive membrane relaxing to E_L: τ dV/dt = −(V − E_L).
//! struct Passive { tau_ms: f64, e_l_mv: f64 }
//! impl OdeSystem for Passive {
//!     fn dim(&self) -> usize { 1 }
//!     fn rhs(&self, _t_ms: f64, y: &[f64], dy: &mut [f64]) {
//!         dy[0] = -(y[0] - self.e_l_mv) / self.tau_ms;
//!     }
//! }
//!
//! let sys = Passive { tau_ms: 10.0, e_l_mv: -65.0 };
//! let mut rk = Rk45::new(1, Rk45Options::default());
//! let mut v = [-50.0];
//! let mut crossed = None;
//! // Relax for 5 ms (to −55.9 mV), apply a +10 mV kick at exactly t = 5 ms,
//! // then watch for an upward crossing of −40 mV, which never comes: the
//! // membrane only relaxes from −45.9 mV.
//! rk.integrate(&sys, 0.0, &mut v, 5.0, |_| ControlFlow::Continue(())).unwrap();
//! v[0] += 10.0;
//! rk.integrate(&sys, 5.0, &mut v, 20.0, |step| {
//!     crossed = crossed.or(step.upward_crossing(0, -40.0));
//!     ControlFlow::Continue(())
//! })
//! .unwrap();
//! assert!(crossed.is_none());
//! let exact = -65.0 + ((-50.0 + 65.0) * (-0.5f64).exp() + 10.0) * (-1.5f64).exp();
//! assert!((v[0] - exact).abs() < 1e-4);
//! ```
//!
//! # References
//! - J. R. Dormand, P. J. Prince (1980), A family of embedded Runge–Kutta
//!   formulae, J. Comput. Appl. Math. 6, 19–26, doi:10.1016/0771-050X(80)90013-3.
//! - E. Hairer, S. P. Nørsett, G. Wanner, Solving Ordinary Differential
//!   Equations I, 2nd ed., Springer 1993, §II.4–II.6 (step-size control, PI
//!   controller, dense output; the coefficients follow Hairer's `DOPRI5`),
//!   doi:10.1007/978-3-540-78862-1.

mod rk45;

pub use rk45::{DenseStep, OdeSystem, Rk45, Rk45Error, Rk45Options, Rk45Stats};
