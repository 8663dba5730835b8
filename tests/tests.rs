//! Integration tests of the `spikemc` binary: one test binary, a tiny
//! harness (fresh temp dir per test, the real binary, real files, real
//! pandas/pyarrow/polars/DuckDB through `SPIKEMC_PYTHON`).

mod harness;

mod analysis;
mod bad_inputs;
mod cli_errors;
mod models;
mod plot;
mod python;
mod run;
mod scale;
