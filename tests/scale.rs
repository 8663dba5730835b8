//! Reproducible at any scale: chunk sizes, shards, kill + resume, sweeps,
//! and a real Slurm job array. Trial results depend only on (experiment,
//! seed, point, trial), so every way of cutting the work up must give the
//! same rows.

use crate::harness::{Dir, read_table, small_experiment};
use arrow_array::RecordBatch;
use std::path::Path;
use std::process::Command;

/// All rows of `table` as (point, trial, rest-of-row) sorted by point and
/// trial (and t_ms for spikes), compared by bits: part files may be cut
/// differently, their content may not.
fn rows(out: &Path, table: &str) -> Vec<Vec<u64>> {
    use arrow_array::{Array, Float64Array, Int32Array, Int64Array};
    let mut rows = Vec::new();
    for b in read_table(out, table) {
        for i in 0..b.num_rows() {
            let mut row = Vec::with_capacity(b.num_columns());
            for c in b.columns() {
                let any = c.as_any();
                let v = if let Some(a) = any.downcast_ref::<Int32Array>() {
                    a.value(i) as u64
                } else if let Some(a) = any.downcast_ref::<Int64Array>() {
                    a.value(i) as u64
                } else if let Some(a) = any.downcast_ref::<Float64Array>() {
                    if a.is_null(i) {
                        u64::MAX
                    } else {
                        a.value(i).to_bits()
                    }
                } else {
                    panic!("unexpected column type {:?}", c.data_type())
                };
                row.push(v);
            }
            rows.push(row);
        }
    }
    rows.sort();
    rows
}

/// The same rows in trials/, spikes/ and traces/, and the same statistics
/// tables (bit for bit).
fn assert_same_dataset(a: &Path, b: &Path) {
    for table in ["trials", "spikes", "traces"] {
        let (x, y) = (rows(a, table), rows(b, table));
        assert!(
            !x.is_empty() || table == "traces",
            "{table} is empty in {}",
            a.display()
        );
        assert!(
            x == y,
            "{table} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    assert!(
        analysis_tables(a) == analysis_tables(b),
        "statistics tables differ between {} and {}",
        a.display(),
        b.display()
    );
}

fn analysis_tables(out: &Path) -> Vec<Vec<RecordBatch>> {
    ["summary", "isi_hist", "fano", "psth"]
        .iter()
        .map(|t| spikemc_store::read_batches(&out.join(format!("{t}.parquet"))).expect(t))
        .collect()
}

fn experiment(d: &Dir, trials: u32, chunk: u32) -> String {
    let text = small_experiment(trials, 200.0)
        .replace("chunk_trials = 16", &format!("chunk_trials = {chunk}"))
        + "\n[record]\ntrials = [0, 5]\n";
    d.write(&format!("e{trials}-{chunk}.toml"), &text)
        .display()
        .to_string()
}

#[test]
fn two_chunk_sizes_give_identical_datasets() {
    let d = Dir::new();
    // Same experiment except run.chunk_trials (which never changes results).
    let e = experiment(&d, 60, 7);
    d.spikemc(&["run", &e, "-o", "a", "-q"]).ok();
    d.spikemc(&["run", &e, "-o", "b", "-q", "--set", "run.chunk_trials=1000"])
        .ok();
    assert_same_dataset(&d.path("a"), &d.path("b"));
}

#[test]
fn three_concurrent_shards_plus_analyze_equal_one_run() {
    let d = Dir::new();
    let e = experiment(&d, 60, 7);
    d.spikemc(&["run", &e, "-o", "one", "-q"]).ok();
    // Three processes at once into one OUT: whichever comes first creates it.
    let children: Vec<_> = (0..3)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_spikemc"))
                .args([
                    "run",
                    &e,
                    "-o",
                    "sharded",
                    "-q",
                    "--threads",
                    "1",
                    "--shard",
                    &format!("{i}/3"),
                ])
                .current_dir(d.tmp.path())
                .output()
                .expect("spawn shard")
        })
        .collect();
    for (i, c) in children.iter().enumerate() {
        assert!(
            c.status.success(),
            "shard {i}: {}",
            String::from_utf8_lossy(&c.stderr)
        );
    }
    d.spikemc(&["analyze", "sharded"]).ok();
    assert_same_dataset(&d.path("one"), &d.path("sharded"));
}

#[test]
fn incomplete_shard_set_names_the_missing_chunks() {
    let d = Dir::new();
    let e = experiment(&d, 60, 7); // 9 chunks: shard 1/3 runs chunks 1, 4, 7
    d.spikemc(&["run", &e, "-o", "part", "-q", "--shard", "0/3"])
        .ok();
    d.spikemc(&["run", &e, "-o", "part", "-q", "--shard", "2/3"])
        .ok();
    let r = d.spikemc(&["analyze", "part"]).ok();
    assert!(
        r.stderr().contains("missing") && r.stderr().contains("1, 4, 7"),
        "{}",
        r.stderr()
    );
}

#[test]
fn shard_of_a_different_experiment_is_refused() {
    let d = Dir::new();
    let e = experiment(&d, 60, 7);
    d.spikemc(&["run", &e, "-o", "out", "-q", "--shard", "0/2"])
        .ok();
    let r = d
        .spikemc(&[
            "run",
            &e,
            "-o",
            "out",
            "-q",
            "--shard",
            "1/2",
            "--set",
            "inputs.exc.rate_hz=11",
        ])
        .code_is(2);
    assert!(r.stderr().contains("inputs.exc.rate_hz"), "{}", r.stderr());
    for bad in ["3/3", "1", "a/b", "0/0"] {
        d.spikemc(&["run", &e, "-o", "x", "-q", "--shard", bad])
            .code_is(2);
    }
}

#[test]
fn run_killed_with_sigkill_then_resumed_equals_uninterrupted_run() {
    let d = Dir::new();
    let e = experiment(&d, 400, 10); // 40 chunks
    d.spikemc(&["run", &e, "-o", "whole", "-q"]).ok();
    let mut child = Command::new(env!("CARGO_BIN_EXE_spikemc"))
        .args(["run", &e, "-o", "killed", "-q", "--threads", "1"])
        .current_dir(d.tmp.path())
        .spawn()
        .expect("spawn");
    // Kill it once a few chunks are on disk (but long before 40 are).
    let trials_dir = d.path("killed/trials");
    let t0 = std::time::Instant::now();
    loop {
        let n = std::fs::read_dir(&trials_dir)
            .map(|r| r.count())
            .unwrap_or(0);
        if n >= 3 || t0.elapsed().as_secs() > 120 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let done = spikemc_store::RunDir::open(&d.path("killed"))
        .unwrap()
        .complete_chunks()
        .unwrap()
        .len();
    assert!(
        done < 40,
        "the run finished before it could be killed ({done} chunks)"
    );
    // Every visible part file is complete (readable), whatever was cut off.
    for table in ["trials", "spikes", "traces"] {
        read_table(&d.path("killed"), table);
    }
    let r = d
        .spikemc(&["run", &e, "-o", "killed", "-q", "--resume"])
        .ok();
    assert!(r.stdout().contains("resum"), "{}", r.stdout());
    assert_same_dataset(&d.path("whole"), &d.path("killed"));
}

#[test]
fn resume_with_a_changed_experiment_is_refused() {
    let d = Dir::new();
    let e = experiment(&d, 20, 7);
    d.spikemc(&["run", &e, "-o", "out", "-q"]).ok();
    let r = d
        .spikemc(&[
            "run",
            &e,
            "-o",
            "out",
            "-q",
            "--resume",
            "--set",
            "dt_ms=0.02",
        ])
        .code_is(2);
    assert!(r.stderr().contains("dt_ms"), "{}", r.stderr());
    // Resuming a complete run is a no-op that says so.
    let r = d.spikemc(&["run", &e, "-o", "out", "-q", "--resume"]).ok();
    assert!(r.stdout().contains("0 chunk(s) to run"), "{}", r.stdout());
}

#[test]
fn sweep_over_input_rate_writes_points_and_per_point_summaries() {
    let d = Dir::new();
    let text =
        small_experiment(12, 200.0) + "\n[sweep]\n\"inputs.exc.rate_hz\" = [5.0, 10.0, 40.0]\n";
    let e = d.write("sweep.toml", &text);
    d.spikemc(&["run", e.to_str().unwrap(), "-o", "out", "-q"])
        .ok();
    let code = r#"
import sys, pandas as pd
out = sys.argv[1]
points = pd.read_parquet(out + "/points.parquet")
assert list(points.point) == [0, 1, 2], points
assert list(points["inputs.exc.rate_hz"]) == [5.0, 10.0, 40.0], points
summary = pd.read_parquet(out + "/summary.parquet")
assert sorted(summary.point) == [0, 1, 2]
trials = pd.read_parquet(out + "/trials")
assert len(trials) == 36
# More excitatory input means more transmitted events per trial at every point.
inputs = trials.groupby("point").n_input_exc.mean()
assert inputs[0] < inputs[1] < inputs[2], inputs
"#;
    crate::harness::run_python(code, &[d.path("out").to_str().unwrap()]);
}

/// A real 3-task Slurm job array on localhost, from the scripts `spikemc
/// slurm` writes. scripts/test starts the cluster (scripts/slurm-local) and
/// sets SLURM_CONF; SPIKEMC_TEST_SLURM=0 opts out explicitly.
#[test]
fn slurm_job_array_on_localhost_equals_single_process_run() {
    if std::env::var("SPIKEMC_TEST_SLURM").as_deref() == Ok("0") {
        eprintln!("SKIPPED: SPIKEMC_TEST_SLURM=0");
        return;
    }
    assert!(
        std::env::var("SLURM_CONF").is_ok(),
        "no Slurm: run the suite with scripts/test (it starts scripts/slurm-local), or set SPIKEMC_TEST_SLURM=0"
    );
    let d = Dir::new();
    let e = experiment(&d, 60, 7);
    d.spikemc(&["run", &e, "-o", "one", "-q"]).ok();
    d.spikemc(&[
        "slurm",
        &e,
        "--shards",
        "3",
        "-o",
        "cluster",
        "--cpus-per-task",
        "1",
    ])
    .ok();
    let submit = d.path("cluster/_slurm/submit.sh");
    let out = Command::new(&submit)
        .arg("--wait")
        .output()
        .expect("submit.sh");
    assert!(
        out.status.success(),
        "submit.sh failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_dataset(&d.path("one"), &d.path("cluster"));
    let logs: Vec<_> = std::fs::read_dir(d.path("cluster/_slurm"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        logs.iter()
            .filter(|n| n.to_string_lossy().starts_with("shard-"))
            .count()
            == 3,
        "{logs:?}"
    );
}

#[test]
fn write_failure_leaves_no_partial_file_and_resume_completes() {
    // SPIKEMC_FAULT_WRITES_OK=N makes every Parquet write after the first N
    // fail with ENOSPC once its temporary file is written (a full disk).
    let d = Dir::new();
    let e = experiment(&d, 60, 7); // 9 chunks × (spikes, traces?, trials)
    d.spikemc(&["run", &e, "-o", "whole", "-q"]).ok();
    let out = Command::new(env!("CARGO_BIN_EXE_spikemc"))
        .args(["run", &e, "-o", "full", "-q", "--threads", "1"])
        .env("SPIKEMC_FAULT_WRITES_OK", "5")
        .current_dir(d.tmp.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("No space left on device") && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    assert_eq!(
        stderr.matches("No space left").count(),
        1,
        "one message, not a repeated chain: {stderr}"
    );
    for sub in ["trials", "spikes", "traces"] {
        for entry in std::fs::read_dir(d.path("full").join(sub)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(name.starts_with("part-"), "leftover {sub}/{name}");
        }
        read_table(&d.path("full"), sub); // every visible part is complete
    }
    let done = spikemc_store::RunDir::open(&d.path("full"))
        .unwrap()
        .complete_chunks()
        .unwrap()
        .len();
    assert!(
        done < 9,
        "the failure must have stopped the run ({done} chunks complete)"
    );
    d.spikemc(&["run", &e, "-o", "full", "-q", "--resume"]).ok();
    assert_same_dataset(&d.path("whole"), &d.path("full"));
}

#[test]
fn common_random_numbers_share_input_streams_across_points() {
    // With common_random_numbers the point is left out of the stream key:
    // trial k sees the same input at every point (only i_app differs here),
    // so per-trial input counts are equal across points; without it, not.
    let d = Dir::new();
    let counts = |crn: bool, out: &str| -> Vec<Vec<u64>> {
        let text = format!("common_random_numbers = {crn}\n")
            + &small_experiment(10, 100.0)
            + "\n[sweep]\n\"neuron.i_app\" = [0.0, 3.0]\n";
        let e = d.write(&format!("{out}.toml"), &text);
        d.spikemc(&["run", e.to_str().unwrap(), "-o", out, "-q"])
            .ok();
        // rows() sorts by (point, trial, ...); the columns after the
        // per-trial statistics are n_input_exc, n_input_inh.
        let rows = rows(&d.path(out), "trials");
        let per_point = |p: u64| -> Vec<u64> {
            rows.iter()
                .filter(|r| r[0] == p)
                .flat_map(|r| r[r.len() - 2..].to_vec())
                .collect()
        };
        vec![per_point(0), per_point(1)]
    };
    let crn = counts(true, "crn");
    assert_eq!(crn[0].len(), 20);
    assert_eq!(crn[0], crn[1], "CRN: same input counts at both points");
    let ind = counts(false, "ind");
    assert_ne!(ind[0], ind[1], "independent points: different input");
}
