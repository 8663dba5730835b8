//! Real readers read our files: pandas, pyarrow.dataset, polars, DuckDB.

use crate::harness::{Dir, repo, run_python};

#[test]
fn pandas_reads_spikes_and_trials_of_the_question_experiment() {
    // Exactly the README's claim, on the shipped experiment (fewer trials).
    let d = Dir::new();
    d.spikemc(&[
        "run",
        &repo("experiments/question-as-meant.toml"),
        "-o",
        "OUT",
        "-q",
        "--trials",
        "24",
    ])
    .ok();
    let out = d.path("OUT");
    let code = r#"
import sys, json
import pandas as pd
out = sys.argv[1]
spikes = pd.read_parquet(out + "/spikes")
trials = pd.read_parquet(out + "/trials")
assert len(trials) == 24, len(trials)
assert sorted(trials.trial) == list(range(24))
assert str(trials.trial.dtype) == "int32" and str(trials.point.dtype) == "int32"
assert str(spikes.t_ms.dtype) == "float64"
assert int(trials.n_spikes.sum()) == len(spikes)
assert not any(str(t).startswith("uint") for t in trials.dtypes)
meta = trials.attrs["spikemc"]
assert meta["experiment"]["name"] == "question-as-meant", meta
traces = pd.read_parquet(out + "/traces")
assert set(traces.trial) == {0}
print(len(spikes), round(trials.rate_hz.mean(), 3))
"#;
    let printed = run_python(code, &[out.to_str().unwrap()]);
    assert!(!printed.trim().is_empty());
}

#[test]
fn pyarrow_polars_and_duckdb_read_the_datasets() {
    let d = Dir::new();
    d.spikemc(&[
        "run",
        &repo("experiments/question-as-meant.toml"),
        "-o",
        "OUT",
        "-q",
        "--trials",
        "8",
        "--set",
        "duration_ms=200",
    ])
    .ok();
    let code = r#"
import sys, json
import pyarrow.dataset as ds, polars as pl, duckdb
out = sys.argv[1]
t = ds.dataset(out + "/trials", format="parquet").to_table()
assert t.schema.field("trial").type == "int32"
meta = json.loads(t.schema.metadata[b"spikemc"])
assert meta["experiment"]["trials"] == 8
p = pl.read_parquet(out + "/spikes/*.parquet")
assert p.schema["t_ms"] == pl.Float64
n = duckdb.sql(f"select count(*) from read_parquet('{out}/trials/*.parquet')").fetchall()[0][0]
assert n == 8, n
"#;
    run_python(code, &[d.path("OUT").to_str().unwrap()]);
}
