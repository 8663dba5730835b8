//! Reading a run's trials back: every trial of `trials/` with its spike times from
//! `spikes/`, one pair of part files at a time, so memory stays bounded by one chunk.
//!
//! Trial ids come from `trials/`, never from `spikes/`: a trial without spikes has a row
//! in `trials/` and none in `spikes/`, and it must count (rates, Fano factors, silent
//! trials). A chunk's two part files share their name (`part-p00000-c000000.parquet`),
//! which is how they are paired. The sink writes a chunk's `trials/` part last, so a
//! chunk is complete exactly when its `trials/` part exists; a `spikes/` part alone is
//! an unfinished chunk (interrupted or still running) and is skipped.

use crate::error::StoreError;
use crate::parquet_io::read_batches;
use crate::run_dir::RunDir;
use crate::schema::META_KEY;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use spikemc_analysis::{AnalysisConfig, AnalysisError, PointAccumulator};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

/// The trial interval and analysis settings of one sweep point, checked on construction
/// (so the accumulators made from it never panic).
#[derive(Debug, Clone, PartialEq)]
pub struct PointSpan {
    analysis: AnalysisConfig,
    t_start_ms: f64,
    t_stop_ms: f64,
}

impl PointSpan {
    /// Trials over `[t_start_ms, t_stop_ms)` \[ms\] analysed with `analysis`; fails if
    /// `analysis.validate()` or `analysis.validate_span(t_start_ms, t_stop_ms)` does.
    pub fn new(
        analysis: AnalysisConfig,
        t_start_ms: f64,
        t_stop_ms: f64,
    ) -> Result<Self, AnalysisError> {
        analysis.validate()?;
        analysis.validate_span(t_start_ms, t_stop_ms)?;
        Ok(Self {
            analysis,
            t_start_ms,
            t_stop_ms,
        })
    }

    /// The analysis settings.
    pub fn analysis(&self) -> &AnalysisConfig {
        &self.analysis
    }

    /// \[ms\] Start of every trial.
    pub fn t_start_ms(&self) -> f64 {
        self.t_start_ms
    }

    /// \[ms\] End of every trial (exclusive).
    pub fn t_stop_ms(&self) -> f64 {
        self.t_stop_ms
    }

    /// An empty accumulator for this point.
    pub fn accumulator(&self) -> PointAccumulator {
        PointAccumulator::new(&self.analysis, self.t_start_ms, self.t_stop_ms)
    }
}

/// One trial as read back from a run directory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredTrial<'a> {
    /// Sweep point.
    pub point: u32,
    /// Trial id within the point.
    pub trial: u32,
    /// \[ms\] Spike times, sorted ascending (empty for a silent trial).
    pub spikes_ms: &'a [f64],
}

/// Calls `visit` once for every row of `trials/`, with that trial's spikes from
/// `spikes/`, one complete chunk (pair of part files) at a time in part-name order;
/// within a chunk, trials come in (point, trial) order. Unfinished chunks (a `spikes/`
/// part without its `trials/` part) are skipped. Returns the number of trials visited.
///
/// Errors: a `trials/` part without its `spikes/` partner, a file that is not a spikemc
/// table (missing
/// or mistyped `point`/`trial`/`t_ms`, nulls, negative ids, non-finite times), a trial
/// listed twice in one part, or a spike of a trial that the partner `trials/` part does
/// not list. An `Err(message)` from `visit` stops the walk and is reported with the path
/// of the `trials/` part.
pub fn for_each_trial<F>(dir: &RunDir, mut visit: F) -> Result<u64, StoreError>
where
    F: FnMut(StoredTrial<'_>) -> Result<(), String>,
{
    let mut n = 0u64;
    for (trials_path, spikes_path) in chunk_pairs(dir)? {
        let ids = read_trial_ids(&trials_path)?;
        let spikes = read_spikes(&spikes_path)?;
        // Merge the two sorted lists: each trial takes the run of spikes with its key.
        let mut at = 0;
        for &(point, trial) in &ids {
            let key = (point, trial);
            if let Some(&(p, t)) = spikes.keys.get(at)
                && (p, t) < key
            {
                return Err(orphan_spike(&spikes_path, p, t));
            }
            let end = at + spikes.keys[at..].partition_point(|&k| k == key);
            visit(StoredTrial {
                point,
                trial,
                spikes_ms: &spikes.times[at..end],
            })
            .map_err(|m| StoreError::format(&trials_path, m))?;
            at = end;
            n += 1;
        }
        if let Some(&(p, t)) = spikes.keys.get(at) {
            return Err(orphan_spike(&spikes_path, p, t));
        }
    }
    Ok(n)
}

/// The run metadata (JSON) on the schema of the first `trials/` part file, if there is
/// one: what every table of the run carries under [`META_KEY`](crate::META_KEY).
pub fn stored_run_meta(dir: &RunDir) -> Result<Option<String>, StoreError> {
    match dir.parts("trials")?.first() {
        Some(path) => file_run_meta(path),
        None => Ok(None),
    }
}

/// The run metadata (JSON) on the Arrow schema of one Parquet file, if it has any. (The
/// record batches of [`read_batches`](crate::read_batches) do not carry it.)
pub fn file_run_meta(path: &Path) -> Result<Option<String>, StoreError> {
    let file = File::open(path).map_err(|e| StoreError::io(path, e))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| StoreError::format(path, e))?;
    Ok(builder.schema().metadata().get(META_KEY).cloned())
}

fn orphan_spike(path: &Path, point: u32, trial: u32) -> StoreError {
    StoreError::format(
        path,
        format!(
            "spikes of point {point}, trial {trial}, which its trials/ part does not list \
             (files of different runs mixed?)"
        ),
    )
}

/// The complete chunks: `trials/` parts paired by name with their `spikes/` parts.
fn chunk_pairs(dir: &RunDir) -> Result<Vec<(PathBuf, PathBuf)>, StoreError> {
    let mut spikes: BTreeMap<String, PathBuf> = dir
        .parts("spikes")?
        .into_iter()
        .map(|p| (file_name(&p), p))
        .collect();
    dir.parts("trials")?
        .into_iter()
        .map(|t| {
            let name = file_name(&t);
            match spikes.remove(&name) {
                Some(s) => Ok((t, s)),
                None => Err(StoreError::format(
                    &t,
                    format!(
                        "no spikes/{name} beside it, although the chunk is complete (its \
                         trials part is written last): the chunk's spikes are lost"
                    ),
                )),
            }
        })
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The (point, trial) ids of a `trials/` part, sorted, checked for duplicates.
fn read_trial_ids(path: &Path) -> Result<Vec<(u32, u32)>, StoreError> {
    let mut ids = Vec::new();
    for batch in read_batches(path)? {
        let points = id_column(path, &batch, "point")?;
        let trials = id_column(path, &batch, "trial")?;
        ids.extend(points.into_iter().zip(trials));
    }
    if !ids.is_sorted() {
        ids.sort_unstable();
    }
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(StoreError::format(
            path,
            format!("point {}, trial {} is listed twice", w[0].0, w[0].1),
        ));
    }
    Ok(ids)
}

/// The spikes of a `spikes/` part, sorted by (point, trial, time).
struct Spikes {
    keys: Vec<(u32, u32)>,
    times: Vec<f64>,
}

fn read_spikes(path: &Path) -> Result<Spikes, StoreError> {
    let mut rows: Vec<(u32, u32, f64)> = Vec::new();
    for batch in read_batches(path)? {
        let points = id_column(path, &batch, "point")?;
        let trials = id_column(path, &batch, "trial")?;
        let times = column(path, &batch, "t_ms", &DataType::Float64)?;
        let times = times.as_primitive::<Float64Type>().values();
        if let Some(t) = times.iter().find(|t| !t.is_finite()) {
            return Err(StoreError::format(
                path,
                format!("t_ms = {t}: spike times must be finite"),
            ));
        }
        rows.extend(
            points
                .into_iter()
                .zip(trials)
                .zip(times.iter())
                .map(|((p, k), &t)| (p, k, t)),
        );
    }
    // The sink writes trial by trial with sorted times; sort only foreign files.
    let key = |a: &(u32, u32, f64), b: &(u32, u32, f64)| {
        (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2))
    };
    if !rows.is_sorted_by(|a, b| key(a, b).is_le()) {
        rows.sort_unstable_by(key);
    }
    Ok(Spikes {
        keys: rows.iter().map(|&(p, k, _)| (p, k)).collect(),
        times: rows.into_iter().map(|(_, _, t)| t).collect(),
    })
}

/// A column by name, of type `ty`, without nulls.
fn column<'b>(
    path: &Path,
    batch: &'b RecordBatch,
    name: &str,
    ty: &DataType,
) -> Result<&'b dyn Array, StoreError> {
    let c = batch
        .column_by_name(name)
        .ok_or_else(|| StoreError::format(path, format!("no column `{name}`")))?;
    if c.data_type() != ty {
        return Err(StoreError::format(
            path,
            format!("column `{name}` is {}, expected {ty}", c.data_type()),
        ));
    }
    if c.null_count() > 0 {
        return Err(StoreError::format(
            path,
            format!("column `{name}` has {} null(s)", c.null_count()),
        ));
    }
    Ok(c.as_ref())
}

/// An int32 id column as non-negative ids.
fn id_column(path: &Path, batch: &RecordBatch, name: &str) -> Result<Vec<u32>, StoreError> {
    let c = column(path, batch, name, &DataType::Int32)?;
    c.as_primitive::<Int32Type>()
        .values()
        .iter()
        .map(|&v| {
            u32::try_from(v)
                .map_err(|_| StoreError::format(path, format!("{name} = {v}: ids must be >= 0")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::ParquetSink;
    use crate::write_batch;
    use arrow_array::{Float64Array, Int32Array};
    use spikemc_analysis::trial_stats;
    use spikemc_ensemble::{ChunkResult, TrialRecord};
    use std::sync::Arc;

    fn record(trial: u32, spikes_ms: Vec<f64>) -> TrialRecord {
        TrialRecord {
            trial,
            stats: trial_stats(&spikes_ms, 0.0, 100.0),
            spikes_ms,
            input_counts: vec![],
            trace: None,
        }
    }

    fn visited(dir: &RunDir) -> Result<Vec<(u32, u32, Vec<f64>)>, StoreError> {
        let mut out = Vec::new();
        for_each_trial(dir, |t| {
            out.push((t.point, t.trial, t.spikes_ms.to_vec()));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn silent_trials_come_from_trials_and_unfinished_chunks_are_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = RunDir::create(&tmp.path().join("out"), false).unwrap();
        let sink = ParquetSink::new(dir.clone(), &[], "{}");
        let chunk = |chunk, trials| ChunkResult {
            chunk,
            point: 0,
            trials,
        };
        sink.write(&chunk(
            1,
            vec![record(2, vec![]), record(3, vec![5.0, 7.5])],
        ))
        .unwrap();
        sink.write(&chunk(0, vec![record(0, vec![1.0]), record(1, vec![])]))
            .unwrap();
        let expected = vec![
            (0, 0, vec![1.0]),
            (0, 1, vec![]),
            (0, 2, vec![]),
            (0, 3, vec![5.0, 7.5]),
        ];
        assert_eq!(visited(&dir).unwrap(), expected);

        // A spikes part alone: an unfinished chunk, skipped.
        sink.write(&chunk(2, vec![record(4, vec![3.0])])).unwrap();
        std::fs::remove_file(dir.part_path("trials", 0, 2)).unwrap();
        assert_eq!(visited(&dir).unwrap(), expected);
    }

    #[test]
    fn spikes_of_unlisted_trials_and_bad_ids_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = RunDir::create(&tmp.path().join("out"), false).unwrap();
        let sink = ParquetSink::new(dir.clone(), &[], "{}");
        sink.write(&ChunkResult {
            chunk: 0,
            point: 0,
            trials: vec![record(0, vec![1.0]), record(1, vec![])],
        })
        .unwrap();
        // Spikes of trial 7, which the trials part does not list (written unsorted).
        let spikes = |trial: Vec<i32>, t: Vec<f64>| {
            let n = t.len();
            RecordBatch::try_new(
                crate::spikes_schema("{}"),
                vec![
                    Arc::new(Int32Array::from(vec![0; n])),
                    Arc::new(Int32Array::from(trial)),
                    Arc::new(Float64Array::from(t)),
                ],
            )
            .unwrap()
        };
        let path = dir.part_path("spikes", 0, 0);
        write_batch(&path, &spikes(vec![7, 0], vec![2.0, 1.0])).unwrap();
        let e = visited(&dir).unwrap_err().to_string();
        assert!(e.contains("point 0, trial 7"), "{e}");
        write_batch(&path, &spikes(vec![-1], vec![1.0])).unwrap();
        let e = visited(&dir).unwrap_err().to_string();
        assert!(e.contains("trial = -1"), "{e}");
        write_batch(&path, &spikes(vec![0], vec![f64::NAN])).unwrap();
        let e = visited(&dir).unwrap_err().to_string();
        assert!(e.contains("finite"), "{e}");
    }
}
