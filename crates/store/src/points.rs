//! `points.parquet`: one row per sweep point with the swept values.

use crate::error::StoreError;
use crate::parquet_io::write_batch;
use crate::run_dir::RunDir;
use crate::schema::{META_KEY, PANDAS_ATTRS_KEY};
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema};
use spikemc_ensemble::Plan;
use std::collections::HashMap;
use std::sync::Arc;

/// File name of the points table.
pub const POINTS_FILE: &str = "points.parquet";

/// Writes `OUT/points.parquet`: `point` (int32) and one column per swept
/// path, named by the path (`inputs.exc.rate_hz`). Integer columns are
/// int64, real ones float64 (integers mixed with reals become float64),
/// strings utf8, booleans bool. Without a sweep: one row, point 0.
pub fn write_points(dir: &RunDir, plan: &Plan, meta: &str) -> Result<(), StoreError> {
    let path = dir.root().join(POINTS_FILE);
    let mut fields = vec![Field::new("point", DataType::Int32, false)];
    let mut cols: Vec<ArrayRef> = vec![Arc::new(
        plan.points
            .iter()
            .map(|p| p.index as i32)
            .collect::<Int32Array>(),
    )];
    let n_axes = plan.points.first().map_or(0, |p| p.values.len());
    for axis in 0..n_axes {
        let name = plan.points[0].values[axis].0.clone();
        let values: Vec<&toml::Value> = plan.points.iter().map(|p| &p.values[axis].1).collect();
        let (dtype, col): (DataType, ArrayRef) = if values.iter().all(|v| v.is_integer()) {
            (
                DataType::Int64,
                Arc::new(
                    values
                        .iter()
                        .map(|v| v.as_integer())
                        .collect::<Int64Array>(),
                ),
            )
        } else if values.iter().all(|v| v.is_integer() || v.is_float()) {
            let f = |v: &toml::Value| v.as_float().or(v.as_integer().map(|i| i as f64));
            (
                DataType::Float64,
                Arc::new(values.iter().map(|v| f(v)).collect::<Float64Array>()),
            )
        } else if values.iter().all(|v| v.is_bool()) {
            (
                DataType::Boolean,
                Arc::new(values.iter().map(|v| v.as_bool()).collect::<BooleanArray>()),
            )
        } else {
            let s = |v: &toml::Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
            (
                DataType::Utf8,
                Arc::new(values.iter().map(|v| Some(s(v))).collect::<StringArray>()),
            )
        };
        fields.push(Field::new(name, dtype, true));
        cols.push(col);
    }
    let mut m = HashMap::new();
    m.insert(META_KEY.to_string(), meta.to_string());
    m.insert(
        PANDAS_ATTRS_KEY.to_string(),
        format!("{{\"spikemc\": {meta}}}"),
    );
    let schema = Arc::new(Schema::new(fields).with_metadata(m));
    let batch = RecordBatch::try_new(schema, cols).map_err(|e| StoreError::format(&path, e))?;
    write_batch(&path, &batch)
}
