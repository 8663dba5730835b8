//! The Parquet sink of the ensemble runner: one part file per chunk and
//! dataset.

use crate::error::StoreError;
use crate::parquet_io::write_batch;
use crate::run_dir::RunDir;
use crate::schema::{
    input_spikes_schema, spikes_schema, traces_schema, traces_schema_with, trials_schema,
};
use arrow_array::{ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::Schema;
use spikemc_ensemble::{ChunkResult, Sink};
use std::sync::Arc;

/// Writes chunks as `trials/`, `spikes/` and `traces/` part files.
#[derive(Debug)]
pub struct ParquetSink {
    dir: RunDir,
    trials: Arc<Schema>,
    spikes: Arc<Schema>,
    traces: Arc<Schema>,
    n_inputs: usize,
    meta: String,
    n_syn: usize,
    input_names: Vec<String>,
    input_spikes: Arc<Schema>,
}

impl ParquetSink {
    /// A sink writing into `dir`; `meta` (JSON) goes on every file's schema.
    pub fn new(dir: RunDir, input_names: &[String], meta: &str) -> Self {
        Self {
            dir,
            trials: trials_schema(input_names, meta),
            spikes: spikes_schema(meta),
            traces: traces_schema(meta),
            n_inputs: input_names.len(),
            meta: meta.to_string(),
            n_syn: 0,
            input_names: input_names.to_vec(),
            input_spikes: input_spikes_schema(meta),
        }
    }

    /// Adds one `traces/` column per entry of `columns` (see
    /// [`crate::synapse_column`]), filled from each trace's `syn` vectors in
    /// order; every traced trial must then carry that many.
    pub fn with_trace_columns(mut self, columns: &[String]) -> Self {
        self.traces = traces_schema_with(&self.meta, columns);
        self.n_syn = columns.len();
        self
    }

    /// Writes one chunk's part files: spikes, traces (if any), then trials.
    /// Each appears atomically; a chunk is complete once its trials part
    /// exists.
    pub fn write(&self, chunk: &ChunkResult) -> Result<(), StoreError> {
        let p = chunk.point as i32;
        let n = chunk.trials.len();
        let trials = &chunk.trials;
        let f = |g: &dyn Fn(&spikemc_analysis::TrialStats) -> Option<f64>| -> ArrayRef {
            Arc::new(trials.iter().map(|t| g(&t.stats)).collect::<Float64Array>())
        };
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from(vec![p; n])),
            Arc::new(
                trials
                    .iter()
                    .map(|t| t.trial as i32)
                    .collect::<Int32Array>(),
            ),
            Arc::new(
                trials
                    .iter()
                    .map(|t| t.stats.n_spikes as i32)
                    .collect::<Int32Array>(),
            ),
            Arc::new(
                trials
                    .iter()
                    .map(|t| t.stats.rate_hz)
                    .collect::<Float64Array>(),
            ),
            f(&|s| s.first_spike_ms),
            f(&|s| s.isi_mean_ms),
            f(&|s| s.isi_cv),
            f(&|s| s.cv2),
            f(&|s| s.lv),
        ];
        for i in 0..self.n_inputs {
            cols.push(Arc::new(
                trials
                    .iter()
                    .map(|t| t.input_counts[i] as i64)
                    .collect::<Int64Array>(),
            ));
        }
        let n_spikes: usize = trials.iter().map(|t| t.spikes_ms.len()).sum();
        let mut trial_ids = Vec::with_capacity(n_spikes);
        let mut times = Vec::with_capacity(n_spikes);
        for t in trials {
            trial_ids.extend(std::iter::repeat_n(t.trial as i32, t.spikes_ms.len()));
            times.extend_from_slice(&t.spikes_ms);
        }
        let path = self.dir.part_path("spikes", chunk.point, chunk.chunk);
        let batch = RecordBatch::try_new(
            self.spikes.clone(),
            vec![
                Arc::new(Int32Array::from(vec![p; n_spikes])),
                Arc::new(Int32Array::from(trial_ids)),
                Arc::new(Float64Array::from(times)),
            ],
        )
        .map_err(|e| StoreError::format(&path, e))?;
        write_batch(&path, &batch)?;

        let traced: Vec<_> = trials
            .iter()
            .filter_map(|t| t.trace.as_ref().map(|tr| (t.trial, tr)))
            .collect();
        if !traced.is_empty() {
            let len: usize = traced.iter().map(|(_, tr)| tr.len()).sum();
            let mut ids = Vec::with_capacity(len);
            let mut columns: Vec<Vec<f64>> = (0..9).map(|_| Vec::with_capacity(len)).collect();
            columns.extend((0..self.n_syn).map(|_| Vec::with_capacity(len)));
            for (trial, tr) in &traced {
                ids.extend(std::iter::repeat_n(*trial as i32, tr.len()));
                let fixed = [
                    &tr.t_ms, &tr.v_mv, &tr.m, &tr.h, &tr.n, &tr.i_na, &tr.i_k, &tr.i_l, &tr.i_syn,
                ];
                for (c, src) in columns.iter_mut().zip(fixed.into_iter().chain(&tr.syn)) {
                    c.extend_from_slice(src);
                }
            }
            let mut cols: Vec<ArrayRef> = vec![
                Arc::new(Int32Array::from(vec![p; len])),
                Arc::new(Int32Array::from(ids)),
            ];
            cols.extend(
                columns
                    .into_iter()
                    .map(|c| Arc::new(Float64Array::from(c)) as ArrayRef),
            );
            let path = self.dir.part_path("traces", chunk.point, chunk.chunk);
            let batch = RecordBatch::try_new(self.traces.clone(), cols)
                .map_err(|e| StoreError::format(&path, e))?;
            write_batch(&path, &batch)?;
        }

        // Source spikes of recorded trials (populations with record_sources).
        let n_src: usize = traced.iter().map(|(_, tr)| tr.source_spikes.len()).sum();
        if n_src > 0 {
            let mut ids = Vec::with_capacity(n_src);
            let mut pops = Vec::with_capacity(n_src);
            let mut srcs = Vec::with_capacity(n_src);
            let mut ts = Vec::with_capacity(n_src);
            for (trial, tr) in &traced {
                for &(pop, src, t) in &tr.source_spikes {
                    ids.push(*trial as i32);
                    pops.push(self.input_names[pop as usize].as_str());
                    srcs.push(src as i32);
                    ts.push(t);
                }
            }
            let path = self.dir.part_path("input_spikes", chunk.point, chunk.chunk);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| StoreError::io(parent, e))?;
            }
            let batch = RecordBatch::try_new(
                self.input_spikes.clone(),
                vec![
                    Arc::new(Int32Array::from(vec![p; n_src])),
                    Arc::new(Int32Array::from(ids)),
                    Arc::new(StringArray::from(pops)),
                    Arc::new(Int32Array::from(srcs)),
                    Arc::new(Float64Array::from(ts)),
                ],
            )
            .map_err(|e| StoreError::format(&path, e))?;
            write_batch(&path, &batch)?;
        }

        // The trials part is written last: its presence marks the chunk
        // complete (resume and analyze rely on it).
        let path = self.dir.part_path("trials", chunk.point, chunk.chunk);
        let batch = RecordBatch::try_new(self.trials.clone(), cols)
            .map_err(|e| StoreError::format(&path, e))?;
        write_batch(&path, &batch)?;
        Ok(())
    }
}

impl Sink for ParquetSink {
    fn write_chunk(
        &mut self,
        chunk: ChunkResult,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.write(&chunk)?)
    }
}
