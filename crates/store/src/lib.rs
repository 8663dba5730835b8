//! spikemc-store: the run directory on disk — Arrow schemas, Parquet part
//! files written atomically, `_run.json`, and reading them back.
//!
//! # Brief overview
//! - [`RunDir`]: creates a run directory (refusing to reuse one silently),
//!   names part files, reads and writes `_run.json`.
//! - [`ParquetSink`]: the ensemble runner's sink; one `trials/`, `spikes/`
//!   (and `traces/`) part file per chunk.
//! - [`write_batch`] / [`read_batches`]: one Parquet file, Snappy, with the
//!   run's metadata on the Arrow schema (pyarrow and pandas show it).
//! - [`for_each_trial`]: every trial of a run read back with its spikes, one
//!   chunk at a time; [`analyze_run`] feeds them into one accumulator per
//!   point ([`PointSpan`]) and [`write_analysis_tables`] writes
//!   `summary.parquet`, `isi_hist.parquet`, `fano.parquet`, `psth.parquet`.
//!
//! Only this crate (and the binary) depend on arrow and parquet.
#![deny(missing_docs)]

mod atomic;
mod error;
mod parquet_io;
mod points;
mod reader;
mod run_dir;
mod schema;
mod sink;
mod tables;

pub use atomic::{temp_path, write_atomically, write_bytes};
pub use error::StoreError;
pub use parquet_io::{read_batches, write_batch};
pub use points::{POINTS_FILE, write_points};
pub use reader::{PointSpan, StoredTrial, file_run_meta, for_each_trial, stored_run_meta};
pub use run_dir::{RUN_JSON, RunDir, first_difference, parse_part_name};
pub use schema::{
    META_KEY, PANDAS_ATTRS_KEY, TRACE_COLUMNS, input_column, input_spikes_schema, spikes_schema,
    synapse_column, traces_schema, traces_schema_with, trials_schema,
};
pub use sink::ParquetSink;
pub use tables::{
    ANALYSIS_TABLES, AnalysisTables, analysis_batches, analysis_table_path, analyze_run,
    fano_schema, isi_hist_schema, psth_schema, summary_schema, write_analysis_tables,
};
