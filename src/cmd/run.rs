//! `spikemc run`: plan, simulate in parallel, write Parquet.

use crate::cli::RunArgs;
use crate::cmd::shard::Shard;
use crate::cmd::{analyze, experiment};
use crate::failure::Failure;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use spikemc_ensemble::Plan;
use spikemc_store::{ParquetSink, RUN_JSON, RunDir, write_points};
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
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    let meta = run_meta(&plan);
    let mut run_json = meta.clone();
    run_json["plan"] = plan_json(&plan, threads);
    run_json["complete"] = json!(false);
    let joining = shard.is_some() || args.resume;
    let dir = if joining {
        if args.overwrite {
            return Err(Failure::input(anyhow::anyhow!(
                "--overwrite cannot be combined with --resume or --shard (they continue a run)"
            )));
        }
        if args.resume && !out.join(RUN_JSON).is_file() {
            return Err(Failure::input(anyhow::anyhow!(
                "--resume: {} holds no spikemc run to resume (no {RUN_JSON})",
                out.display()
            )));
        }
        // Created by whichever process comes first; the others check that it
        // holds the same experiment.
        RunDir::create_or_join(&out, &run_json)?.0
    } else {
        let dir = RunDir::create(&out, args.overwrite)?;
        dir.write_run_json(&run_json)?;
        dir
    };
    write_points(&dir, &plan, &meta.to_string())?;

    // This process's chunks: its shard's, minus those already complete.
    let mine = shard.map_or_else(|| plan.chunks.clone(), |s| s.select(&plan.chunks));
    let done = if joining {
        dir.complete_chunks()?
    } else {
        Default::default()
    };
    let todo: Vec<_> = mine
        .into_iter()
        .filter(|c| !done.contains(&(c.point, c.index)))
        .collect();
    if joining {
        let what = shard.map_or_else(
            || "run".to_string(),
            |s| format!("shard {}/{}", s.index, s.count),
        );
        println!(
            "{what} of {}: {} chunk(s) already complete, {} chunk(s) to run (resuming where they stop)",
            out.display(),
            done.len(),
            todo.len()
        );
    }

    let total = todo.iter().map(|c| c.n_trials as u64).sum();
    let bar = progress_bar(total, args.quiet);
    let started = Instant::now();
    let mut sink = ParquetSink::new(dir.clone(), &plan.input_names, &meta.to_string())
        .with_trace_columns(&synapse_trace_columns(&plan));
    spikemc_ensemble::run(&plan, &todo, threads, &mut sink, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(sh) = shard {
        let trials: u64 = todo.iter().map(|c| c.n_trials as u64).sum();
        println!(
            "shard {}/{} wrote {} chunk(s), {trials} trial(s) in {elapsed:.2} s; when every shard is done: spikemc analyze {}",
            sh.index,
            sh.count,
            todo.len(),
            out.display()
        );
        return Ok(());
    }
    // A resumed run's `_run.json` is the one written at its start.
    if args.resume {
        run_json = dir.read_run_json()?;
    }

    let steps: f64 = todo
        .iter()
        .map(|c| c.n_trials as f64 * plan.points[c.point as usize].protocol.n_steps() as f64)
        .sum();
    run_json["complete"] = json!(true);
    run_json["timings"] = json!({
        "simulate_s": elapsed,
        "neuron_steps_per_s": steps / elapsed,
        // Which copy of the lanes engine ran; the results do not depend on it.
        "instruction_set": spikemc_core::lanes::Isa::detect().name(),
    });

    // The statistics tables, from the part files just written: the same code path as
    // `spikemc analyze OUT`, so both give identical tables.
    let analysis_started = Instant::now();
    let tables = analyze::analyze_dir(&dir, &plan)?;
    analyze::record(
        &mut run_json,
        &plan,
        "spikemc run",
        analysis_started.elapsed().as_secs_f64(),
    );
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
    analyze::print_summary(&plan, &tables);
    Ok(())
}

/// What every output file carries: enough to know where it came from.
pub(crate) fn run_meta(plan: &Plan) -> serde_json::Value {
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

/// The `traces/` columns of the synaptic variables: one per input
/// population for current and conductance synapses, none for delta ones.
pub fn synapse_trace_columns(plan: &Plan) -> Vec<String> {
    use spikemc_ensemble::SynapseKind as K;
    let conductance = match plan.spec.synapse.kind {
        K::Delta => return Vec::new(),
        K::ExpConductance | K::AlphaConductance => true,
        _ => false,
    };
    plan.input_names
        .iter()
        .map(|n| spikemc_store::synapse_column(n, conductance))
        .collect()
}
