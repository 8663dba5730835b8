//! spikemc-core: the Hodgkin–Huxley neuron driven by superposed Poisson
//! input, integrated one trial at a time.
//!
//! The crate knows nothing of files, threads or Parquet. A trial is a pure
//! function of a validated [`Protocol`] and the trial's random streams
//! (one [`Xoshiro256PlusPlus`](rand_xoshiro::Xoshiro256PlusPlus) per input
//! population), so the ensemble runner can reproduce any trial alone.
//!
//! # Brief overview
//! - [`HhParams`], [`HhState`], [`Rates`]: the HH 1952 model in the
//!   question's per-area units (mV, ms, µA/cm², mS/cm², µF/cm²).
//! - [`PoissonInput`]: N inputs at r Hz, transmission probability p, a delta
//!   jump in mV per transmitted spike; sampled as one Poisson(N·r·p·dt)
//!   count per step by [`PoissonSampler`], in O(1) whatever N is.
//! - [`Method`]: forward Euler, RK4 and Rush–Larsen (the default, run by the
//!   vectorized [`lanes`] engine; `rush-larsen-reference` is the plain one).
//! - [`Rk45`]: adaptive Dormand–Prince 5(4) for any [`OdeSystem`], with
//!   dense output and crossing location ([`DenseStep`]): ground truth for
//!   the fixed-step methods, integrated event to event.
//! - [`DetectParams`]: threshold crossings with hysteresis.
//! - [`Protocol`] + [`run_trial`]: one trial → [`TrialOutput`] (and a [`Trace`]).
//!
//! # Example
//! ```
//! use rand::SeedableRng;
//! use rand_xoshiro::Xoshiro256PlusPlus;
//! use spikemc_core::*;
//!
//! let exc = PoissonInput { count: 80, rate_hz: 10.0, p_transmit: 0.5, weight: 1.0 };
//! let protocol = Protocol::new(ProtocolSpec {
//!     params: HhParams::default(),
//!     method: Method::RushLarsen,
//!     duration_ms: 100.0,
//!     dt_ms: 0.01,
//!     detect: DetectParams::default(),
//!     initial: HhState::at_rest(-65.0),
//!     inputs: vec![("exc", &exc)],
//! })
//! .unwrap();
//! let mut rngs = [Xoshiro256PlusPlus::seed_from_u64(1)];
//! let mut out = TrialOutput::default();
//! run_trial(&protocol, &mut rngs, &mut out, None).unwrap();
//! // 80 inputs × 10 Hz × p 0.5 = 400 events/s → about 40 in 100 ms.
//! assert!(out.input_counts[0] > 10 && out.input_counts[0] < 80);
//! ```
#![deny(missing_docs)]

mod detect;
mod error;
mod generic;
mod hh;
mod input;
pub mod lanes;
mod method;
mod models;
mod ode;
mod poisson;
mod process;
mod synapse;
mod trial;

pub use detect::{DetectParams, DetectRule, SpikeDetector};
pub use error::ParamError;
pub use hh::{HhParams, HhState, Rates, exprel};
pub use input::{PoissonInput, PreparedInput};
pub use method::{Euler, Method, Rk4, RushLarsen, Stepper};
pub use models::{LifParams, Neuron, PassiveParams, TraubParams, TraubRates};
pub use ode::{DenseStep, OdeSystem, Rk45, Rk45Error, Rk45Options, Rk45Stats};
pub use poisson::PoissonSampler;
pub use process::{
    InputSpec, MAX_EXPLICIT_SOURCES, Process, ProcessKind, ProcessState, RateProfile,
};
pub use synapse::{SynapseKind, SynapseParams};
pub use trial::{
    Protocol, ProtocolSpec, Timing, Trace, TrialError, TrialOutput, V_LIMIT_MV, run_trial,
};
