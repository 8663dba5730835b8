//! The bad-input corpus: every file in tests/bad-inputs/ is an experiment
//! (plus arguments) that must be refused with one clear message naming the
//! culprit, the right exit code, and no panic. Header lines:
//!
//! ```text
//! # args: --set inputs.exc.bogus=1     extra arguments to `spikemc run`
//! # expect: inputs.exc.bogus           text stderr must contain (repeatable)
//! # exit: 2                            expected exit code (default 2)
//! ```
//!
//! Fixtures: `-o existing` names a directory that exists; `-o previous`
//! names a complete run of the unmodified base experiment; `afile` is a
//! regular file, so `-o afile/out` cannot be created (even by root).

use crate::harness::Dir;
use std::path::Path;

const BASE: &str = r#"name = "bad"
duration_ms = 50.0
dt_ms = 0.01
trials = 4
[inputs.exc]
count = 80
rate_hz = 10.0
p_transmit = 0.5
weight = 1.0
"#;

fn check_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).unwrap();
    let header = |key: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| {
                l.strip_prefix(&format!("# {key}:"))
                    .map(|v| v.trim().to_string())
            })
            .collect()
    };
    let extra: Vec<String> = header("args")
        .iter()
        .flat_map(|a| a.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect();
    let needles = header("expect");
    let code: i32 = header("exit").first().map_or(2, |c| c.parse().unwrap());
    let d = Dir::new();
    std::fs::create_dir(d.path("existing")).unwrap();
    std::fs::write(d.path("afile"), "a file where a directory is needed").unwrap();
    let base = d.write("base.toml", BASE);
    d.spikemc(&["run", base.to_str().unwrap(), "-o", "previous", "-q"])
        .ok();
    let file = d.write("case.toml", &text);
    let mut args: Vec<String> = vec!["run".into(), file.display().to_string(), "-q".into()];
    if !extra.iter().any(|a| a == "-o") {
        args.extend(["-o".into(), "out".into()]);
    }
    args.extend(extra);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = d.spikemc(&argv);
    let stderr = r.stderr();
    if r.code() != code {
        return Err(format!("exit {} (expected {code})\n{stderr}", r.code()));
    }
    if stderr.contains("panicked") || r.stdout().contains("panicked") {
        return Err(format!("panicked:\n{stderr}"));
    }
    for n in &needles {
        if !stderr.contains(n.as_str()) {
            return Err(format!("stderr lacks {n:?}:\n{stderr}"));
        }
    }
    // One message, and no part of it repeated (an error chain printed twice).
    let first_line = stderr.lines().next().unwrap_or("");
    let parts: Vec<&str> = first_line.split(": ").collect();
    if parts.windows(2).any(|w| w[0] == w[1])
        || parts.iter().filter(|p| p.contains("os error")).count() > 1
    {
        return Err(format!("a repeated message:\n{stderr}"));
    }
    if stderr.matches("error:").count() != 1 {
        return Err(format!("expected exactly one error message:\n{stderr}"));
    }
    if code == 2 && d.path("out/trials").exists() && !needles.iter().any(|n| n == "rush-larsen") {
        return Err("bad input created OUT".into());
    }
    Ok(())
}

#[test]
fn every_bad_input_is_refused_with_a_message_naming_the_culprit() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-inputs");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 30,
        "the corpus must hold at least 30 cases, has {}",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            check_case(c)
                .err()
                .map(|e| format!("{}: {e}", c.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
