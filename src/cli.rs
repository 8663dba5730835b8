//! Command-line definition.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Seeded Monte-Carlo ensembles of a Hodgkin–Huxley neuron driven by Poisson
/// spike trains, with spike statistics written as Parquet.
#[derive(Debug, Parser)]
#[command(name = "spikemc", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an experiment: all trials on all cores, results as Parquet in OUT.
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Validate an experiment file and print its plan without running it.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Recompute the statistics tables (summary, ISI histogram, Fano, PSTH)
    /// from a run directory's trials/ and spikes/.
    #[command(after_help = ANALYZE_EXAMPLES)]
    Analyze(AnalyzeArgs),
    /// Re-simulate one trial of an experiment with full traces; its spikes
    /// equal that trial's spikes in the ensemble run, bit for bit.
    #[command(after_help = REPLAY_EXAMPLES)]
    Replay(ReplayArgs),
    /// Write a Slurm job array (one task per shard) and a dependent analyze
    /// job into OUT/_slurm/.
    #[command(after_help = SLURM_EXAMPLES)]
    Slurm(SlurmArgs),
    /// Draw a figure of a run directory as PNG or SVG: a trial's trace, a
    /// spike raster, the ISI histogram, Fano factor vs window, the PSTH, or
    /// rate and Fano factor across a sweep.
    #[command(after_help = PLOT_EXAMPLES)]
    Plot(PlotArgs),
    /// Print a ready experiment file to stdout (without NAME: list them).
    #[command(after_help = EXAMPLE_EXAMPLES)]
    Example(ExampleArgs),
}

const PLOT_EXAMPLES: &str = "\
Examples:
  spikemc plot out/q --what trace -o trace.png        # V; I_Na, I_K, I_L; m, h, n of recorded trial 0
  spikemc plot out/q --what raster --max-trials 100 -o raster.svg
  spikemc plot out/q --what fano -o fano.png          # Fano factor vs counting window, with CI band
  spikemc plot out/sweep --what sweep -o sweep.png    # rate and Fano factor vs the swept key
  spikemc replay experiments/inputs-5000.toml --trial 17 -o out/t17 && spikemc plot out/t17

Without -o the figure goes to OUT/_plots/<what>.png. Without --what: trace for a
replay directory, raster otherwise. See docs/guide.md.";

const EXAMPLE_EXAMPLES: &str = "\
Examples:
  spikemc example                                   # list the ready experiments
  spikemc example sweep-rate > sweep.toml && spikemc check sweep.toml";

const SLURM_EXAMPLES: &str = "\
Examples:
  spikemc slurm experiments/inputs-5000.toml --shards 8 -o /scratch/n5000 --partition short --time 01:00:00
  /scratch/n5000/_slurm/submit.sh          # submits the array, then analyze after every shard succeeded

See docs/cluster.md.";

const ANALYZE_EXAMPLES: &str = "\
Examples:
  spikemc analyze out/question-as-meant
  spikemc analyze out/n5000 --set analysis.fano_windows_ms=[50,100] --set analysis.transient_ms=100";

const REPLAY_EXAMPLES: &str = "\
Examples:
  spikemc replay experiments/inputs-5000.toml --trial 17 -o out/trial17
  spikemc replay experiments/question-as-meant.toml --trial 3 --set record.interval_ms=0.01 -o out/t3";

const RUN_EXAMPLES: &str = "\
Examples:
  spikemc run                                   # the question's experiment (1 mV/-4 mV jumps, 1000 x 1 s)
  spikemc run experiments/inputs-5000.toml -o out/n5000
  spikemc run experiments/question-as-meant.toml -o out/fast --trials 100 --set inputs.exc.rate_hz=20
  spikemc run experiments/inputs-5000.toml -o out/n5000 --resume      # continue a killed run
  spikemc run exp.toml -o /shared/out --shard 0/3                     # one of 3 processes (docs/cluster.md)

Output: OUT/_run.json, OUT/trials/, OUT/spikes/, OUT/traces/ (see docs/outputs.md).
Exit codes: 0 ok, 2 bad input (file, argument, existing OUT), 1 other failure.";

const CHECK_EXAMPLES: &str = "\
Examples:
  spikemc check experiments/inputs-5000.toml
  spikemc check experiments/question-as-meant.toml --set dt_ms=0.005";

/// Arguments shared by commands that read an experiment.
#[derive(Debug, Args)]
pub struct ExperimentArgs {
    /// Set a key of the experiment: PATH=VALUE, e.g. inputs.exc.rate_hz=20
    /// or method=rk4 (repeatable; applied in order, after the file).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Number of trials per sweep point (same as --set trials=N).
    #[arg(long, value_name = "N")]
    pub trials: Option<u64>,
    /// Master seed (same as --set seed=S).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Experiment file (TOML). Without it, the built-in question experiment
    /// (experiments/question-as-meant.toml) runs.
    pub experiment: Option<PathBuf>,
    /// Output directory (must not exist). Default: out/<experiment name>.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Replace OUT if it holds a previous spikemc run (never anything else).
    #[arg(long)]
    pub overwrite: bool,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
    /// Run only shard I of N (0 <= I < N): the chunks c with c mod N = I.
    /// Shards may run at once, into the same OUT; then `spikemc analyze OUT`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Continue a killed run in OUT: check the experiment is unchanged, skip
    /// complete chunks, run the rest.
    #[arg(long)]
    pub resume: bool,
    #[command(flatten)]
    pub experiment_args: ExperimentArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Experiment file (TOML).
    pub experiment: PathBuf,
    #[command(flatten)]
    pub experiment_args: ExperimentArgs,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Run directory written by `spikemc run`.
    pub out: PathBuf,
    /// Override an `[analysis]` setting for this analysis, e.g.
    /// analysis.transient_ms=100 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Experiment file (TOML) of the ensemble run.
    pub experiment: PathBuf,
    /// Trial id to replay.
    #[arg(long, value_name = "K")]
    pub trial: u64,
    /// Sweep point of the trial (default 0).
    #[arg(long, value_name = "J", default_value_t = 0)]
    pub point: u64,
    /// Output directory (must not exist).
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    pub out: PathBuf,
    /// Replace OUT if it holds a previous spikemc run.
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub experiment_args: ExperimentArgs,
}

#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// Experiment file (TOML); its resolved form is frozen into OUT/_slurm/.
    pub experiment: PathBuf,
    /// Number of shards (array tasks); at most the number of chunks.
    #[arg(long, value_name = "N")]
    pub shards: u64,
    /// Output directory shared by all shards (on a shared filesystem).
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    pub out: PathBuf,
    /// Slurm partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Slurm time limit per task, e.g. 02:00:00.
    #[arg(long)]
    pub time: Option<String>,
    /// CPUs per task (= spikemc threads per shard).
    #[arg(long, default_value_t = 2)]
    pub cpus_per_task: u32,
    #[command(flatten)]
    pub experiment_args: ExperimentArgs,
}

/// A figure of `spikemc plot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlotKind {
    /// V; I_Na, I_K, I_L; m, h, n of one recorded (or replayed) trial, from traces/.
    Trace,
    /// Spike times of the first trials, one row per trial, from spikes/.
    Raster,
    /// Interspike-interval density, from isi_hist.parquet.
    Isi,
    /// Fano factor vs counting window with its CI band, from fano.parquet.
    Fano,
    /// Peri-stimulus time histogram, from psth.parquet.
    Psth,
    /// Rate and Fano factor vs the swept parameter, from points.parquet + summary.parquet.
    Sweep,
}

#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Run directory of `spikemc run` or `spikemc replay`.
    pub out: PathBuf,
    /// Which figure (default: trace for a replay directory, raster otherwise).
    #[arg(long, value_enum)]
    pub what: Option<PlotKind>,
    /// Output file, .png or .svg (default: OUT/_plots/<what>.png).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Sweep point (default 0; for a replay directory, the replayed point).
    #[arg(long, value_name = "J")]
    pub point: Option<u32>,
    /// Trial to show with --what trace (default: the first recorded one).
    #[arg(long, value_name = "K")]
    pub trial: Option<u32>,
    /// Number of trials in a raster: the N lowest trial ids (default 50).
    #[arg(long, value_name = "N")]
    pub max_trials: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ExampleArgs {
    /// Name of the experiment (see the list without NAME), e.g. sweep-rate.
    pub name: Option<String>,
}
