//! Spike-train statistics for spikemc: per-trial rates, interspike-interval (ISI)
//! measures (CV, CV2, LV, LvR), spike-count Fano factors with confidence intervals and a
//! Poisson dispersion test, rate confidence intervals, ISI histograms and PSTHs. The crate
//! is pure — sorted spike times in milliseconds in, numbers out; no Arrow, no I/O, no
//! threads — and follows Elephant's definitions wherever Elephant has one.
//!
//! # Brief overview
//!
//! * [`trial_stats`] turns one trial into a [`TrialStats`] (one row of the trials table).
//! * [`PointAccumulator`] collects all trials of one sweep point, in any order and in any
//!   number of partial accumulators that are [`merge`](PointAccumulator::merge)d; its
//!   [`finish`](PointAccumulator::finish) gives the [`PointTables`]: a [`SummaryRow`] and
//!   the rows of the ISI histogram ([`IsiHistRow`]), the Fano table ([`FanoRow`]) and the
//!   PSTH ([`PsthRow`]). The tables are bit-identical for any ordering or chunking.
//! * [`AnalysisConfig`] holds the bins, windows and confidence level;
//!   [`AnalysisConfig::validate`] reports bad values as an [`AnalysisError`].
//! * The building blocks are public: [`isis`], [`cv`], [`cv2`], [`lv`], [`lvr`],
//!   [`count_windows`], [`fano_factor`], [`CountMoments`], [`garwood_interval`],
//!   [`student_t_interval`], [`fano_interval`], [`dispersion_p_value`].
//!
//! Units: times in ms (`f64`), rates in Hz. Bins and windows are left-closed `[a, b)`:
//! a spike exactly on an edge counts in the bin that starts there. Values that are not
//! defined are `None` in [`TrialStats`] and `NaN` in the table rows.
//!
//! # Example
//!
//! ```
//! use spikemc_analysis::{AnalysisConfig, PointAccumulator, trial_stats};
//!
//! // Two trials over [0, 1000) ms; the second never fires.
//! let trial0 = [12.5, 130.0, 250.0, 610.0];
//! let stats = trial_stats(&trial0, 0.0, 1000.0);
//! assert_eq!(stats.n_spikes, 4);
//! assert_eq!(stats.rate_hz, 4.0);
//! assert_eq!(stats.first_spike_ms, Some(12.5));
//!
//! let cfg = AnalysisConfig::default();
//! cfg.validate()?;
//! let mut acc = PointAccumulator::new(&cfg, 0.0, 1000.0);
//! acc.add_trial(0, &trial0);
//! acc.add_trial(1, &[]);
//! let tables = acc.finish();
//! assert_eq!(tables.summary.n_trials, 2);
//! assert_eq!(tables.summary.n_trials_silent, 1);
//! assert_eq!(tables.summary.rate_mean_hz, 2.0);
//! // Counts 4 and 0 over the whole trial: variance 8, mean 2, Fano factor 4.
//! assert_eq!(tables.summary.fano_main, 4.0);
//! # Ok::<(), spikemc_analysis::AnalysisError>(())
//! ```
//!
//! # Design notes
//!
//! Order independence is obtained without sorting spikes: every count statistic is an
//! exact integer sum ([`CountMoments`], histograms), and the few floating-point per-trial
//! values are kept per trial and reduced in trial-id order in
//! [`finish`](PointAccumulator::finish). The numbers therefore do not depend on the
//! number of threads or chunks that produced them.

#![deny(missing_docs)]

mod accumulator;
mod confidence;
mod config;
mod count;
mod error;
mod interval;
mod train;

pub use accumulator::{FanoRow, IsiHistRow, PointAccumulator, PointTables, PsthRow, SummaryRow};
pub use confidence::{dispersion_p_value, fano_interval, garwood_interval, student_t_interval};
pub use config::{AnalysisConfig, MAX_BINS};
pub use count::{CountMoments, bin_edge, bin_index, count_windows, fano_factor, n_whole_windows};
pub use error::AnalysisError;
pub use interval::{LVR_R_MS, cv, cv2, lv, lvr};
pub use train::{TrialStats, isis, spikes_in, trial_stats};
