//! Writing one record batch as a Parquet file (atomically) and reading
//! files back.

use crate::atomic::write_atomically;
use crate::error::StoreError;
use crate::schema::META_KEY;
use arrow_array::RecordBatch;
use arrow_schema::DataType;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use std::fs::File;
use std::path::Path;

/// Writes `batch` to `path` (Snappy, run metadata also as a Parquet
/// key-value for non-Arrow readers), appearing only when complete.
pub fn write_batch(path: &Path, batch: &RecordBatch) -> Result<(), StoreError> {
    let meta = batch.schema().metadata().get(META_KEY).cloned();
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(1 << 20))
        .set_key_value_metadata(meta.map(|m| vec![KeyValue::new(META_KEY.to_string(), m)]));
    // Float columns (spike times, statistics) plainly encoded: their values
    // are nearly all distinct, so a dictionary only costs a hash per value
    // before the writer gives up on it (measured: ~0.4 % of a B5000 run at
    // 103 spikes/s). Integer columns (trial, counts) keep theirs.
    for field in batch.schema().fields() {
        if field.data_type() == &DataType::Float64 {
            props =
                props.set_column_dictionary_enabled(ColumnPath::from(field.name().as_str()), false);
        }
    }
    let props = props.build();
    write_atomically(path, |file: File| -> Result<File, Wrapped> {
        let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props))
            .map_err(|e| StoreError::format(path, e))?;
        w.write(batch).map_err(|e| StoreError::format(path, e))?;
        let file = w.into_inner().map_err(|e| StoreError::format(path, e))?;
        fault::maybe_fail()?;
        Ok(file)
    })
    .map_err(|e| match e {
        Wrapped::Store(s) => s,
        Wrapped::Io(io) => StoreError::io(path, io),
    })
}

/// Fault injection for the write-failure tests: with
/// `SPIKEMC_FAULT_WRITES_OK=N` in the environment, every Parquet write
/// after the first N fails with ENOSPC ("No space left on device") after
/// its temporary file has been written, exactly where a full disk would
/// surface. Unset (always, outside tests), it costs one atomic load per file.
mod fault {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    static LIMIT: OnceLock<Option<u64>> = OnceLock::new();
    static WRITES: AtomicU64 = AtomicU64::new(0);

    pub fn maybe_fail() -> std::io::Result<()> {
        let limit = *LIMIT.get_or_init(|| {
            std::env::var("SPIKEMC_FAULT_WRITES_OK")
                .ok()
                .and_then(|v| v.parse().ok())
        });
        match limit {
            Some(n) if WRITES.fetch_add(1, Ordering::SeqCst) >= n => {
                Err(std::io::Error::from_raw_os_error(28))
            }
            _ => Ok(()),
        }
    }
}

/// Reads every batch of one Parquet file.
pub fn read_batches(path: &Path) -> Result<Vec<RecordBatch>, StoreError> {
    let file = File::open(path).map_err(|e| StoreError::io(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(65536).build())
        .map_err(|e| StoreError::format(path, e))?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::format(path, e))
}

/// Internal error type of `write_atomically` here.
pub(crate) enum Wrapped {
    Store(StoreError),
    Io(std::io::Error),
}

impl From<std::io::Error> for Wrapped {
    fn from(e: std::io::Error) -> Self {
        Wrapped::Io(e)
    }
}

impl From<StoreError> for Wrapped {
    fn from(e: StoreError) -> Self {
        Wrapped::Store(e)
    }
}
