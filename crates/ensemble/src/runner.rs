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
use std::collections::VecDeque;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Condvar, Mutex, MutexGuard};

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

/// Splits `n` trials starting at `first` into work items: for a method with
/// a lanes engine, the untraced trials in near-equal blocks of at most
/// [`LANES`] trials, then the traced trials alone (short items last, so
/// they fill the gaps at a chunk's end); for other methods every trial
/// alone.
fn work_items(plan: &Plan, method: Method, first: u32, n: u32) -> Vec<Work> {
    let traced = |t: &u32| plan.record_trials.binary_search(t).is_ok();
    let singles = (first..first + n).filter(traced).map(Work::Single);
    if !method.has_lanes() {
        return (first..first + n).map(Work::Single).collect();
    }
    let plain: Vec<u32> = (first..first + n).filter(|t| !traced(t)).collect();
    let n_blocks = plain.len().div_ceil(LANES).max(1);
    let size = plain.len().div_ceil(n_blocks).max(1);
    let mut items: Vec<Work> = plain
        .chunks(size)
        .map(|b| Work::Block(b.to_vec()))
        .collect();
    items.extend(singles);
    items
}

/// Simulates one work item of `point`; the records in the item's order.
fn simulate_work(
    plan: &Plan,
    point: u32,
    work: Work,
    on_trial: &(dyn Fn() + Sync),
) -> Vec<Result<TrialRecord, RunError>> {
    let protocol = &plan.points[point as usize].protocol;
    match work {
        Work::Single(trial) => {
            let traced = plan.record_trials.binary_search(&trial).is_ok();
            let r = simulate_trial(plan, point, trial, traced, &mut TrialOutput::default());
            on_trial();
            vec![r]
        }
        Work::Block(trials) => {
            let mut rngs: Vec<_> = trials
                .iter()
                .flat_map(|&t| plan.streams(point, t))
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
                            point,
                            trial,
                            seed: plan.spec.seed,
                            source,
                        })
                })
                .collect()
        }
    }
}

/// Puts a chunk's records in trial order; the first failing trial in trial
/// order is the error reported.
fn assemble(
    chunk: &Chunk,
    mut records: Vec<Result<TrialRecord, RunError>>,
) -> Result<ChunkResult, RunError> {
    records.sort_by_key(|r| match r {
        Ok(rec) => rec.trial,
        Err(RunError::Trial { trial, .. }) => *trial,
        Err(_) => u32::MAX,
    });
    Ok(ChunkResult {
        chunk: chunk.index,
        point: chunk.point,
        trials: records.into_iter().collect::<Result<Vec<_>, _>>()?,
    })
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
    let records = items
        .into_par_iter()
        .flat_map_iter(|work| simulate_work(plan, chunk.point, work, on_trial))
        .collect();
    assemble(chunk, records)
}

/// Runs `chunks` (a subset of `plan.chunks`) on `threads` threads and feeds
/// every finished chunk, in the order of `chunks`, to `sink` on a writer
/// thread. `on_trial` is called once per finished trial (from worker
/// threads) for progress display.
///
/// The work items of all chunks are handed out from one queue, chunk after
/// chunk: a thread that finishes early takes the next item, of this chunk or
/// the next, so no thread waits for another's last block at the end of each
/// chunk — only once, at the end of the run. At most `threads + 1` chunks
/// are open (simulated or waiting for an earlier one) and two wait for the
/// writer, so memory stays flat in the number of trials. A failing trial
/// stops the run after the chunks before its own are written; the error is
/// the first failing trial, in trial order, of the first failing chunk.
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
    // write of normal speed.
    let (tx, rx) = sync_channel::<ChunkResult>(2);
    let queue = Queue::new(plan, chunks, threads + 1, tx);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<(), RunError> {
            for chunk in rx {
                sink.write_chunk(chunk).map_err(RunError::Sink)?;
            }
            Ok(())
        });
        pool.broadcast(|_| queue.work(plan, on_trial));
        // Dropping the queue drops the sender: the writer ends.
        let result = queue.into_result();
        let written = writer.join().expect("writer thread panicked");
        result.and(written)
    })
}

/// The shared work queue of [`run`] with the condition variable on which
/// a worker waits while `max_open` chunks are open.
struct Queue<'p> {
    state: Mutex<QueueState<'p>>,
    changed: Condvar,
}

struct QueueState<'p> {
    plan: &'p Plan,
    chunks: &'p [Chunk],
    max_open: usize,
    /// Position in `chunks` of the next chunk to open.
    next_chunk: usize,
    /// Items of the open chunks not yet handed out, with their chunk's position.
    items: VecDeque<(usize, Work)>,
    /// The open chunks, from position `first_open` on.
    open: VecDeque<OpenChunk>,
    first_open: usize,
    /// The first chunk with a failing trial: no later chunk is simulated further.
    failed: Option<usize>,
    /// `None` once the run stops: a chunk failed, the writer failed or a
    /// worker panicked.
    tx: Option<SyncSender<ChunkResult>>,
    result: Result<(), RunError>,
}

struct OpenChunk {
    outstanding: usize,
    records: Vec<Result<TrialRecord, RunError>>,
}

enum Next {
    Item(usize, u32, Work),
    Wait,
    Done,
}

impl<'p> Queue<'p> {
    fn new(
        plan: &'p Plan,
        chunks: &'p [Chunk],
        max_open: usize,
        tx: SyncSender<ChunkResult>,
    ) -> Self {
        Queue {
            state: Mutex::new(QueueState {
                plan,
                chunks,
                max_open,
                next_chunk: 0,
                items: VecDeque::new(),
                open: VecDeque::new(),
                first_open: 0,
                failed: None,
                tx: Some(tx),
                result: Ok(()),
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState<'p>> {
        // The state is consistent between calls (no user code runs under the
        // lock), so a panic elsewhere does not spoil it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One worker: takes items until none are left, hands back their records.
    fn work(&self, plan: &Plan, on_trial: &(dyn Fn() + Sync)) {
        let _stop_on_panic = StopOnPanic(self);
        let mut state = self.lock();
        loop {
            match state.next() {
                Next::Item(pos, point, work) => {
                    drop(state);
                    let records = simulate_work(plan, point, work, on_trial);
                    state = self.lock();
                    state.done(pos, records);
                    self.changed.notify_all();
                }
                Next::Wait => state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner()),
                Next::Done => return,
            }
        }
    }

    fn into_result(self) -> Result<(), RunError> {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        state.result
    }
}

/// Stops the run if a worker panics, so that no other worker waits forever
/// for the chunk the panicking one held (the panic itself reaches the
/// caller through the pool).
struct StopOnPanic<'q, 'p>(&'q Queue<'p>);

impl Drop for StopOnPanic<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().tx = None;
            self.0.changed.notify_all();
        }
    }
}

impl QueueState<'_> {
    fn next(&mut self) -> Next {
        loop {
            if self.tx.is_none() {
                return Next::Done;
            }
            if let Some((pos, work)) = self.items.pop_front() {
                return Next::Item(pos, self.chunks[pos].point, work);
            }
            if self.failed.is_some() || self.next_chunk == self.chunks.len() {
                return Next::Done;
            }
            if self.open.len() >= self.max_open {
                return Next::Wait;
            }
            let pos = self.next_chunk;
            let chunk = &self.chunks[pos];
            let method = self.plan.points[chunk.point as usize].protocol.method();
            let items = work_items(self.plan, method, chunk.first_trial, chunk.n_trials);
            self.open.push_back(OpenChunk {
                outstanding: items.len(),
                records: Vec::with_capacity(chunk.n_trials as usize),
            });
            self.items.extend(items.into_iter().map(|w| (pos, w)));
            self.next_chunk += 1;
            self.flush(); // (an empty chunk is complete at once)
        }
    }

    fn done(&mut self, pos: usize, records: Vec<Result<TrialRecord, RunError>>) {
        if records.iter().any(|r| r.is_err()) {
            let first = self.failed.map_or(pos, |f| f.min(pos));
            self.failed = Some(first);
            self.items.retain(|&(p, _)| p <= first);
        }
        let chunk = &mut self.open[pos - self.first_open];
        chunk.records.extend(records);
        chunk.outstanding -= 1;
        self.flush();
    }

    /// Sends the complete chunks at the front, in order. (A send blocks
    /// while the writer is two chunks behind; the other workers then wait
    /// for the lock when they finish an item, as simulation should.)
    fn flush(&mut self) {
        while self.open.front().is_some_and(|c| c.outstanding == 0) {
            let Some(tx) = &self.tx else { return };
            let records = self.open.pop_front().map(|c| c.records).unwrap_or_default();
            let chunk = &self.chunks[self.first_open];
            self.first_open += 1;
            match assemble(chunk, records) {
                Ok(done) => {
                    if tx.send(done).is_err() {
                        self.tx = None; // the writer failed; its error is reported by `run`
                    }
                }
                Err(e) => {
                    self.result = Err(e);
                    self.tx = None;
                }
            }
        }
    }
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

    /// Collects what the writer thread receives; fails at chunk position
    /// `fail_at`, if given.
    struct Collect {
        got: Vec<ChunkResult>,
        fail_at: Option<usize>,
    }

    impl Sink for Collect {
        fn write_chunk(
            &mut self,
            chunk: ChunkResult,
        ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            if self.fail_at == Some(self.got.len()) {
                return Err("disk full".into());
            }
            self.got.push(chunk);
            Ok(())
        }
    }

    fn run_into(
        p: &Plan,
        threads: usize,
        fail_at: Option<usize>,
    ) -> (Result<(), RunError>, Vec<ChunkResult>) {
        let mut sink = Collect {
            got: Vec::new(),
            fail_at,
        };
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let r = run(p, &p.chunks, threads, &mut sink, &|| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        if r.is_ok() {
            let trials: u32 = p.chunks.iter().map(|c| c.n_trials).sum();
            assert_eq!(
                calls.into_inner(),
                trials as usize,
                "on_trial once per trial"
            );
        }
        (r, sink.got)
    }

    /// The queue hands out items across chunks to every thread; the writer
    /// still gets every chunk once, in plan order, each equal to the chunk
    /// simulated on its own (traced trials included).
    #[test]
    fn run_delivers_every_chunk_in_order_equal_to_simulate_chunk() {
        for (chunk, threads) in [(8, 2), (8, 3), (31, 2), (75, 1)] {
            let p = plan("rush-larsen", chunk);
            let (r, got) = run_into(&p, threads, None);
            r.unwrap();
            assert_eq!(got.len(), p.chunks.len());
            for (c, done) in p.chunks.iter().zip(&got) {
                let alone = simulate_chunk(&p, c, &|| {}).unwrap();
                assert_eq!((done.chunk, done.point), (c.index, c.point));
                let ids: Vec<u32> = done.trials.iter().map(|t| t.trial).collect();
                let want: Vec<u32> = alone.trials.iter().map(|t| t.trial).collect();
                assert_eq!(ids, want);
                for (a, b) in done.trials.iter().zip(&alone.trials) {
                    assert_eq!(a.spikes_ms, b.spikes_ms, "trial {}", a.trial);
                    assert_eq!(a.input_counts, b.input_counts);
                    assert_eq!(a.trace.is_some(), b.trace.is_some());
                }
            }
        }
    }

    /// One input of 1 Hz whose single event kicks V by 2000 mV past the
    /// divergence limit: a trial fails iff it receives an event within its
    /// 100 ms (probability 1 − e^−0.1 ≈ 0.1). With seed 23 trials 19, 22,
    /// 31, 40 and 42 fail; trial 19, the first, is traced, so it runs as
    /// its chunk's last item, after blocks holding later failures.
    fn diverging_plan(chunk: u32) -> Plan {
        let text = format!(
            r#"
name = "div"
duration_ms = 100.0
dt_ms = 0.01
method = "rush-larsen"
trials = 60
seed = 23
[neuron]
model = "hh"
[synapse]
kind = "delta"
[inputs.exc]
count = 1
rate_hz = 1.0
p_transmit = 1.0
weight = 2000.0
[record]
trials = [19]
[run]
chunk_trials = {chunk}
"#
        );
        Plan::from_toml(&text, "test", &[] as &[Assignment]).expect("valid plan")
    }

    /// A failing trial: the chunks before the first failing chunk are
    /// written, nothing after; the error names that chunk's first failing
    /// trial (found here trial by trial).
    #[test]
    fn run_stops_at_the_first_failing_chunk_after_writing_the_ones_before() {
        for (chunk, threads) in [(7, 2), (7, 1), (60, 2), (3, 3)] {
            let p = diverging_plan(chunk);
            let first_bad = (0..60)
                .find(|&t| simulate_trial(&p, 0, t, false, &mut TrialOutput::default()).is_err())
                .expect("seed 23 gives a failing trial");
            assert_eq!(first_bad, 19, "the plan's comment");
            let bad_chunk = p
                .chunks
                .iter()
                .position(|c| c.first_trial + c.n_trials > first_bad)
                .unwrap();
            let (r, got) = run_into(&p, threads, None);
            match r {
                Err(RunError::Trial {
                    point: 0, trial, ..
                }) => assert_eq!(trial, first_bad),
                other => panic!("expected the failure of trial {first_bad}, got {other:?}"),
            }
            assert!(chunk == 60 || bad_chunk >= 2);
            let ids: Vec<u32> = got.iter().map(|c| c.chunk).collect();
            let want: Vec<u32> = p.chunks[..bad_chunk].iter().map(|c| c.index).collect();
            assert_eq!(ids, want, "chunk size {chunk}, {threads} thread(s)");
        }
    }

    /// A failing writer stops the run (no hang, no later chunk delivered)
    /// and its error is the one returned.
    #[test]
    fn run_stops_when_the_writer_fails() {
        let p = plan("rush-larsen", 8);
        for threads in [1, 2, 3] {
            let (r, got) = run_into(&p, threads, Some(3));
            assert!(matches!(r, Err(RunError::Sink(_))), "{r:?}");
            let ids: Vec<u32> = got.iter().map(|c| c.chunk).collect();
            assert_eq!(ids, vec![0, 1, 2]);
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
        // The short traced items come last, to fill the gaps at a chunk's end.
        assert!(items[3..].iter().all(|w| matches!(w, Work::Single(_))));
        let p = plan("rk4", 75);
        assert!(
            work_items(&p, Method::Rk4, 0, 75)
                .iter()
                .all(|w| matches!(w, Work::Single(_)))
        );
    }
}
