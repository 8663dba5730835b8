//! Tests of spikemc-analysis: one test binary, one module per subject.

#[path = "suite/accumulator.rs"]
mod accumulator;
#[path = "suite/confidence.rs"]
mod confidence;
#[path = "suite/edge_cases.rs"]
mod edge_cases;
#[path = "suite/known_answers.rs"]
mod known_answers;
#[path = "suite/synth.rs"]
mod synth;
#[path = "suite/theory.rs"]
mod theory;

/// Asserts `|actual - expected| <= tol`, printing both side by side.
#[track_caller]
pub fn assert_close(what: &str, actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "{what}\n  expected: {expected}\n  actual:   {actual}\n  |diff|:   {} > tol {tol}",
        (actual - expected).abs()
    );
}
