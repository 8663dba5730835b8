//! From an experiment file to a validated [`Plan`]: every default filled,
//! every `--set` and sweep value applied, every parameter checked, seeds and
//! chunks fixed. Nothing downstream re-reads or re-validates the TOML.

use crate::error::SpecError;
use crate::path::{self, Assignment};
use crate::seeding;
use crate::spec::{AnalysisSpec, ExperimentSpec, NeuronSpec};
use spikemc_analysis::{AnalysisConfig, AnalysisError};
use spikemc_core::{
    HhParams, HhState, InputSpec, Method, ParamError, ProcessKind, Protocol, ProtocolSpec, Timing,
};
use toml::{Table, Value};

/// Largest number of trials per point or of sweep points: ids are int32 in
/// the output (R and pandas read them without surprises).
pub const MAX_ID: u64 = i32::MAX as u64;

/// Largest number of sweep points.
pub const MAX_POINTS: u64 = 1_000_000;

/// Largest number of chunks (part files per table) of a run.
pub const MAX_CHUNKS: u64 = 10_000_000;

/// A validated experiment, ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The resolved experiment (defaults filled, `--set` applied, sweep kept).
    pub spec: ExperimentSpec,
    /// Sweep points (one point without a sweep).
    pub points: Vec<Point>,
    /// Input population names, in stream and column order.
    pub input_names: Vec<String>,
    /// Stream purposes of the input populations, in the same order.
    pub input_purposes: Vec<u64>,
    /// Chunks of trials, in execution order.
    pub chunks: Vec<Chunk>,
    /// Statistics settings.
    pub analysis: AnalysisConfig,
    /// Trial ids with traces, sorted.
    pub record_trials: Vec<u32>,
    /// Steps between trace samples.
    pub record_stride: u64,
}

/// One sweep point.
#[derive(Debug, Clone)]
pub struct Point {
    /// Point index (0-based).
    pub index: u32,
    /// The swept paths and their values at this point.
    pub values: Vec<(String, Value)>,
    /// The prepared protocol of this point.
    pub protocol: Protocol,
    /// Statistics settings of this point: [`Plan::analysis`] unless `analysis.*` is
    /// swept. Valid for a trial over `[0, protocol.duration_ms())`.
    pub analysis: AnalysisConfig,
}

/// A block of consecutive trials of one point: the unit of writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// Global chunk index.
    pub index: u32,
    /// Sweep point.
    pub point: u32,
    /// First trial id.
    pub first_trial: u32,
    /// Number of trials.
    pub n_trials: u32,
}

impl Plan {
    /// Reads an experiment from TOML text (`origin` names it in messages),
    /// applies `--set` assignments in order, and validates everything.
    pub fn from_toml(text: &str, origin: &str, sets: &[Assignment]) -> Result<Self, SpecError> {
        let parse = |e: toml::de::Error| SpecError::Parse {
            origin: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        };
        let spec: ExperimentSpec = toml::from_str(text).map_err(parse)?;
        let mut tree = Table::try_from(&spec).expect("a spec always serialises");
        for a in sets {
            path::set(&mut tree, &a.path, a.value.clone(), "--set")?;
        }
        let spec = from_tree(&tree, "after --set")?;
        Self::from_spec(spec, tree)
    }

    fn from_spec(spec: ExperimentSpec, tree: Table) -> Result<Self, SpecError> {
        if spec.trials == 0 || spec.trials > MAX_ID {
            return Err(SpecError::invalid(
                "trials",
                format!(
                    "trials = {} is out of range: must be in 1..={MAX_ID}",
                    spec.trials
                ),
            ));
        }
        if spec.run.chunk_trials == 0 || spec.run.chunk_trials > MAX_ID {
            return Err(SpecError::invalid(
                "run.chunk_trials",
                format!(
                    "run.chunk_trials = {} is out of range: must be in 1..={MAX_ID}",
                    spec.run.chunk_trials
                ),
            ));
        }
        for name in spec.inputs.keys() {
            let ok = !name.is_empty()
                && name.len() <= 32
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(SpecError::invalid(
                    &format!("inputs.{name}"),
                    "population names must be 1-32 characters of a-z, 0-9 and _ (they become column names)",
                ));
            }
        }
        let analysis = analysis_config(&spec.analysis);
        analysis.validate().map_err(|e| analysis_error(e, None))?;

        // Sweep: the cartesian product of the listed values, last key fastest.
        let mut base = tree;
        base.remove("sweep");
        let axes: Vec<(&String, &Vec<Value>)> = spec.sweep.iter().collect();
        for (key, values) in &axes {
            let forbidden = [
                "trials",
                "seed",
                "common_random_numbers",
                "name",
                "description",
                // Changes the units of weights and the trace columns.
                "synapse.kind",
                "neuron.model",
            ];
            if forbidden.contains(&key.as_str())
                || key.starts_with("run.")
                || key.starts_with("record.")
            {
                return Err(SpecError::invalid(
                    &format!("sweep.\"{key}\""),
                    format!("`{key}` cannot be swept (it is the same for all points)"),
                ));
            }
            if values.is_empty() {
                return Err(SpecError::invalid(
                    &format!("sweep.\"{key}\""),
                    "needs at least one value",
                ));
            }
        }
        let n_points: u64 = axes.iter().map(|(_, v)| v.len() as u64).product();
        if n_points > MAX_POINTS {
            return Err(SpecError::invalid(
                "sweep",
                format!("{n_points} points is out of range: at most {MAX_POINTS}"),
            ));
        }
        // Each chunk is a small plan entry (and a part file): bound their
        // number before building anything.
        let n_chunks = n_points * spec.trials.div_ceil(spec.run.chunk_trials);
        if n_chunks > MAX_CHUNKS {
            return Err(SpecError::invalid(
                "run.chunk_trials",
                format!(
                    "run.chunk_trials = {} makes {n_chunks} chunks (points × trials / chunk_trials): at most {MAX_CHUNKS}; raise run.chunk_trials",
                    spec.run.chunk_trials
                ),
            ));
        }
        let mut points = Vec::with_capacity(n_points as usize);
        for j in 0..n_points {
            let mut rest = j;
            let mut values = Vec::with_capacity(axes.len());
            for (key, list) in axes.iter().rev() {
                let len = list.len() as u64;
                values.push(((*key).clone(), list[(rest % len) as usize].clone()));
                rest /= len;
            }
            values.reverse();
            let point_spec = if values.is_empty() {
                spec.clone()
            } else {
                let mut t = base.clone();
                for (key, v) in &values {
                    path::set(&mut t, key, v.clone(), "[sweep]")?;
                }
                from_tree(&t, &format!("sweep point {j}"))?
            };
            let protocol = protocol_of(&point_spec)?;
            // The settings that depend on the trial length (transient, PSTH bins) are
            // checked per point: `duration_ms` and `analysis.*` may be swept.
            let point_analysis = analysis_config(&point_spec.analysis);
            point_analysis
                .validate()
                .and_then(|()| point_analysis.validate_span(0.0, protocol.duration_ms()))
                .map_err(|e| analysis_error(e, (!values.is_empty()).then_some(j)))?;
            points.push(Point {
                index: j as u32,
                values,
                protocol,
                analysis: point_analysis,
            });
        }

        let input_names: Vec<String> = spec.inputs.keys().cloned().collect();
        let input_purposes = input_names
            .iter()
            .map(|n| seeding::input_purpose(n))
            .collect();

        let dt = spec.dt_ms;
        let stride = spec.record.interval_ms / dt;
        // The interval matters only when some trial is recorded.
        let bad_interval = !(spec.record.interval_ms > 0.0)
            || (stride - stride.round()).abs() > 1e-6 * stride
            || stride.round() < 1.0;
        if !spec.record.trials.is_empty() && bad_interval {
            return Err(ParamError::new(
                "record.interval_ms",
                spec.record.interval_ms,
                "ms",
                "a positive whole multiple of dt_ms",
            )
            .into());
        }
        let mut record_trials = Vec::with_capacity(spec.record.trials.len());
        for &k in &spec.record.trials {
            if k >= spec.trials {
                return Err(SpecError::invalid(
                    "record.trials",
                    format!(
                        "trial {k} does not exist: ids run from 0 to trials - 1 = {}",
                        spec.trials - 1
                    ),
                ));
            }
            record_trials.push(k as u32);
        }
        record_trials.sort_unstable();
        record_trials.dedup();
        let record_stride = if record_trials.is_empty() {
            1
        } else {
            stride.round() as u64
        };

        let chunk = spec.run.chunk_trials;
        let mut chunks = Vec::new();
        for p in &points {
            let mut first = 0u64;
            while first < spec.trials {
                let n = chunk.min(spec.trials - first);
                let index = u32::try_from(chunks.len()).map_err(|_| {
                    SpecError::invalid(
                        "run.chunk_trials",
                        "too many chunks: raise run.chunk_trials",
                    )
                })?;
                chunks.push(Chunk {
                    index,
                    point: p.index,
                    first_trial: first as u32,
                    n_trials: n as u32,
                });
                first += n;
            }
        }
        Ok(Self {
            spec,
            points,
            input_names,
            input_purposes,
            chunks,
            analysis,
            record_trials,
            record_stride,
        })
    }

    /// Trials per point.
    pub fn trials(&self) -> u32 {
        self.spec.trials as u32
    }

    /// The random streams of trial `trial` at point `point`, one per input.
    pub fn streams(&self, point: u32, trial: u32) -> Vec<rand_xoshiro::Xoshiro256PlusPlus> {
        let p = (!self.spec.common_random_numbers).then_some(point);
        self.input_purposes
            .iter()
            .map(|&purpose| seeding::stream(self.spec.seed, p, trial, purpose))
            .collect()
    }

    /// Total neuron-steps of the plan.
    pub fn neuron_steps(&self) -> u128 {
        self.points
            .iter()
            .map(|p| p.protocol.n_steps() as u128)
            .sum::<u128>()
            * self.spec.trials as u128
    }

    /// The resolved experiment as JSON (for `_run.json` and file metadata).
    pub fn resolved_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.spec).expect("a spec always serialises")
    }
}

fn from_tree(tree: &Table, origin: &str) -> Result<ExperimentSpec, SpecError> {
    ExperimentSpec::deserialize_table(tree.clone()).map_err(|e| SpecError::Parse {
        origin: origin.to_string(),
        message: e.to_string().trim_end().to_string(),
    })
}

impl ExperimentSpec {
    fn deserialize_table(t: Table) -> Result<Self, toml::de::Error> {
        // Round-trip through text: toml's typed errors then carry key names.
        toml::from_str(&toml::to_string(&t).expect("a table always serialises"))
    }
}

fn analysis_config(a: &AnalysisSpec) -> AnalysisConfig {
    AnalysisConfig {
        transient_ms: a.transient_ms,
        isi_bin_ms: a.isi_bin_ms,
        isi_max_ms: a.isi_max_ms,
        fano_windows_ms: a.fano_windows_ms.clone(),
        main_window_ms: a.main_window_ms,
        psth_bin_ms: a.psth_bin_ms,
        confidence: a.confidence,
    }
}

/// An invalid `[analysis]` setting as a spec error naming its key (the trial length,
/// which the analysis checks as `t_stop_ms`, is `duration_ms` in the experiment).
fn analysis_error(e: AnalysisError, point: Option<u64>) -> SpecError {
    let AnalysisError::InvalidConfig {
        field,
        value,
        allowed,
    } = &e
    else {
        return SpecError::invalid("analysis", e.to_string());
    };
    let key = match *field {
        "t_stop_ms" => "duration_ms".to_string(),
        f => format!("analysis.{f}"),
    };
    let at = point.map_or(String::new(), |j| format!(" at sweep point {j}"));
    SpecError::invalid(&key, format!("{value}{at} is invalid: {allowed}"))
}

fn protocol_of(spec: &ExperimentSpec) -> Result<Protocol, SpecError> {
    let neuron: NeuronSpec = spec.neuron;
    if spec.timing == Timing::Exact && spec.method != Method::Rk45 {
        return Err(SpecError::invalid(
            "timing",
            format!(
                "timing = \"exact\" needs method = \"rk45\" (only rk45 steps to each event; \
                 method is \"{}\"); use timing = \"grid\" with fixed-step methods",
                spec.method.name()
            ),
        ));
    }
    if spec.method == Method::Rk45 && matches!(spec.neuron, NeuronSpec::Lif(_)) {
        return Err(SpecError::invalid(
            "method",
            "method = \"rk45\" does not run model = \"lif\" (its reset is a step event); \
             use rush-larsen, which is exact for the LIF between events",
        ));
    }
    if spec.method == Method::Rk45 && spec.detect.rule != spikemc_core::DetectRule::Hysteresis {
        return Err(SpecError::invalid(
            "detect.rule",
            "detect.rule = \"pre-kick\" (Brian2's grid schedule) is not available with \
             method = \"rk45\", which locates crossings on its continuous solution; \
             use a fixed-step method or detect.rule = \"hysteresis\"",
        ));
    }
    let params = match neuron {
        NeuronSpec::Hh(p) => p,
        _ => HhParams::default(),
    };
    if !neuron.has_gates() {
        for (key, x) in [
            ("initial.m", spec.initial.m),
            ("initial.h", spec.initial.h),
            ("initial.n", spec.initial.n),
        ] {
            if x.is_some() {
                return Err(SpecError::invalid(
                    key,
                    format!(
                        "model \"{}\" has no gates: leave out {key} (allowed only for hh and traub-miles)",
                        neuron.name()
                    ),
                ));
            }
        }
    }
    let rest = neuron.at_rest(spec.initial.v_mv);
    let initial = HhState {
        v: spec.initial.v_mv,
        m: spec.initial.m.unwrap_or(rest.m),
        h: spec.initial.h.unwrap_or(rest.h),
        n: spec.initial.n.unwrap_or(rest.n),
    };
    let homogeneous: Vec<_> = spec.inputs.values().map(|v| v.poisson()).collect();
    let inputs = spec
        .inputs
        .keys()
        .zip(&homogeneous)
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let protocol = Protocol::new(ProtocolSpec {
        params,
        method: spec.method,
        duration_ms: spec.duration_ms,
        dt_ms: spec.dt_ms,
        detect: spec.detect,
        initial,
        inputs,
    })?
    .with_model(neuron, spec.synapse)?;
    for (name, input) in &spec.inputs {
        check_process_keys(name, input)?;
    }
    let processes = spec
        .inputs
        .iter()
        .map(|(name, input)| input.prepare(name, spec.dt_ms))
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<&str> = spec.inputs.keys().map(String::as_str).collect();
    let overrides: Vec<_> = spec
        .inputs
        .values()
        .map(|i| (i.tau_ms, i.reversal_mv))
        .collect();
    let record: Vec<bool> = spec.inputs.values().map(|i| i.record_sources).collect();
    Ok(protocol
        .with_recorded_sources(record)
        .with_channel_overrides(&names, &overrides)?
        .with_processes(processes)
        .with_timing(spec.timing, spec.method_options.rk45())?)
}

/// The keys of `[inputs.NAME]` that belong to one process only must appear
/// with that process, and its required ones must be there (the values are
/// checked by [`spikemc_core::InputSpec::prepare`]).
fn check_process_keys(name: &str, input: &InputSpec) -> Result<(), SpecError> {
    use ProcessKind as K;
    let kind = input.process;
    if let Some((key, owner)) = input.misplaced_key() {
        return Err(SpecError::invalid(
            &format!("inputs.{name}.{key}"),
            format!(
                "applies only to process = \"{}\" (this population has process = \"{}\")",
                owner.name(),
                kind.name()
            ),
        ));
    }
    if input.record_sources && !matches!(kind, K::Explicit | K::Gamma | K::Mip) {
        return Err(SpecError::invalid(
            &format!("inputs.{name}.record_sources"),
            format!(
                "needs process = \"explicit\", \"gamma\" or \"mip\" (process \"{}\" has no source ids)",
                kind.name()
            ),
        ));
    }
    let missing = |key: &str, what: &str| {
        Err(SpecError::invalid(
            &format!("inputs.{name}.{key}"),
            format!("is required with process = \"{}\": {what}", kind.name()),
        ))
    };
    match kind {
        K::Gamma if input.shape.is_none() => {
            missing("shape", "the gamma shape k > 0 (ISI CV = 1/sqrt(k))")
        }
        K::Mip if input.correlation.is_none() => {
            missing("correlation", "the pairwise count correlation c in (0, 1]")
        }
        K::Inhomogeneous => {
            let sine = input.amplitude_hz.is_some() || input.frequency_hz.is_some();
            let steps = input.profile_times_ms.is_some() || input.profile_rates_hz.is_some();
            if sine == steps {
                return Err(SpecError::invalid(
                    &format!("inputs.{name}.process"),
                    "process = \"inhomogeneous\" needs either amplitude_hz and frequency_hz \
                     (sinusoid) or profile_times_ms and profile_rates_hz (piecewise constant), not both",
                ));
            }
            if sine && input.amplitude_hz.is_none() {
                return missing("amplitude_hz", "the sinusoid's amplitude in Hz");
            }
            if sine && input.frequency_hz.is_none() {
                return missing("frequency_hz", "the sinusoid's frequency in Hz");
            }
            if steps && input.profile_times_ms.is_none() {
                return missing("profile_times_ms", "the break times in ms");
            }
            if steps && input.profile_rates_hz.is_none() {
                return missing("profile_rates_hz", "the rate from each break on, in Hz");
            }
            if steps && input.phase_rad.is_some() {
                return Err(SpecError::invalid(
                    &format!("inputs.{name}.phase_rad"),
                    "applies only to a sinusoidal rate (amplitude_hz, frequency_hz)",
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
