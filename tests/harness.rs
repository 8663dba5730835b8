//! The harness: a temp dir, the binary, and readers for outputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh temporary directory for one test (removed on drop).
pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Self {
        Self {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// Writes a file into the temp dir and returns its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::write(&p, text).expect("write");
        p
    }

    /// Runs spikemc with `args` in this directory.
    pub fn spikemc(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_spikemc"))
            .args(args)
            .current_dir(self.tmp.path())
            .output()
            .expect("spawn spikemc");
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            out,
        }
    }
}

/// A finished command.
pub struct Run {
    pub args: Vec<String>,
    pub out: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    /// Asserts exit code 0, printing both streams otherwise.
    pub fn ok(self) -> Self {
        self.code_is(0)
    }

    /// Asserts the exit code, printing expected and actual side by side.
    pub fn code_is(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            code,
            "spikemc {:?}: expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.args,
            self.code(),
            self.stdout(),
            self.stderr()
        );
        assert!(
            !self.stderr().contains("panicked"),
            "panic: {}",
            self.stderr()
        );
        self
    }
}

/// The repository root (for experiments/).
pub fn repo(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

/// A small, fast experiment (HH + 80/20 inputs) as TOML text.
pub fn small_experiment(trials: u32, duration_ms: f64) -> String {
    format!(
        r#"
name = "small"
duration_ms = {duration_ms}
dt_ms = 0.01
trials = {trials}
seed = 7

[inputs.exc]
count = 80
rate_hz = 10.0
p_transmit = 0.5
weight = 1.0

[inputs.inh]
count = 20
rate_hz = 10.0
p_transmit = 0.5
weight = -4.0

[run]
chunk_trials = 16
"#
    )
}

/// All rows of every part file of `OUT/table`, concatenated in file order.
pub fn read_table(out: &Path, table: &str) -> Vec<arrow_array::RecordBatch> {
    let dir = spikemc_store::RunDir::open(out).expect("run dir");
    dir.parts(table)
        .expect("parts")
        .iter()
        .flat_map(|p| spikemc_store::read_batches(p).expect("read part"))
        .collect()
}

/// The interpreter with pandas, pyarrow, polars and duckdb (set up by
/// scripts/test). Missing it is a failure, not a skip: these tests are the
/// proof that real readers read our files.
pub fn python() -> String {
    match std::env::var("SPIKEMC_PYTHON") {
        Ok(p) => p,
        Err(_) => {
            let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
            assert!(
                venv.exists(),
                "no Python with pandas/pyarrow: run the test suite with scripts/test (it creates .venv)"
            );
            venv.display().to_string()
        }
    }
}

/// Runs a Python snippet with `args`; asserts success and returns stdout.
pub fn run_python(code: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("spawn python");
    assert!(
        out.status.success(),
        "python failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
