//! Bad experiment files and arguments: exit code 2 and a message naming
//! the culprit, never a panic.

use crate::harness::{Dir, small_experiment};

/// Runs `check` on the small experiment with `edit` applied to its text and
/// `extra` arguments; expects exit 2 with every `needles` in stderr.
fn refused(edit: &dyn Fn(String) -> String, extra: &[&str], needles: &[&str]) {
    let d = Dir::new();
    let exp = d.write("e.toml", &edit(small_experiment(4, 20.0)));
    let mut args = vec!["run", exp.to_str().unwrap(), "-o", "out", "-q"];
    args.extend_from_slice(extra);
    let r = d.spikemc(&args).code_is(2);
    for n in needles {
        assert!(
            r.stderr().contains(n),
            "stderr lacks {n:?}:\n{}",
            r.stderr()
        );
    }
    assert!(!d.path("out").exists(), "bad input must not create OUT");
}

#[test]
fn unknown_key_is_named() {
    refused(
        &|s| s.replace("dt_ms = 0.01", "dt_ms = 0.01\nbogus_ms = 3"),
        &[],
        &["bogus_ms"],
    );
    refused(
        &|s| s.replace("rate_hz = 10.0\np", "rate_hz = 10.0\nrate = 3\np"),
        &[],
        &["rate"],
    );
}

#[test]
fn negative_rate_is_named_with_range() {
    refused(
        &|s| s.replacen("rate_hz = 10.0", "rate_hz = -1.0", 1),
        &[],
        &["inputs.exc.rate_hz", "Hz", ">= 0"],
    );
}

#[test]
fn p_above_one_is_named_with_range() {
    refused(
        &|s| s.replacen("p_transmit = 0.5", "p_transmit = 1.5", 1),
        &[],
        &["inputs.exc.p_transmit", "[0, 1]"],
    );
}

#[test]
fn non_positive_dt_is_named() {
    refused(
        &|s| s.replace("dt_ms = 0.01", "dt_ms = 0.0"),
        &[],
        &["dt_ms", "> 0"],
    );
    refused(
        &|s| s.replace("dt_ms = 0.01", "dt_ms = -0.01"),
        &[],
        &["dt_ms"],
    );
}

#[test]
fn zero_trials_is_named() {
    refused(&|s| s, &["--trials", "0"], &["trials", "1.."]);
    refused(&|s| s.replace("trials = 4", "trials = 0"), &[], &["trials"]);
}

#[test]
fn set_on_missing_path_is_named() {
    refused(
        &|s| s,
        &["--set", "inputs.exc.bogus=1"],
        &["inputs.exc.bogus", "known here"],
    );
    refused(&|s| s, &["--set", "nosuch.key=1"], &["nosuch"]);
    refused(&|s| s, &["--set", "noequals"], &["PATH=VALUE"]);
}

#[test]
fn wrong_type_and_malformed_toml_are_reported() {
    refused(&|s| s, &["--set", "inputs.exc.rate_hz=fast"], &["rate_hz"]);
    refused(&|s| s.replace("trials = 4", "trials = [4"), &[], &["line"]);
    refused(
        &|s| s.replace("method", "x") + "\nmethod = \"leapfrog\"\n",
        &[],
        &["method"],
    );
}

#[test]
fn missing_file_is_bad_input() {
    let d = Dir::new();
    let r = d.spikemc(&["run", "nope.toml", "-o", "out"]).code_is(2);
    assert!(r.stderr().contains("nope.toml"));
    d.spikemc(&["check", "nope.toml"]).code_is(2);
    d.spikemc(&["run", "--bogus-flag"]).code_is(2);
}

#[test]
fn check_prints_the_plan() {
    let d = Dir::new();
    let exp = d.write("e.toml", &small_experiment(4, 20.0));
    let r = d.spikemc(&["check", exp.to_str().unwrap()]).ok();
    assert!(
        r.stdout().contains("4 trial(s)") && r.stdout().contains("neuron-steps"),
        "{}",
        r.stdout()
    );
}

#[test]
fn every_command_has_help() {
    let d = Dir::new();
    for cmd in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["check", "--help"],
    ] {
        let r = d.spikemc(&cmd).ok();
        assert!(r.stdout().contains("Usage"), "{cmd:?}");
    }
}

#[test]
fn check_warns_when_euler_dt_is_near_its_stability_limit() {
    let d = Dir::new();
    let exp = d.write("e.toml", &small_experiment(4, 20.0));
    let r = d
        .spikemc(&[
            "check",
            exp.to_str().unwrap(),
            "--set",
            "method=euler",
            "--set",
            "dt_ms=0.05",
        ])
        .ok();
    assert!(
        r.stdout().contains("warning") && r.stdout().contains("rush-larsen"),
        "{}",
        r.stdout()
    );
    let r = d.spikemc(&["check", exp.to_str().unwrap()]).ok();
    assert!(!r.stdout().contains("warning"), "{}", r.stdout());
}
