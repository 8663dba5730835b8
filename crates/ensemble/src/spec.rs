//! The experiment file as written: serde types with defaults, and nothing
//! else. [`crate::Plan`] turns a spec into a validated plan.

use serde::{Deserialize, Serialize};
pub use spikemc_core::SynapseKind;
use spikemc_core::{DetectParams, InputSpec, Method, Neuron, Rk45Options, SynapseParams, Timing};
use std::collections::BTreeMap;

/// An experiment file (TOML). Every key carries its unit in its name or doc.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    /// Name of the experiment (free text, recorded in the output).
    #[serde(default = "default_name")]
    pub name: String,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// \[ms\] length of each trial.
    pub duration_ms: f64,
    /// \[ms\] integration step (default 0.01).
    #[serde(default = "default_dt")]
    pub dt_ms: f64,
    /// Integration method (default rush-larsen).
    #[serde(default = "default_method")]
    pub method: Method,
    /// Input timing: `grid` (default; events act at step ends) or `exact`
    /// (each event at its own time; needs method = "rk45").
    #[serde(default)]
    pub timing: Timing,
    /// Tolerances and step limits of `method = "rk45"`.
    #[serde(default)]
    pub method_options: MethodOptionsSpec,
    /// Number of trials per sweep point.
    pub trials: u64,
    /// Master seed of all random streams.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Use the same random streams at every sweep point (common random numbers).
    #[serde(default)]
    pub common_random_numbers: bool,
    /// The neuron.
    #[serde(default)]
    pub neuron: NeuronSpec,
    /// The synapse type shared by all inputs.
    #[serde(default)]
    pub synapse: SynapseSpec,
    /// Input populations by name (`[inputs.exc]`, `[inputs.inh]`, ...).
    #[serde(default)]
    pub inputs: BTreeMap<String, InputSpec>,
    /// Initial state.
    #[serde(default)]
    pub initial: InitialSpec,
    /// Spike detection.
    #[serde(default)]
    pub detect: DetectParams,
    /// Which trials to record traces of.
    #[serde(default)]
    pub record: RecordSpec,
    /// Statistics settings.
    #[serde(default)]
    pub analysis: AnalysisSpec,
    /// Execution settings that do not change results.
    #[serde(default)]
    pub run: RunSpec,
    /// Optional grid: dotted path → list of values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sweep: BTreeMap<String, Vec<toml::Value>>,
}

fn default_name() -> String {
    "unnamed".into()
}
fn default_dt() -> f64 {
    0.01
}
fn default_method() -> Method {
    Method::RushLarsen
}
fn default_seed() -> u64 {
    1
}

/// `[neuron]`: the model and its parameters, tagged by `model`
/// (`hh`, `traub-miles`, `lif`, `passive`; see docs/models.md).
pub type NeuronSpec = Neuron;

/// `[synapse]`: the kind (`delta`, `exp-current`, `exp-conductance`,
/// `alpha-current`, `alpha-conductance`), time constants and reversal
/// potentials (see docs/models.md).
pub type SynapseSpec = SynapseParams;

/// `[method_options]`: tolerances and step limits of `method = "rk45"`
/// (ignored by the fixed-step methods); see [`Rk45Options`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MethodOptionsSpec {
    /// Relative tolerance, in [1e-14, 1) (default 1e-6).
    pub rtol: f64,
    /// Absolute tolerance in the units of the state (mV, gates), > 0 (default 1e-8).
    pub atol: f64,
    /// \[ms\] first trial step (default 0.01).
    pub h_init_ms: f64,
    /// \[ms\] largest step (default 1; never beyond dt_ms with grid timing).
    pub h_max_ms: f64,
    /// \[ms\] smallest step before giving up (default 0).
    pub h_min_ms: f64,
    /// Most steps per grid step or event interval (default 10⁷).
    pub max_steps: u64,
}

impl Default for MethodOptionsSpec {
    fn default() -> Self {
        let o = Rk45Options::default();
        Self {
            rtol: o.rtol,
            atol: o.atol,
            h_init_ms: o.h_init_ms,
            h_max_ms: o.h_max_ms,
            h_min_ms: o.h_min_ms,
            max_steps: o.max_steps,
        }
    }
}

impl MethodOptionsSpec {
    /// As the core's options.
    pub fn rk45(&self) -> Rk45Options {
        Rk45Options {
            rtol: self.rtol,
            atol: self.atol,
            h_init_ms: self.h_init_ms,
            h_max_ms: self.h_max_ms,
            h_min_ms: self.h_min_ms,
            max_steps: self.max_steps,
        }
    }
}

/// `[initial]`: the state at t = 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialSpec {
    /// \[mV\] initial membrane potential (default −65, for every model).
    #[serde(default = "default_v0")]
    pub v_mv: f64,
    /// Initial m; default m∞(v_mv) of the model (HH and Traub–Miles only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m: Option<f64>,
    /// Initial h; default h∞(v_mv).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h: Option<f64>,
    /// Initial n; default n∞(v_mv).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<f64>,
}

fn default_v0() -> f64 {
    -65.0
}

impl Default for InitialSpec {
    fn default() -> Self {
        Self {
            v_mv: default_v0(),
            m: None,
            h: None,
            n: None,
        }
    }
}

/// `[record]`: traces of selected trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSpec {
    /// Trial ids whose traces are written to `traces/` (default none).
    #[serde(default)]
    pub trials: Vec<u64>,
    /// \[ms\] sampling interval of traces (default 0.1; a whole multiple of dt_ms).
    #[serde(default = "default_interval")]
    pub interval_ms: f64,
}

fn default_interval() -> f64 {
    0.1
}

impl Default for RecordSpec {
    fn default() -> Self {
        Self {
            trials: Vec::new(),
            interval_ms: default_interval(),
        }
    }
}

/// `[analysis]`: statistics settings (see docs/outputs.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSpec {
    /// \[ms\] spikes before this time are left out of ISI, Fano and PSTH statistics (default 0).
    #[serde(default)]
    pub transient_ms: f64,
    /// \[ms\] ISI histogram bin width (default 1).
    #[serde(default = "d_isi_bin")]
    pub isi_bin_ms: f64,
    /// \[ms\] ISI histogram range; longer intervals go to an overflow bin (default 200).
    #[serde(default = "d_isi_max")]
    pub isi_max_ms: f64,
    /// \[ms\] counting windows for Fano factors (default 10, 20, 50, 100, 200, 500, 1000).
    #[serde(default = "d_windows")]
    pub fano_windows_ms: Vec<f64>,
    /// \[ms\] window of the summary's Fano factor (default: the whole analysed span).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_window_ms: Option<f64>,
    /// \[ms\] PSTH bin width (default 10).
    #[serde(default = "d_psth")]
    pub psth_bin_ms: f64,
    /// Confidence level of all intervals (default 0.95).
    #[serde(default = "d_conf")]
    pub confidence: f64,
}

fn d_isi_bin() -> f64 {
    1.0
}
fn d_isi_max() -> f64 {
    200.0
}
fn d_windows() -> Vec<f64> {
    vec![10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
}
fn d_psth() -> f64 {
    10.0
}
fn d_conf() -> f64 {
    0.95
}

impl Default for AnalysisSpec {
    fn default() -> Self {
        Self {
            transient_ms: 0.0,
            isi_bin_ms: d_isi_bin(),
            isi_max_ms: d_isi_max(),
            fano_windows_ms: d_windows(),
            main_window_ms: None,
            psth_bin_ms: d_psth(),
            confidence: d_conf(),
        }
    }
}

/// `[run]`: how the work is cut up. Results never depend on these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Trials per chunk (one part file per chunk; default 1000).
    #[serde(default = "d_chunk")]
    pub chunk_trials: u64,
}

fn d_chunk() -> u64 {
    1000
}

impl Default for RunSpec {
    fn default() -> Self {
        Self {
            chunk_trials: d_chunk(),
        }
    }
}

/// The built-in experiment of `spikemc run` without a file: the question as
/// its formula means it (1 mV / −4 mV jumps), 1000 trials of 1 s.
pub const QUESTION_AS_MEANT: &str = include_str!("../../../experiments/question-as-meant.toml");
