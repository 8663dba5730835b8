//! Arrow schemas of the run directory's tables (DESIGN.md §7): ids int32,
//! times float64 in ms, counts int32/int64, no unsigned columns.

use arrow_schema::{DataType, Field, Schema};
use std::collections::HashMap;
use std::sync::Arc;

/// Schema-metadata key holding the run's JSON metadata.
pub const META_KEY: &str = "spikemc";
/// pandas turns this key's JSON into `DataFrame.attrs`.
pub const PANDAS_ATTRS_KEY: &str = "PANDAS_ATTRS";

fn with_meta(fields: Vec<Field>, meta: &str) -> Arc<Schema> {
    let mut m = HashMap::new();
    m.insert(META_KEY.to_string(), meta.to_string());
    m.insert(
        PANDAS_ATTRS_KEY.to_string(),
        format!("{{\"spikemc\": {meta}}}"),
    );
    Arc::new(Schema::new(fields).with_metadata(m))
}

fn id(name: &str) -> Field {
    Field::new(name, DataType::Int32, false)
}

fn f64_col(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Float64, nullable)
}

/// `trials/`: one row per trial.
pub fn trials_schema(input_names: &[String], meta: &str) -> Arc<Schema> {
    let mut fields = vec![
        id("point"),
        id("trial"),
        Field::new("n_spikes", DataType::Int32, false),
        f64_col("rate_hz", false),
        f64_col("first_spike_ms", true),
        f64_col("isi_mean_ms", true),
        f64_col("isi_cv", true),
        f64_col("isi_cv2", true),
        f64_col("isi_lv", true),
    ];
    for name in input_names {
        fields.push(Field::new(input_column(name), DataType::Int64, false));
    }
    with_meta(fields, meta)
}

/// Column name of population `name`'s transmitted-event count.
pub fn input_column(name: &str) -> String {
    format!("n_input_{name}")
}

/// `spikes/`: one row per spike.
pub fn spikes_schema(meta: &str) -> Arc<Schema> {
    with_meta(vec![id("point"), id("trial"), f64_col("t_ms", false)], meta)
}

/// Trace columns after point, trial and t_ms.
pub const TRACE_COLUMNS: [&str; 8] = [
    "v_mv",
    "m",
    "h",
    "n",
    "i_na_ua_cm2",
    "i_k_ua_cm2",
    "i_l_ua_cm2",
    "i_syn_ua_cm2",
];

/// `traces/`: sampled state of recorded trials.
pub fn traces_schema(meta: &str) -> Arc<Schema> {
    let mut fields = vec![id("point"), id("trial"), f64_col("t_ms", false)];
    fields.extend(TRACE_COLUMNS.iter().map(|c| f64_col(c, false)));
    with_meta(fields, meta)
}

/// Column name of population `name`'s synaptic variable in `traces/`:
/// `g_syn_NAME_ms_cm2` (conductance synapses) or `i_syn_NAME_ua_cm2`
/// (current synapses). Delta synapses have none.
pub fn synapse_column(name: &str, conductance: bool) -> String {
    if conductance {
        format!("g_syn_{name}_ms_cm2")
    } else {
        format!("i_syn_{name}_ua_cm2")
    }
}

/// `traces/` with one extra float column per name in `extra` (the
/// synaptic variables, see [`synapse_column`]), after [`TRACE_COLUMNS`].
pub fn traces_schema_with(meta: &str, extra: &[String]) -> Arc<Schema> {
    let mut fields = vec![id("point"), id("trial"), f64_col("t_ms", false)];
    fields.extend(TRACE_COLUMNS.iter().map(|c| f64_col(c, false)));
    fields.extend(extra.iter().map(|c| f64_col(c, false)));
    with_meta(fields, meta)
}

/// `input_spikes/`: transmitted spikes of the input populations with
/// `record_sources = true`, in recorded trials only.
pub fn input_spikes_schema(meta: &str) -> Arc<Schema> {
    with_meta(
        vec![
            id("point"),
            id("trial"),
            Field::new("population", DataType::Utf8, false),
            id("source"),
            f64_col("t_ms", false),
        ],
        meta,
    )
}
