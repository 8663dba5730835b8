//! `spikemc run`: plan, simulate in parallel, write Parquet.

use crate::cli::RunArgs;
use crate::cmd::experiment;
use crate::failure::Failure;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use spikemc_ensemble::Plan;
use spikemc_store::{ParquetSink, RunDir};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

pub fn run(args: RunArgs) -> Result<(), Failure> {
    let plan = experiment::load(args.experiment.as_deref(), &args.experiment_args)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&plan.spec.name));
    let threads = match args.threads {
        Some(0) => {
            return Err(Failure::input(anyhow::anyhow!(
                "--threads = 0 is out of range: must be >= 1"
            )));
        }
        Some(t) => t,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let dir = RunDir::create(&out, args.overwrite)?;
    let meta = run_meta(&plan);
    let mut run_json = meta.clone();
    run_json["plan"] = plan_json(&plan, threads);
    run_json["complete"] = json!(false);
    dir.write_run_json(&run_json)?;

    let total = plan.chunks.iter().map(|c| c.n_trials as u64).sum();
    let bar = progress_bar(total, args.quiet);
    let started = Instant::now();
    let mut sink = ParquetSink::new(dir.clone(), &plan.input_names, &meta.to_string());
    spikemc_ensemble::run(&plan, &plan.chunks, threads, &mut sink, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();

    let steps = plan.neuron_steps() as f64;
    run_json["complete"] = json!(true);
    run_json["timings"] = json!({
        "simulate_s": elapsed,
        "neuron_steps_per_s": steps / elapsed,
    });
    dir.write_run_json(&run_json)?;
    println!(
        "wrote {}: {} point(s) x {} trials in {:.2} s ({:.1} M neuron-steps/s on {} thread(s))",
        out.display(),
        plan.points.len(),
        plan.spec.trials,
        elapsed,
        steps / elapsed / 1e6,
        threads
    );
    Ok(())
}

/// What every output file carries: enough to know where it came from.
fn run_meta(plan: &Plan) -> serde_json::Value {
    json!({
        "spikemc_version": env!("CARGO_PKG_VERSION"),
        "format_version": 1,
        "seed_derivation": "v1 (see docs/numerics.md#seeding)",
        "experiment": plan.resolved_json(),
    })
}

fn plan_json(plan: &Plan, threads: usize) -> serde_json::Value {
    let points: Vec<_> = plan
        .points
        .iter()
        .map(|p| {
            let values: serde_json::Map<_, _> = p
                .values
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
                .collect();
            json!({"point": p.index, "values": values, "n_steps": p.protocol.n_steps()})
        })
        .collect();
    json!({
        "points": points,
        "trials_per_point": plan.spec.trials,
        "chunks": plan.chunks.len(),
        "chunk_trials": plan.spec.run.chunk_trials,
        "input_names": plan.input_names,
        "neuron_steps": plan.neuron_steps() as f64,
        "threads": threads,
    })
}

fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} trials ({per_sec}, ETA {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}
