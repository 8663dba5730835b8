//! `spikemc run`: the dataset it writes and its reproducibility.

use crate::harness::{Dir, read_table, repo, small_experiment};
use arrow_array::{Array, Int32Array};

fn column_i32(batches: &[arrow_array::RecordBatch], name: &str) -> Vec<i32> {
    batches
        .iter()
        .flat_map(|b| {
            let c = b.column_by_name(name).expect(name);
            c.as_any()
                .downcast_ref::<Int32Array>()
                .expect("int32")
                .values()
                .to_vec()
        })
        .collect()
}

#[test]
fn same_seed_gives_bit_identical_tables_for_one_and_two_threads() {
    // Streams depend only on (seed, point, trial, purpose), never on the
    // worker that ran the trial; so the part files' contents must be equal.
    let d = Dir::new();
    let exp = d.write("e.toml", &small_experiment(40, 200.0));
    let e = exp.to_str().unwrap();
    d.spikemc(&["run", e, "-o", "t1", "--threads", "1", "-q"])
        .ok();
    d.spikemc(&["run", e, "-o", "t2", "--threads", "2", "-q"])
        .ok();
    for table in ["trials", "spikes", "traces"] {
        let a = read_table(&d.path("t1"), table);
        let b = read_table(&d.path("t2"), table);
        assert_eq!(a, b, "{table} differs between --threads 1 and 2");
    }
    // And the run must have produced spikes, or the comparison is empty.
    assert!(
        read_table(&d.path("t1"), "spikes")
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>()
            > 0
    );
}

#[test]
fn trials_table_has_one_row_for_every_trial_including_silent_ones() {
    // 20 ms trials: most trials have no spike at all after the onset
    // transient is avoided by starting at rest with weak input.
    let d = Dir::new();
    let exp = d.write("e.toml", &small_experiment(50, 20.0));
    let e = exp.to_str().unwrap();
    d.spikemc(&[
        "run",
        e,
        "-o",
        "out",
        "-q",
        "--set",
        "inputs.exc.weight=0.1",
    ])
    .ok();
    let trials = read_table(&d.path("out"), "trials");
    let ids = column_i32(&trials, "trial");
    assert_eq!(ids, (0..50).collect::<Vec<_>>());
    let n_spikes = column_i32(&trials, "n_spikes");
    assert!(
        n_spikes.contains(&0),
        "expected silent trials: {n_spikes:?}"
    );
    let spikes = read_table(&d.path("out"), "spikes");
    let total: i32 = n_spikes.iter().sum();
    assert_eq!(
        total as usize,
        spikes.iter().map(|b| b.num_rows()).sum::<usize>()
    );
}

#[test]
fn as_coded_experiment_fires_only_its_onset_spike() {
    // The question's finding: with 0.01 mV jumps the neuron ignores its
    // input; only the initial-state transient fires (in every trial).
    let d = Dir::new();
    d.spikemc(&[
        "run",
        &repo("experiments/question-as-coded.toml"),
        "-o",
        "out",
        "-q",
        "--trials",
        "20",
    ])
    .ok();
    let n = column_i32(&read_table(&d.path("out"), "trials"), "n_spikes");
    assert_eq!(n, vec![1; 20]);
}

#[test]
fn existing_output_is_refused_unless_overwrite_of_a_previous_run() {
    let d = Dir::new();
    let exp = d.write("e.toml", &small_experiment(4, 20.0));
    let e = exp.to_str().unwrap();
    d.spikemc(&["run", e, "-o", "out", "-q"]).ok();
    let r = d.spikemc(&["run", e, "-o", "out", "-q"]).code_is(2);
    assert!(r.stderr().contains("already exists"), "{}", r.stderr());
    d.spikemc(&["run", e, "-o", "out", "-q", "--overwrite"])
        .ok();
    // A directory that is not a spikemc run is never deleted.
    std::fs::create_dir(d.path("precious")).unwrap();
    std::fs::write(d.path("precious/data.txt"), "keep").unwrap();
    let r = d
        .spikemc(&["run", e, "-o", "precious", "-q", "--overwrite"])
        .code_is(2);
    assert!(r.stderr().contains("not a spikemc run"), "{}", r.stderr());
    assert!(d.path("precious/data.txt").exists());
}

#[test]
fn run_json_records_the_resolved_experiment() {
    let d = Dir::new();
    let exp = d.write("e.toml", &small_experiment(4, 20.0));
    d.spikemc(&[
        "run",
        exp.to_str().unwrap(),
        "-o",
        "out",
        "-q",
        "--set",
        "inputs.exc.rate_hz=12.5",
    ])
    .ok();
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path("out/_run.json")).unwrap()).unwrap();
    assert_eq!(j["experiment"]["inputs"]["exc"]["rate_hz"], 12.5);
    assert_eq!(j["experiment"]["neuron"]["g_na"], 120.0);
    assert_eq!(j["complete"], true);
    // No temporary files are left behind.
    for sub in ["", "trials", "spikes", "traces"] {
        for e in std::fs::read_dir(d.path("out").join(sub)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".tmp"), "leftover {name}");
        }
    }
}

/// Spike times (as bits, in file order) of the rows of `spikes/` batches,
/// optionally only those of one (point, trial).
fn spike_bits(batches: &[arrow_array::RecordBatch], want: Option<(i32, i32)>) -> Vec<u64> {
    let mut out = Vec::new();
    for b in batches {
        let p = column_i32(std::slice::from_ref(b), "point");
        let t = column_i32(std::slice::from_ref(b), "trial");
        let s = b.column_by_name("t_ms").expect("t_ms");
        let s = s
            .as_any()
            .downcast_ref::<arrow_array::Float64Array>()
            .expect("float64");
        for i in 0..b.num_rows() {
            if want.is_none_or(|(wp, wt)| p[i] == wp && t[i] == wt) {
                out.push(s.value(i).to_bits());
            }
        }
    }
    out
}

#[test]
fn replay_reproduces_ensemble_trials_bit_for_bit() {
    // A trial's streams depend only on (seed, point, trial, purpose): run
    // alone, with traces on, it must give exactly the ensemble's spikes.
    let d = Dir::new();
    let exp = d.write("e.toml", &small_experiment(30, 300.0));
    let e = exp.to_str().unwrap();
    d.spikemc(&["run", e, "-o", "ens", "-q"]).ok();
    let spikes = read_table(&d.path("ens"), "spikes");
    let mut checked_spikes = 0;
    for k in [0, 5, 17, 29] {
        let out = format!("replay{k}");
        d.spikemc(&["replay", e, "--trial", &k.to_string(), "-o", &out])
            .ok();
        let expected = spike_bits(&spikes, Some((0, k)));
        assert_eq!(
            spike_bits(&read_table(&d.path(&out), "spikes"), None),
            expected,
            "trial {k}"
        );
        checked_spikes += expected.len();
        assert!(
            !read_table(&d.path(&out), "traces").is_empty(),
            "replay writes traces"
        );
    }
    assert!(
        checked_spikes > 0,
        "the replayed trials must have spikes to compare"
    );
    d.spikemc(&["replay", e, "--trial", "30", "-o", "bad"])
        .code_is(2);
    d.spikemc(&["replay", e, "--trial", "0", "--point", "1", "-o", "bad"])
        .code_is(2);
}

#[test]
fn replay_is_bit_exact_at_every_sweep_point() {
    // Points have their own streams (point is part of the key), so replay
    // must select the point's protocol and streams.
    let d = Dir::new();
    let text = small_experiment(8, 300.0) + "\n[sweep]\n\"inputs.exc.rate_hz\" = [10.0, 30.0]\n";
    let exp = d.write("sweep.toml", &text);
    let e = exp.to_str().unwrap();
    d.spikemc(&["run", e, "-o", "ens", "-q"]).ok();
    let spikes = read_table(&d.path("ens"), "spikes");
    let mut compared = 0;
    for (point, trial) in [(0, 3), (1, 3), (1, 6)] {
        let out = format!("r{point}-{trial}");
        let (p, k) = (point.to_string(), trial.to_string());
        d.spikemc(&["replay", e, "--point", &p, "--trial", &k, "-o", &out])
            .ok();
        let expected = spike_bits(&spikes, Some((point, trial)));
        let got = spike_bits(&read_table(&d.path(&out), "spikes"), None);
        assert_eq!(got, expected, "point {point} trial {trial}");
        compared += expected.len();
    }
    assert!(compared > 0, "no spikes compared");
}
