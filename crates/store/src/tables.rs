//! The statistics tables (DESIGN.md §7): `summary.parquet`, `isi_hist.parquet`,
//! `fano.parquet` and `psth.parquet`, computed from a run's `trials/` and `spikes/` and
//! written atomically. Every table starts with an int32 `point` column; counts are int64,
//! values float64 (undefined values are `NaN`, never null), nothing is unsigned.

use crate::error::StoreError;
use crate::parquet_io::write_batch;
use crate::reader::{PointSpan, StoredTrial, for_each_trial};
use crate::run_dir::RunDir;
use crate::schema::spikes_schema;
use arrow_array::{ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use spikemc_analysis::PointTables;
use std::path::PathBuf;
use std::sync::Arc;

/// Names of the statistics tables; each is the file `OUT/<name>.parquet`.
pub const ANALYSIS_TABLES: [&str; 4] = ["summary", "isi_hist", "fano", "psth"];

/// Path of statistics table `name` (one of [`ANALYSIS_TABLES`]) in `dir`.
pub fn analysis_table_path(dir: &RunDir, name: &str) -> PathBuf {
    dir.root().join(format!("{name}.parquet"))
}

/// The statistics of every sweep point of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisTables {
    /// Tables of point `j` at index `j`.
    pub points: Vec<PointTables>,
    /// Per point, the analysed span `[start, stop)` \[ms\] (trial start + transient, end).
    pub spans_ms: Vec<(f64, f64)>,
    /// Per point, the confidence level of the intervals.
    pub confidence: Vec<f64>,
}

/// Computes the statistics of every point of `dir` from its `trials/` and `spikes/`,
/// one chunk at a time (memory: one chunk's rows plus the accumulators, whose size does
/// not grow with the spikes; see [`PointAccumulator`](spikemc_analysis::PointAccumulator)).
/// `points[j]` describes sweep point `j`. Silent trials count: the trial ids come from
/// `trials/`. The result does not depend on how the trials were chunked.
///
/// Errors: any error of [`for_each_trial`], a point id outside `0..points.len()`, or a
/// trial listed in more than one part file.
pub fn analyze_run(dir: &RunDir, points: &[PointSpan]) -> Result<AnalysisTables, StoreError> {
    let mut accs: Vec<_> = points.iter().map(PointSpan::accumulator).collect();
    // Trial ids per point (4 bytes per trial beside the accumulator's 64): the
    // accumulator panics on a duplicate, so duplicates are found here first.
    let mut seen: Vec<Vec<u32>> = vec![Vec::new(); points.len()];
    for_each_trial(dir, |t: StoredTrial<'_>| {
        let j = t.point as usize;
        let acc = accs.get_mut(j).ok_or_else(|| {
            format!(
                "point {} is not in the experiment (it has {} point(s))",
                t.point,
                points.len()
            )
        })?;
        acc.add_trial(t.trial, t.spikes_ms);
        seen[j].push(t.trial);
        Ok(())
    })?;
    for (j, ids) in seen.iter_mut().enumerate() {
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(StoreError::format(
                &dir.root().join("trials"),
                format!(
                    "point {j}, trial {} appears in more than one part file",
                    w[0]
                ),
            ));
        }
    }
    Ok(AnalysisTables {
        points: accs.iter().map(|a| a.finish()).collect(),
        spans_ms: accs
            .iter()
            .zip(points)
            .map(|(a, p)| (a.analysed_start_ms(), p.t_stop_ms()))
            .collect(),
        confidence: points.iter().map(|p| p.analysis().confidence).collect(),
    })
}

/// Writes the four statistics tables into `dir`, each atomically (a reader sees the old
/// file or the new one, never a partial one), replacing earlier versions. `meta` is the
/// run's metadata JSON, put on every schema as on the other tables.
pub fn write_analysis_tables(
    dir: &RunDir,
    tables: &AnalysisTables,
    meta: &str,
) -> Result<(), StoreError> {
    // Build every batch before writing any, so a bad batch leaves the old set intact.
    let batches = analysis_batches(tables, meta).map_err(|e| StoreError::format(dir.root(), e))?;
    for (name, batch) in ANALYSIS_TABLES.iter().zip(&batches) {
        write_batch(&analysis_table_path(dir, name), batch)?;
    }
    Ok(())
}

/// The four tables as record batches, in [`ANALYSIS_TABLES`] order.
pub fn analysis_batches(
    tables: &AnalysisTables,
    meta: &str,
) -> Result<[RecordBatch; 4], arrow_schema::ArrowError> {
    Ok([
        summary_batch(tables, meta)?,
        isi_hist_batch(tables, meta)?,
        fano_batch(tables, meta)?,
        psth_batch(tables, meta)?,
    ])
}

/// The metadata of every table, taken from the spikes schema so that all tables of a run
/// carry exactly the same keys and values.
fn schema(fields: Vec<Field>, meta: &str) -> Arc<Schema> {
    let metadata = spikes_schema(meta).metadata().clone();
    Arc::new(Schema::new(fields).with_metadata(metadata))
}

fn point_field() -> Field {
    Field::new("point", DataType::Int32, false)
}

fn f64_field(name: &str) -> Field {
    Field::new(name, DataType::Float64, false)
}

fn i64_field(name: &str) -> Field {
    Field::new(name, DataType::Int64, false)
}

/// Columns of `summary.parquet` after `point`.
const SUMMARY_I64: [&str; 3] = ["n_trials", "n_trials_silent", "n_spikes_total"];
const SUMMARY_F64: [&str; 16] = [
    "span_start_ms",
    "span_stop_ms",
    "rate_mean_hz",
    "rate_sd_hz",
    "rate_ci_low_hz",
    "rate_ci_high_hz",
    "rate_t_ci_low_hz",
    "rate_t_ci_high_hz",
    "isi_cv_pooled",
    "isi_cv_mean",
    "fano_main",
    "fano_main_ci_low",
    "fano_main_ci_high",
    "fano_main_window_ms",
    "first_spike_mean_ms",
    "confidence",
];

/// Schema of `summary.parquet`: one row per point.
pub fn summary_schema(meta: &str) -> Arc<Schema> {
    let mut fields = vec![point_field()];
    fields.extend(SUMMARY_I64.iter().map(|n| i64_field(n)));
    fields.extend(SUMMARY_F64.iter().map(|n| f64_field(n)));
    schema(fields, meta)
}

fn summary_batch(t: &AnalysisTables, meta: &str) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let rows: Vec<_> = t.points.iter().map(|p| &p.summary).collect();
    let n = rows.len();
    let i64s: [Vec<i64>; 3] = [
        rows.iter().map(|r| r.n_trials).collect(),
        rows.iter().map(|r| r.n_trials_silent).collect(),
        rows.iter().map(|r| r.n_spikes_total).collect(),
    ];
    let f64s: [Vec<f64>; 16] = [
        t.spans_ms.iter().map(|s| s.0).collect(),
        t.spans_ms.iter().map(|s| s.1).collect(),
        rows.iter().map(|r| r.rate_mean_hz).collect(),
        rows.iter().map(|r| r.rate_sd_hz).collect(),
        rows.iter().map(|r| r.rate_ci_low_hz).collect(),
        rows.iter().map(|r| r.rate_ci_high_hz).collect(),
        rows.iter().map(|r| r.rate_t_ci_low_hz).collect(),
        rows.iter().map(|r| r.rate_t_ci_high_hz).collect(),
        rows.iter().map(|r| r.isi_cv_pooled).collect(),
        rows.iter().map(|r| r.isi_cv_mean).collect(),
        rows.iter().map(|r| r.fano_main).collect(),
        rows.iter().map(|r| r.fano_main_ci_low).collect(),
        rows.iter().map(|r| r.fano_main_ci_high).collect(),
        rows.iter().map(|r| r.fano_main_window_ms).collect(),
        rows.iter().map(|r| r.first_spike_mean_ms).collect(),
        t.confidence.clone(),
    ];
    let mut cols: Vec<ArrayRef> = vec![Arc::new(Int32Array::from_iter_values(0..n as i32))];
    cols.extend(
        i64s.into_iter()
            .map(|v| Arc::new(Int64Array::from(v)) as ArrayRef),
    );
    cols.extend(
        f64s.into_iter()
            .map(|v| Arc::new(Float64Array::from(v)) as ArrayRef),
    );
    RecordBatch::try_new(summary_schema(meta), cols)
}

/// Schema of `isi_hist.parquet`: one row per point and ISI bin (overflow bin last).
pub fn isi_hist_schema(meta: &str) -> Arc<Schema> {
    schema(
        vec![
            point_field(),
            f64_field("bin_left_ms"),
            f64_field("bin_right_ms"),
            i64_field("count"),
            f64_field("density_per_ms"),
        ],
        meta,
    )
}

fn isi_hist_batch(t: &AnalysisTables, meta: &str) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let rows: Vec<_> = long_rows(t, |p| &p.isi_hist);
    RecordBatch::try_new(
        isi_hist_schema(meta),
        vec![
            points_of(&rows),
            f64s(&rows, |r| r.bin_left_ms),
            f64s(&rows, |r| r.bin_right_ms),
            i64s(&rows, |r| r.count),
            f64s(&rows, |r| r.density_per_ms),
        ],
    )
}

/// Schema of `fano.parquet`: one row per point and counting window.
pub fn fano_schema(meta: &str) -> Arc<Schema> {
    schema(
        vec![
            point_field(),
            f64_field("window_ms"),
            i64_field("n_trials"),
            i64_field("n_windows"),
            i64_field("n_counts"),
            f64_field("mean_count"),
            f64_field("var_count"),
            f64_field("fano"),
            f64_field("fano_ci_low"),
            f64_field("fano_ci_high"),
            f64_field("dispersion_p_value"),
        ],
        meta,
    )
}

fn fano_batch(t: &AnalysisTables, meta: &str) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let rows: Vec<_> = long_rows(t, |p| &p.fano);
    RecordBatch::try_new(
        fano_schema(meta),
        vec![
            points_of(&rows),
            f64s(&rows, |r| r.window_ms),
            i64s(&rows, |r| r.n_trials),
            i64s(&rows, |r| r.n_windows),
            i64s(&rows, |r| r.n_counts),
            f64s(&rows, |r| r.mean_count),
            f64s(&rows, |r| r.var_count),
            f64s(&rows, |r| r.fano),
            f64s(&rows, |r| r.fano_ci_low),
            f64s(&rows, |r| r.fano_ci_high),
            f64s(&rows, |r| r.dispersion_p_value),
        ],
    )
}

/// Schema of `psth.parquet`: one row per point and time bin.
pub fn psth_schema(meta: &str) -> Arc<Schema> {
    schema(
        vec![
            point_field(),
            f64_field("bin_left_ms"),
            f64_field("bin_right_ms"),
            i64_field("count"),
            f64_field("rate_hz"),
        ],
        meta,
    )
}

fn psth_batch(t: &AnalysisTables, meta: &str) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let rows: Vec<_> = long_rows(t, |p| &p.psth);
    RecordBatch::try_new(
        psth_schema(meta),
        vec![
            points_of(&rows),
            f64s(&rows, |r| r.bin_left_ms),
            f64s(&rows, |r| r.bin_right_ms),
            i64s(&rows, |r| r.count),
            f64s(&rows, |r| r.rate_hz),
        ],
    )
}

/// The rows of one per-point table, long format: (point, row), points in order.
fn long_rows<'a, R>(
    t: &'a AnalysisTables,
    table: impl Fn(&'a PointTables) -> &'a Vec<R>,
) -> Vec<(i32, &'a R)> {
    t.points
        .iter()
        .enumerate()
        .flat_map(|(j, p)| table(p).iter().map(move |r| (j as i32, r)))
        .collect()
}

fn points_of<R>(rows: &[(i32, &R)]) -> ArrayRef {
    Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.0)))
}

fn f64s<R>(rows: &[(i32, &R)], f: impl Fn(&R) -> f64) -> ArrayRef {
    Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| f(r.1))))
}

fn i64s<R>(rows: &[(i32, &R)], f: impl Fn(&R) -> i64) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| f(r.1))))
}
