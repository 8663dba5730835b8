//! The statistics tables: `run` writes them, `analyze` reproduces them, real readers read
//! them, and they do not depend on chunking.

use crate::harness::{Dir, read_table, run_python, small_experiment};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use std::path::Path;

const TABLES: [&str; 4] = ["summary", "isi_hist", "fano", "psth"];

/// The batches of `OUT/<name>.parquet`.
fn read_file(out: &Path, name: &str) -> Vec<RecordBatch> {
    spikemc_store::read_batches(&out.join(format!("{name}.parquet")))
        .unwrap_or_else(|e| panic!("reading {name}.parquet: {e}"))
}

/// The run metadata on the Arrow schema of `OUT/<name>.parquet` (the batches of
/// `read_batches` do not carry it).
fn file_meta(out: &Path, name: &str) -> String {
    spikemc_store::file_run_meta(&out.join(format!("{name}.parquet")))
        .expect("readable")
        .unwrap_or_else(|| panic!("{name}.parquet has no spikemc metadata"))
}

fn column<'a>(batches: &'a [RecordBatch], name: &str) -> Vec<&'a dyn Array> {
    batches
        .iter()
        .map(|b| {
            b.column_by_name(name)
                .unwrap_or_else(|| panic!("no column {name}"))
                .as_ref()
        })
        .collect()
}

fn f64s(batches: &[RecordBatch], name: &str) -> Vec<f64> {
    column(batches, name)
        .into_iter()
        .flat_map(|c| c.as_primitive::<Float64Type>().values().to_vec())
        .collect()
}

fn i64s(batches: &[RecordBatch], name: &str) -> Vec<i64> {
    column(batches, name)
        .into_iter()
        .flat_map(|c| c.as_primitive::<Int64Type>().values().to_vec())
        .collect()
}

fn i32s(batches: &[RecordBatch], name: &str) -> Vec<i32> {
    column(batches, name)
        .into_iter()
        .flat_map(|c| c.as_primitive::<Int32Type>().values().to_vec())
        .collect()
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}

/// `small_experiment` with 40 trials of 200 ms in chunks of 16 (three part files).
fn run_small(d: &Dir, out: &str, extra: &[&str]) {
    let exp = d.write("e.toml", &small_experiment(40, 200.0));
    let mut args = vec!["run", exp.to_str().unwrap(), "-o", out, "-q"];
    args.extend_from_slice(extra);
    d.spikemc(&args).ok();
}

#[test]
fn analyze_reproduces_the_tables_that_run_wrote() {
    // One code path: `run` computes its tables by reading back its own part files, so
    // `analyze` on the same directory must give the same content and metadata.
    let d = Dir::new();
    run_small(&d, "out", &[]);
    let out = d.path("out");
    let written: Vec<_> = TABLES.iter().map(|t| read_file(&out, t)).collect();
    let metas: Vec<_> = TABLES.iter().map(|t| file_meta(&out, t)).collect();
    // The statistics tables carry exactly the metadata of the run's other tables.
    let trials_part = &spikemc_store::RunDir::open(&out)
        .unwrap()
        .parts("trials")
        .unwrap()[0];
    let trials_meta = spikemc_store::file_run_meta(trials_part).unwrap().unwrap();
    assert!(metas.iter().all(|m| *m == trials_meta));
    assert!(rows(&written[0]) == 1 && rows(&written[3]) > 0);
    assert!(
        i64s(&written[0], "n_spikes_total")[0] > 0,
        "the run must have spikes, or the comparison is empty"
    );
    for t in TABLES {
        std::fs::remove_file(out.join(format!("{t}.parquet"))).unwrap();
    }
    let r = d.spikemc(&["analyze", "out"]).ok();
    assert!(r.stdout().contains("point 0: 40 trials"), "{}", r.stdout());
    // Analysing again replaces the tables with identical ones.
    for pass in ["analyze", "re-analyze"] {
        for ((t, before), meta) in TABLES.iter().zip(&written).zip(&metas) {
            assert_eq!(
                &read_file(&out, t),
                before,
                "{t}.parquet differs after {pass}"
            );
            assert_eq!(
                &file_meta(&out, t),
                meta,
                "{t}.parquet metadata after {pass}"
            );
        }
        if pass == "analyze" {
            d.spikemc(&["analyze", "out"]).ok();
        }
    }
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("_run.json")).unwrap()).unwrap();
    assert_eq!(j["analysis"]["by"], "spikemc analyze");
    assert!(j["timings"]["analyze_s"].as_f64().unwrap() >= 0.0);
    assert!(j["timings"]["simulate_s"].as_f64().unwrap() > 0.0);
    // Kept through `analyze`: the copy of the lanes engine this host runs.
    assert_eq!(
        j["timings"]["instruction_set"],
        spikemc_core::lanes::Isa::detect().name()
    );
}

#[test]
fn every_table_is_read_by_pandas_pyarrow_polars_and_duckdb_with_its_types_and_metadata() {
    let d = Dir::new();
    run_small(&d, "OUT", &["--set", "record.trials=[0]"]);
    let code = r#"
import sys, json
import pandas as pd, pyarrow as pa, pyarrow.dataset as ds, polars as pl, duckdb
out = sys.argv[1]
ids = {"point", "trial"}
i32 = {"n_spikes"}
i64 = {"n_trials", "n_trials_silent", "n_spikes_total", "count", "n_windows", "n_counts",
       "n_input_exc", "n_input_inh"}
tables = {t: (f"{out}/{t}.parquet", f"{out}/{t}.parquet") for t in ["summary", "isi_hist", "fano", "psth", "points"]}
tables.update({t: (f"{out}/{t}", f"{out}/{t}/*.parquet") for t in ["trials", "spikes", "traces"]})
def kind(name):
    return "int32" if name in ids or name in i32 else "int64" if name in i64 else "float64"
for name, (path, glob) in tables.items():
    # pyarrow.dataset: Arrow types and the schema metadata.
    t = ds.dataset(path, format="parquet").to_table()
    assert t.num_rows > 0, name
    assert t.schema.names[0] == "point", (name, t.schema.names)
    meta = json.loads(t.schema.metadata[b"spikemc"])
    assert meta["experiment"]["name"] == "small", (name, meta)
    assert meta["experiment"]["analysis"]["psth_bin_ms"] == 10.0, name
    for f in t.schema:
        assert not pa.types.is_unsigned_integer(f.type), (name, f)
        assert str(f.type) == {"int32": "int32", "int64": "int64", "float64": "double"}[kind(f.name)], (name, f)
    # pandas: dtypes and DataFrame.attrs.
    df = pd.read_parquet(path)
    assert len(df) == t.num_rows, name
    assert df.attrs["spikemc"]["experiment"]["name"] == "small", name
    for c in df.columns:
        assert str(df[c].dtype) == kind(c), (name, c, df[c].dtype)
    # polars.
    p = pl.read_parquet(glob)
    assert p.height == t.num_rows, name
    want = {"int32": pl.Int32, "int64": pl.Int64, "float64": pl.Float64}
    for c, dt in p.schema.items():
        assert dt == want[kind(c)], (name, c, dt)
    # DuckDB.
    rel = duckdb.sql(f"select * from read_parquet('{glob}')")
    n = duckdb.sql(f"select count(*) from read_parquet('{glob}')").fetchall()[0][0]
    assert n == t.num_rows, name
    want = {"int32": "INTEGER", "int64": "BIGINT", "float64": "DOUBLE"}
    for c, dt in zip(rel.columns, rel.dtypes):
        assert str(dt) == want[kind(c)], (name, c, dt)
# Cross-table consistency seen from pandas: one summary row per point, counts agree.
s = pd.read_parquet(out + "/summary.parquet")
trials = pd.read_parquet(out + "/trials")
assert int(s.n_trials[0]) == len(trials) == 40
h = pd.read_parquet(out + "/isi_hist.parquet")
assert h.bin_right_ms.iloc[-1] == float("inf")
print("ok")
"#;
    let printed = run_python(code, &[d.path("OUT").to_str().unwrap()]);
    assert_eq!(printed.trim(), "ok");
}

#[test]
fn summary_counts_every_trial_including_silent_ones() {
    // Weak excitation and 20 ms trials: many trials never fire and have no row in
    // spikes/. They must still count in n_trials, the rate and the Fano factor, whose
    // counts come from trials/ (DESIGN.md §7).
    let d = Dir::new();
    let exp = d.write("e.toml", &small_experiment(50, 20.0));
    d.spikemc(&[
        "run",
        exp.to_str().unwrap(),
        "-o",
        "out",
        "-q",
        "--set",
        "inputs.exc.weight=0.1",
    ])
    .ok();
    let out = d.path("out");
    let trials = read_table(&out, "trials");
    let counts: Vec<i32> = i32s(&trials, "n_spikes");
    let silent = counts.iter().filter(|&&c| c == 0).count() as i64;
    assert!(silent > 0, "expected silent trials: {counts:?}");
    assert!(silent < 50, "expected some spikes: {counts:?}");

    let s = read_file(&out, "summary");
    assert_eq!(i64s(&s, "n_trials"), [rows(&trials) as i64]);
    assert_eq!(i64s(&s, "n_trials_silent"), [silent]);
    let total: i64 = counts.iter().map(|&c| c as i64).sum();
    assert_eq!(i64s(&s, "n_spikes_total"), [total]);
    // Without a transient the main window is the whole trial: one count per trial, the
    // silent trials' zeros included. The library sums exactly in integers; this
    // two-pass f64 variance of 50 small counts is off by a few ulps at most, far below
    // the 1e-12 relative tolerance.
    let n = counts.len() as f64;
    let mean = total as f64 / n;
    let var = counts
        .iter()
        .map(|&c| (c as f64 - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    let fano = f64s(&s, "fano_main")[0];
    assert!(
        (fano - var / mean).abs() <= 1e-12 * fano.abs(),
        "fano_main {fano} vs {} from trials/",
        var / mean
    );
    let rate = f64s(&s, "rate_mean_hz")[0];
    assert!(
        (rate - mean * 50.0).abs() <= 1e-12 * rate,
        "rate {rate} vs {}",
        mean * 50.0
    );
    let fano_table = read_file(&out, "fano");
    assert!(i64s(&fano_table, "n_trials").iter().all(|&k| k == 50));
}

#[test]
fn analyze_set_changes_only_the_analysis_and_rejects_other_keys() {
    let d = Dir::new();
    run_small(&d, "out", &[]);
    let out = d.path("out");
    assert_eq!(
        f64s(&read_file(&out, "fano"), "window_ms"),
        [10.0, 20.0, 50.0, 100.0, 200.0]
    );

    d.spikemc(&["analyze", "out", "--set", "analysis.fano_windows_ms=[5,10]"])
        .ok();
    let fano = read_file(&out, "fano");
    assert_eq!(f64s(&fano, "window_ms"), [5.0, 10.0]);
    assert_eq!(i64s(&fano, "n_windows"), [40, 20]);
    assert_eq!(i64s(&fano, "n_counts"), [40 * 40, 40 * 20]);
    // The tables record the settings they were computed with.
    let meta: serde_json::Value = serde_json::from_str(&file_meta(&out, "fano")).unwrap();
    assert_eq!(
        meta["experiment"]["analysis"]["fano_windows_ms"],
        serde_json::json!([5.0, 10.0])
    );
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("_run.json")).unwrap()).unwrap();
    assert_eq!(
        j["analysis"]["settings"]["fano_windows_ms"],
        serde_json::json!([5.0, 10.0])
    );
    // The experiment itself is untouched.
    assert_eq!(
        j["experiment"]["analysis"]["fano_windows_ms"],
        serde_json::json!([10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0])
    );

    // Anything but analysis.* describes the simulation, which analyze cannot redo.
    let r = d
        .spikemc(&["analyze", "out", "--set", "inputs.exc.rate_hz=20"])
        .code_is(2);
    assert!(r.stderr().contains("analysis.*"), "{}", r.stderr());
    assert_eq!(f64s(&read_file(&out, "fano"), "window_ms"), [5.0, 10.0]);

    // A bad analysis value names its key.
    let r = d
        .spikemc(&["analyze", "out", "--set", "analysis.transient_ms=200"])
        .code_is(2);
    assert!(
        r.stderr().contains("analysis.transient_ms"),
        "{}",
        r.stderr()
    );
    let r = d
        .spikemc(&["analyze", "out", "--set", "analysis.bogus=1"])
        .code_is(2);
    assert!(r.stderr().contains("bogus"), "{}", r.stderr());

    // Not a run directory.
    std::fs::create_dir(d.path("empty")).unwrap();
    let r = d.spikemc(&["analyze", "empty"]).code_is(2);
    assert!(r.stderr().contains("not a spikemc run"), "{}", r.stderr());
    d.spikemc(&["analyze", "missing"]).code_is(2);
}

#[test]
fn transient_longer_than_the_trial_is_rejected_at_plan_time() {
    // validate_span runs per point when the plan is made, so `run` and `check` fail
    // with exit 2 before simulating anything.
    let d = Dir::new();
    let exp = d.write("e.toml", &small_experiment(4, 50.0));
    let e = exp.to_str().unwrap();
    for cmd in ["check", "run"] {
        let r = d
            .spikemc(&[cmd, e, "--set", "analysis.transient_ms=50"])
            .code_is(2);
        assert!(
            r.stderr().contains("analysis.transient_ms"),
            "{}",
            r.stderr()
        );
    }
    // A sweep of the trial length checks every point.
    let swept = format!(
        "{}\n[sweep]\nduration_ms = [50.0, 20.0]\n",
        small_experiment(4, 50.0)
    );
    let exp = d.write("sweep.toml", &swept);
    let r = d
        .spikemc(&[
            "check",
            exp.to_str().unwrap(),
            "--set",
            "analysis.transient_ms=30",
        ])
        .code_is(2);
    assert!(r.stderr().contains("sweep point 1"), "{}", r.stderr());
    assert!(!d.path("out").exists());
}

#[test]
fn analysis_tables_do_not_depend_on_chunking() {
    // Counts are exact integer sums and the floating per-trial values are reduced in
    // trial-id order, so 7-trial and 1000-trial chunks give identical tables. Only the
    // metadata differs (it records run.chunk_trials), so compare columns.
    let d = Dir::new();
    run_small(&d, "c7", &["--set", "run.chunk_trials=7"]);
    run_small(&d, "c1000", &["--set", "run.chunk_trials=1000"]);
    assert_eq!(
        spikemc_store::RunDir::open(&d.path("c7"))
            .unwrap()
            .parts("trials")
            .unwrap()
            .len(),
        6
    );
    for t in TABLES {
        let a = read_file(&d.path("c7"), t);
        let b = read_file(&d.path("c1000"), t);
        let cols = |x: &[RecordBatch]| -> Vec<_> {
            x.iter()
                .map(|b| (b.schema().fields().clone(), b.columns().to_vec()))
                .collect()
        };
        assert_eq!(cols(&a), cols(&b), "{t}.parquet depends on chunk_trials");
    }
}

#[test]
fn analyze_skips_unfinished_chunks_and_refuses_lost_spikes() {
    // The sink writes a chunk's trials/ part last, so a spikes/ part alone is an
    // unfinished chunk: it is skipped (with a warning that trials are missing). A trials/
    // part without its spikes/ partner would make its trials look silent: refused.
    let d = Dir::new();
    run_small(&d, "out", &[]);
    let dir = spikemc_store::RunDir::open(&d.path("out")).unwrap();
    let trials = dir.parts("trials").unwrap();
    assert_eq!(trials.len(), 3, "chunks of 16, 16 and 8 trials");
    std::fs::remove_file(&trials[2]).unwrap();
    let r = d.spikemc(&["analyze", "out"]).ok();
    assert!(r.stderr().contains("32 of 40 trials"), "{}", r.stderr());
    assert_eq!(
        i64s(&read_file(&d.path("out"), "summary"), "n_trials"),
        [32]
    );

    std::fs::remove_file(&dir.parts("spikes").unwrap()[0]).unwrap();
    let r = d.spikemc(&["analyze", "out"]).code_is(1);
    assert!(r.stderr().contains("spikes are lost"), "{}", r.stderr());
}
