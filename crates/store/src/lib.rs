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
//!
//! Only this crate (and the binary) depend on arrow and parquet.
#![deny(missing_docs)]

mod atomic;
mod error;
mod parquet_io;
mod run_dir;
mod schema;
mod sink;

pub use atomic::{temp_path, write_atomically, write_bytes};
pub use error::StoreError;
pub use parquet_io::{read_batches, write_batch};
pub use run_dir::{RUN_JSON, RunDir};
pub use schema::{
    META_KEY, PANDAS_ATTRS_KEY, TRACE_COLUMNS, input_column, spikes_schema, traces_schema,
    trials_schema,
};
pub use sink::ParquetSink;
