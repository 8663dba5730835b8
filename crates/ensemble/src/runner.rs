//! The parallel runner: chunks of trials on a rayon pool, each finished
//! chunk handed to a [`Sink`] on a writer thread through a bounded channel,
//! so memory stays flat in the number of trials and writing overlaps
//! simulation.

use crate::error::RunError;
use crate::plan::{Chunk, Plan};
use crate::record::{ChunkResult, TrialRecord};
use rayon::prelude::*;
use spikemc_analysis::trial_stats;
use spikemc_core::{Trace, TrialOutput, run_trial};
use std::sync::mpsc::sync_channel;

/// Receives finished chunks, in plan order, on the writer thread.
pub trait Sink: Send {
    /// Stores one chunk durably (or fails).
    fn write_chunk(
        &mut self,
        chunk: ChunkResult,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

/// Simulates one trial of `point` exactly as the ensemble does (also used
/// by replay). `trace = true` records its trace whatever the plan says.
pub fn simulate_trial(
    plan: &Plan,
    point: u32,
    trial: u32,
    trace: bool,
    out: &mut TrialOutput,
) -> Result<TrialRecord, RunError> {
    let protocol = &plan.points[point as usize].protocol;
    let mut rngs = plan.streams(point, trial);
    let mut buf = Trace::default();
    let tracing = trace.then_some((&mut buf, plan.record_stride));
    run_trial(protocol, &mut rngs, out, tracing).map_err(|source| RunError::Trial {
        point,
        trial,
        seed: plan.spec.seed,
        source,
    })?;
    Ok(TrialRecord {
        trial,
        stats: trial_stats(&out.spikes_ms, 0.0, protocol.duration_ms()),
        spikes_ms: out.spikes_ms.clone(),
        input_counts: out.input_counts.clone(),
        trace: trace.then_some(buf),
    })
}

/// Simulates one chunk in parallel (on the current rayon pool).
pub fn simulate_chunk(
    plan: &Plan,
    chunk: &Chunk,
    on_trial: &(dyn Fn() + Sync),
) -> Result<ChunkResult, RunError> {
    let trials = (chunk.first_trial..chunk.first_trial + chunk.n_trials)
        .into_par_iter()
        .map_init(TrialOutput::default, |out, trial| {
            let traced = plan.record_trials.binary_search(&trial).is_ok();
            let r = simulate_trial(plan, chunk.point, trial, traced, out);
            on_trial();
            r
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ChunkResult {
        chunk: chunk.index,
        point: chunk.point,
        trials,
    })
}

/// Runs `chunks` (a subset of `plan.chunks`) on `threads` threads and feeds
/// every finished chunk to `sink`. `on_trial` is called once per finished
/// trial (from worker threads) for progress display.
pub fn run(
    plan: &Plan,
    chunks: &[Chunk],
    threads: usize,
    sink: &mut dyn Sink,
    on_trial: &(dyn Fn() + Sync),
) -> Result<(), RunError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    // Two chunks may wait for the writer: simulation never stalls on a
    // write of normal speed, and memory is bounded by ~3 chunks.
    let (tx, rx) = sync_channel::<ChunkResult>(2);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<(), RunError> {
            for chunk in rx {
                sink.write_chunk(chunk).map_err(RunError::Sink)?;
            }
            Ok(())
        });
        let mut result = Ok(());
        for chunk in chunks {
            match pool.install(|| simulate_chunk(plan, chunk, on_trial)) {
                Ok(done) => {
                    if tx.send(done).is_err() {
                        break; // the writer failed; its error is reported below
                    }
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        drop(tx);
        let written = writer.join().expect("writer thread panicked");
        result.and(written)
    })
}
