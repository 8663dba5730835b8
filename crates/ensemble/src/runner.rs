//! The parallel runner: chunks of trials on a rayon pool, each finished
//! chunk handed to a [`Sink`] on a writer thread through a bounded channel,
//! so memory stays flat in the number of trials and writing overlaps
//! simulation.

use crate::error::RunError;
use crate::plan::{Chunk, Plan};
use crate::record::{ChunkResult, TrialRecord};
use rayon::prelude::*;
use spikemc_analysis::trial_stats;
use spikemc_core::lanes::{LANES, run_trials};
use spikemc_core::{Method, Protocol, Trace, TrialOutput, run_trial};
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
    Ok(record(protocol, trial, out, trace.then_some(buf)))
}

fn record(protocol: &Protocol, trial: u32, out: &TrialOutput, trace: Option<Trace>) -> TrialRecord {
    TrialRecord {
        trial,
        stats: trial_stats(&out.spikes_ms, 0.0, protocol.duration_ms()),
        spikes_ms: out.spikes_ms.clone(),
        input_counts: out.input_counts.clone(),
        trace,
    }
}

/// Work items of a chunk: blocks of untraced trials for the lanes engine,
/// and single traced trials.
enum Work {
    Block(Vec<u32>),
    Single(u32),
}

/// Splits `n` trials starting at `first` into work items: traced trials
/// alone; the others, for a method with a lanes engine, into near-equal
/// blocks of at most [`LANES`] trials (equal blocks keep both threads busy
/// to the end of a chunk), else one by one.
fn work_items(plan: &Plan, method: Method, first: u32, n: u32) -> Vec<Work> {
    let traced = |t: &u32| plan.record_trials.binary_search(t).is_ok();
    let mut items: Vec<Work> = (first..first + n)
        .filter(traced)
        .map(Work::Single)
        .collect();
    let plain: Vec<u32> = (first..first + n).filter(|t| !traced(t)).collect();
    if method.has_lanes() {
        let n_blocks = plain.len().div_ceil(LANES).max(1);
        let size = plain.len().div_ceil(n_blocks).max(1);
        items.extend(plain.chunks(size).map(|b| Work::Block(b.to_vec())));
    } else {
        items.extend(plain.into_iter().map(Work::Single));
    }
    items
}

/// Simulates one chunk in parallel (on the current rayon pool). Untraced
/// trials of a lanes method run in blocks on the lanes engine, the others
/// one by one through [`simulate_trial`]; every trial's result is the same
/// either way (its own streams, per-lane arithmetic), and the records come
/// back in trial order.
pub fn simulate_chunk(
    plan: &Plan,
    chunk: &Chunk,
    on_trial: &(dyn Fn() + Sync),
) -> Result<ChunkResult, RunError> {
    let protocol = &plan.points[chunk.point as usize].protocol;
    let items = work_items(plan, protocol.method(), chunk.first_trial, chunk.n_trials);
    let done: Vec<Vec<Result<TrialRecord, RunError>>> = items
        .into_par_iter()
        .map(|item| match item {
            Work::Single(trial) => {
                let traced = plan.record_trials.binary_search(&trial).is_ok();
                let r = simulate_trial(
                    plan,
                    chunk.point,
                    trial,
                    traced,
                    &mut TrialOutput::default(),
                );
                on_trial();
                vec![r]
            }
            Work::Block(trials) => {
                let mut rngs: Vec<_> = trials
                    .iter()
                    .flat_map(|&t| plan.streams(chunk.point, t))
                    .collect();
                let mut outs = vec![TrialOutput::default(); trials.len()];
                let res = run_trials(protocol, &mut rngs, &mut outs);
                trials
                    .iter()
                    .zip(outs)
                    .zip(res)
                    .map(|((&trial, out), r)| {
                        on_trial();
                        r.map(|()| record(protocol, trial, &out, None))
                            .map_err(|source| RunError::Trial {
                                point: chunk.point,
                                trial,
                                seed: plan.spec.seed,
                                source,
                            })
                    })
                    .collect()
            }
        })
        .collect();
    let mut trials = done.into_iter().flatten().collect::<Vec<_>>();
    trials.sort_by_key(|r| match r {
        Ok(rec) => rec.trial,
        Err(RunError::Trial { trial, .. }) => *trial,
        Err(_) => u32::MAX,
    });
    // The first failing trial in trial order is the one reported.
    let trials = trials.into_iter().collect::<Result<Vec<_>, _>>()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Assignment;

    fn plan(method: &str, chunk: u32) -> Plan {
        let text = format!(
            r#"
name = "lanes"
duration_ms = 100.0
dt_ms = 0.01
method = "{method}"
trials = 75
seed = 3
[neuron]
model = "hh"
[synapse]
kind = "delta"
[inputs.exc]
count = 4000
rate_hz = 10.0
p_transmit = 0.5
weight = 1.0
[inputs.inh]
count = 1000
rate_hz = 10.0
p_transmit = 0.5
weight = -4.0
[record]
trials = [0, 33, 34, 74]
[run]
chunk_trials = {chunk}
"#
        );
        Plan::from_toml(&text, "test", &[] as &[Assignment]).expect("valid plan")
    }

    /// Blocks of the lanes engine, traced trials run alone, any chunk size:
    /// every trial equals its single-trial run (the replay path), in order.
    #[test]
    fn chunks_on_the_lanes_engine_equal_single_trials() {
        for chunk in [75, 31, 8] {
            let p = plan("rush-larsen", chunk);
            let mut seen = 0;
            for c in &p.chunks {
                let done = simulate_chunk(&p, c, &|| {}).unwrap();
                for rec in &done.trials {
                    let alone =
                        simulate_trial(&p, c.point, rec.trial, false, &mut TrialOutput::default())
                            .unwrap();
                    assert_eq!(rec.spikes_ms, alone.spikes_ms, "trial {}", rec.trial);
                    assert_eq!(rec.input_counts, alone.input_counts);
                    assert_eq!(rec.trace.is_some(), p.record_trials.contains(&rec.trial));
                    seen += 1;
                }
                let ids: Vec<u32> = done.trials.iter().map(|r| r.trial).collect();
                let want: Vec<u32> = (c.first_trial..c.first_trial + c.n_trials).collect();
                assert_eq!(ids, want);
            }
            assert_eq!(seen, 75);
        }
    }

    #[test]
    fn work_items_are_balanced_blocks_plus_traced_singles() {
        let p = plan("rush-larsen", 75);
        let items = work_items(&p, Method::RushLarsen, 0, 75);
        let blocks: Vec<usize> = items
            .iter()
            .filter_map(|w| match w {
                Work::Block(b) => Some(b.len()),
                Work::Single(_) => None,
            })
            .collect();
        assert_eq!(items.len() - blocks.len(), 4);
        assert_eq!(blocks, vec![24, 24, 23]);
        let p = plan("rk4", 75);
        assert!(
            work_items(&p, Method::Rk4, 0, 75)
                .iter()
                .all(|w| matches!(w, Work::Single(_)))
        );
    }
}
