//! `spikemc check`: validate and print the plan.

use crate::cli::CheckArgs;
use crate::cmd::experiment;
use crate::failure::Failure;
use spikemc_core::Method;

pub fn check(args: CheckArgs) -> Result<(), Failure> {
    let plan = experiment::load(Some(&args.experiment), &args.experiment_args)?;
    let spec = &plan.spec;
    println!(
        "experiment {} ({}): ok",
        spec.name,
        args.experiment.display()
    );
    println!(
        "  {} point(s) x {} trial(s) of {} ms at dt = {} ms ({}), seed {}",
        plan.points.len(),
        spec.trials,
        spec.duration_ms,
        spec.dt_ms,
        spec.method.name(),
        spec.seed
    );
    for (name, input) in &spec.inputs {
        println!(
            "  input {name}: {} x {} Hz x p {} = {} transmitted events/s ({}), {} {} each",
            input.count,
            input.rate_hz,
            input.p_transmit,
            input.total_rate_hz(),
            input.process.name(),
            input.weight,
            spec.synapse.kind.weight_unit()
        );
    }
    for p in &plan.points {
        if !p.values.is_empty() {
            let v: Vec<String> = p.values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            println!("  point {}: {}", p.index, v.join(", "));
        }
    }
    let steps = plan.neuron_steps();
    println!("  {} neuron-steps in {} chunk(s)", steps, plan.chunks.len());
    // Per-core throughput of each method measured on a 2-core Zen 3 machine
    // (docs/performance.md): a rough guide, not a promise.
    let generic = plan.points.iter().any(|p| p.protocol.is_generic());
    let per_core = match spec.method {
        Method::RushLarsen | Method::RushLarsenTable if generic => 6e6,
        Method::RushLarsen => 45e6,
        Method::RushLarsenTable => 70e6,
        Method::RushLarsenReference => 6e6,
        Method::Euler => 7e6,
        Method::Rk4 => 2e6,
        Method::Rk45 => 0.5e6,
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "  estimated time on {threads} core(s): ~{:.0} s (at ~{:.0} M neuron-steps/s per core for {})",
        steps as f64 / (per_core * threads as f64),
        per_core / 1e6,
        spec.method.name()
    );
    if spec.method == Method::Euler && spec.dt_ms > 0.02 {
        println!(
            "  warning: forward Euler on HH becomes unstable near dt_ms = 0.05 under strong input \
             (dt_ms = {} here); if a trial blows up, use a smaller dt_ms or method = \"rush-larsen\"",
            spec.dt_ms
        );
    }
    print_output_size(&plan);
    Ok(())
}

/// Bytes per row of the Parquet files as written (Snappy), measured on
/// question-as-meant runs: a spike is a float64 time plus run-length-encoded
/// ids; a trial row is ~36 bytes plus 8 per input column; a trace sample is
/// 9 float64 columns plus ids. Each part file also carries ~6 kB of schema
/// and run metadata.
const SPIKE_BYTES: f64 = 10.0;
const TRIAL_BYTES: f64 = 36.0;
const TRACE_ROW_BYTES: f64 = 75.0;
const FILE_BYTES: f64 = 6e3;
/// \[Hz\] Ceiling on the firing rate used for the spikes/ bound: every
/// detected spike needs an action potential and a fall below `rearm_mv`
/// (> 2 ms for Hodgkin-Huxley). Under constant current the default HH neuron
/// fired at most ~120 Hz in our tries (i_app = 20..170 µA/cm²) and falls into
/// depolarisation block beyond.
const MAX_RATE_HZ: f64 = 500.0;

/// Prints the estimated size of the run directory. Trials and traces are
/// known in advance; spikes depend on the firing rate, so they are given as
/// a bound (at MAX_RATE_HZ) and per 10 Hz of mean rate.
fn print_output_size(plan: &spikemc_ensemble::Plan) {
    let trials = plan.spec.trials as f64;
    let trial_s: f64 = plan
        .points
        .iter()
        .map(|p| p.protocol.duration_ms() / 1000.0 * trials)
        .sum();
    let trials_b =
        plan.points.len() as f64 * trials * (TRIAL_BYTES + 8.0 * plan.input_names.len() as f64);
    let files = 2.0 * plan.chunks.len() as f64;
    let recorded = plan.record_trials.len() as f64;
    let traces_b: f64 = plan
        .points
        .iter()
        .map(|p| {
            let samples = (p.protocol.n_steps() / plan.record_stride.max(1)) as f64 + 1.0;
            recorded * samples * TRACE_ROW_BYTES
        })
        .sum();
    let spike_per_10hz = trial_s * 10.0 * SPIKE_BYTES;
    let spikes_max = trial_s * MAX_RATE_HZ * SPIKE_BYTES;
    let fixed = trials_b + traces_b + files * FILE_BYTES;
    println!(
        "  estimated output: trials/ {}, traces/ {} ({} recorded trial(s) per point), \
         spikes/ {} per 10 Hz of mean firing rate",
        bytes(trials_b + files / 2.0 * FILE_BYTES),
        bytes(traces_b),
        plan.record_trials.len(),
        bytes(spike_per_10hz)
    );
    println!(
        "  total up to {} (rough ceiling: every trial firing at {MAX_RATE_HZ} Hz; each spike needs a whole action potential, > 2 ms)",
        bytes(fixed + spikes_max)
    );
}

fn bytes(b: f64) -> String {
    match b {
        b if b >= 1e9 => format!("{:.1} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.1} MB", b / 1e6),
        b if b >= 1e3 => format!("{:.0} kB", b / 1e3),
        b => format!("{b:.0} B"),
    }
}
