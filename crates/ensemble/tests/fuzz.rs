//! Property-based fuzzing of the experiment parser and `--set`: whatever
//! the text, reading it gives a plan or an error — never a panic, never a
//! runaway allocation. `fuzz_for_two_minutes` (ignored by default) is what
//! CI runs for a bounded time through scripts/test.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use spikemc_ensemble::{Assignment, Plan};
use std::time::{Duration, Instant};

const BASE: &str = r#"name = "fuzz"
duration_ms = 20.0
dt_ms = 0.01
trials = 3
[inputs.exc]
count = 80
rate_hz = 10.0
p_transmit = 0.5
weight = 1.0
[inputs.inh]
count = 20
rate_hz = 10.0
weight = -4.0
[record]
trials = [0]
"#;

/// Paths worth hitting (valid ones, near misses and junk).
const PATHS: &[&str] = &[
    "duration_ms",
    "dt_ms",
    "trials",
    "seed",
    "method",
    "name",
    "common_random_numbers",
    "neuron.c_m",
    "neuron.g_na",
    "neuron.model",
    "neuron.i_app",
    "inputs.exc.count",
    "inputs.exc.rate_hz",
    "inputs.exc.p_transmit",
    "inputs.exc.weight",
    "inputs.inh.count",
    "initial.v_mv",
    "initial.m",
    "initial.h",
    "detect.threshold_mv",
    "detect.rearm_mv",
    "record.trials",
    "record.interval_ms",
    "analysis.transient_ms",
    "analysis.isi_bin_ms",
    "analysis.isi_max_ms",
    "analysis.fano_windows_ms",
    "analysis.psth_bin_ms",
    "analysis.confidence",
    "analysis.main_window_ms",
    "run.chunk_trials",
    "sweep",
    "synapse.kind",
    "synapse.tau_exc_ms",
    "synapse.e_inh_mv",
    "timing",
    "method_options.rtol",
    "method_options.h_max_ms",
    "inputs.exc.process",
    "inputs.exc.shape",
    "inputs.exc.correlation",
    "inputs.exc.amplitude_hz",
    "inputs.exc.profile_times_ms",
    "neuron.model",
    "inputs",
    "inputs.exc",
    "inputs.nosuch.rate_hz",
    "x.y.z",
    "",
];

/// TOML values worth trying, including the nasty ones.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("-0.0".to_string()),
        Just("9223372036854775807".to_string()),
        Just("-9223372036854775808".to_string()),
        Just("1e308".to_string()),
        Just("5e-324".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("\"rk4\"".to_string()),
        Just("true".to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:?}")),
        (-1e7f64..1e7).prop_map(|v| format!("{v:?}")),
        (0u32..5000).prop_map(|v| v.to_string()),
        proptest::collection::vec(-100i64..2000, 0..4).prop_map(|v| format!("{v:?}")),
        "[a-z\\-\\[\\]=\"., 0-9]{0,12}",
    ]
}

fn must_not_panic(text: &str, sets: &[Assignment]) -> Result<(), TestCaseError> {
    let r =
        std::panic::catch_unwind(|| Plan::from_toml(text, "fuzz", sets).map(|p| p.chunks.len()));
    prop_assert!(r.is_ok(), "panicked on:\n{text}\nsets {sets:?}");
    Ok(())
}

fn assignment_case(path: usize, value: &str) -> Result<(), TestCaseError> {
    let text = format!("{}={}", PATHS[path % PATHS.len()], value);
    let r = std::panic::catch_unwind(|| Assignment::parse(&text));
    prop_assert!(r.is_ok(), "Assignment::parse panicked on {text:?}");
    if let Ok(Ok(a)) = r {
        must_not_panic(BASE, &[a])?;
    }
    Ok(())
}

fn file_case(path: usize, value: &str) -> Result<(), TestCaseError> {
    // Replace (or add) one key's value in the file text itself.
    let key = PATHS[path % PATHS.len()];
    let leaf = key.rsplit('.').next().unwrap_or("");
    let mut text = String::new();
    let mut replaced = false;
    for line in BASE.lines() {
        if !replaced && !leaf.is_empty() && line.starts_with(&format!("{leaf} =")) {
            text.push_str(&format!("{leaf} = {value}\n"));
            replaced = true;
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    if !replaced {
        text = format!("{leaf} = {value}\n{text}");
    }
    must_not_panic(&text, &[])
}

proptest! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        must_not_panic(&text, &[])?;
    }

    #[test]
    fn arbitrary_set_never_panics(path in 0usize..64, v in value()) {
        assignment_case(path, &v)?;
    }

    #[test]
    fn arbitrary_value_in_file_never_panics(path in 0usize..64, v in value()) {
        file_case(path, &v)?;
    }
}

/// The CI fuzz run: all three properties, round-robin, for at least two
/// minutes (`SPIKEMC_FUZZ_SECONDS` overrides).
#[test]
#[ignore = "long-running; scripts/test runs it with --ignored"]
fn fuzz_for_two_minutes() {
    let seconds: u64 = std::env::var("SPIKEMC_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    // A fresh runner for every run: a `TestRunner` counts its successes
    // across runs, so one runner reused would stop generating cases after
    // its first 512 (every later `run` returns at once).
    let config = Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    };
    let runner = || TestRunner::new(config.clone());
    let mut rounds = 0u64;
    while Instant::now() < deadline {
        runner()
            .run(&"\\PC{0,300}", |text| must_not_panic(&text, &[]))
            .unwrap();
        runner()
            .run(&(0usize..64, value()), |(p, v)| assignment_case(p, &v))
            .unwrap();
        runner()
            .run(&(0usize..64, value()), |(p, v)| file_case(p, &v))
            .unwrap();
        rounds += 1;
    }
    eprintln!("fuzzed {} cases in {seconds} s", rounds * 3 * 512);
}
