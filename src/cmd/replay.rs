//! `spikemc replay`: one trial, alone, with full traces.
//!
//! A trial's random streams depend only on (seed, point, trial, purpose),
//! so simulating it alone reproduces its ensemble result bit for bit.

use crate::cli::ReplayArgs;
use crate::cmd::experiment;
use crate::failure::Failure;
use anyhow::anyhow;
use serde_json::json;
use spikemc_core::TrialOutput;
use spikemc_ensemble::{ChunkResult, simulate_trial};
use spikemc_store::{ParquetSink, RunDir};

pub fn replay(args: ReplayArgs) -> Result<(), Failure> {
    let plan = experiment::load(Some(&args.experiment), &args.experiment_args)?;
    if args.point >= plan.points.len() as u64 {
        return Err(Failure::input(anyhow!(
            "--point = {} is out of range: the experiment has points 0..={}",
            args.point,
            plan.points.len() - 1
        )));
    }
    if args.trial >= plan.spec.trials {
        return Err(Failure::input(anyhow!(
            "--trial = {} is out of range: the experiment has trials 0..={}",
            args.trial,
            plan.spec.trials - 1
        )));
    }
    let (point, trial) = (args.point as u32, args.trial as u32);
    let dir = RunDir::create(&args.out, args.overwrite)?;
    let mut meta = crate::cmd::run::run_meta(&plan);
    meta["replay"] = json!({"point": point, "trial": trial});
    dir.write_run_json(&meta)?;
    let record = simulate_trial(&plan, point, trial, true, &mut TrialOutput::default())?;
    let n_spikes = record.spikes_ms.len();
    let sink = ParquetSink::new(dir.clone(), &plan.input_names, &meta.to_string())
        .with_trace_columns(&crate::cmd::run::synapse_trace_columns(&plan));
    sink.write(&ChunkResult {
        chunk: 0,
        point,
        trials: vec![record],
    })?;
    meta["complete"] = json!(true);
    dir.write_run_json(&meta)?;
    println!(
        "wrote {}: point {point}, trial {trial}, {n_spikes} spike(s), traces in traces/",
        args.out.display()
    );
    Ok(())
}
