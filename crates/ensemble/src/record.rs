//! What the runner hands to a sink: finished chunks of trial records.

use spikemc_analysis::TrialStats;
use spikemc_core::Trace;

/// One trial's results.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialRecord {
    /// Trial id within its point.
    pub trial: u32,
    /// \[ms\] spike times.
    pub spikes_ms: Vec<f64>,
    /// Transmitted input events per population (plan's `input_names` order).
    pub input_counts: Vec<u64>,
    /// Per-trial statistics over the whole trial.
    pub stats: TrialStats,
    /// Sampled traces, for recorded trials only.
    pub trace: Option<Trace>,
}

/// A finished chunk: consecutive trials of one point, in trial order.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkResult {
    /// Global chunk index.
    pub chunk: u32,
    /// Sweep point.
    pub point: u32,
    /// The trials, ordered by id.
    pub trials: Vec<TrialRecord>,
}
