//! spikemc-ensemble: from an experiment file to seeded trials on all cores.
//!
//! The experiment file (TOML) is read into an [`ExperimentSpec`], `--set`
//! assignments and the `[sweep]` grid are applied with one dotted-path
//! language ([`Assignment`]), and the result is checked once into a
//! [`Plan`]: points, chunks, seeds. [`run`] then simulates the chunks on a
//! rayon pool and streams each finished [`ChunkResult`] to a [`Sink`] (the
//! store crate writes Parquet; this crate knows nothing of files).
//!
//! Every trial draws from its own streams, derived from (seed, point,
//! trial, purpose) only (see [`seeding`]), so results are bit-identical for
//! any thread count or chunk size, and any trial can be replayed alone.
//!
//! # Example
//! ```
//! use spikemc_ensemble::{Plan, Assignment};
//! let toml = r#"
//!     duration_ms = 50.0
//!     trials = 4
//!     [inputs.exc]
//!     count = 80
//!     rate_hz = 10.0
//!     weight = 1.0
//! "#;
//! let sets = [Assignment::parse("inputs.exc.rate_hz=20").unwrap()];
//! let plan = Plan::from_toml(toml, "example", &sets).unwrap();
//! assert_eq!(plan.spec.inputs["exc"].rate_hz, 20.0);
//! assert_eq!(plan.chunks.len(), 1);
//! ```
#![deny(missing_docs)]

mod error;
mod path;
mod plan;
mod record;
mod runner;
pub mod seeding;
mod spec;

pub use error::{RunError, SpecError};
pub use path::{Assignment, parse_value};
pub use plan::{Chunk, MAX_ID, Plan, Point};
pub use record::{ChunkResult, TrialRecord};
pub use runner::{Sink, run, simulate_chunk, simulate_trial};
pub use spec::{
    AnalysisSpec, ExperimentSpec, InitialSpec, MethodOptionsSpec, NeuronSpec, QUESTION_AS_MEANT,
    RecordSpec, RunSpec, SynapseKind, SynapseSpec,
};
