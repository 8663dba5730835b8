//! Analysis settings and their validation.

use crate::AnalysisError;

/// Largest number of ISI-histogram or PSTH bins a configuration may ask for.
///
/// Guards against a typo (e.g. `isi_bin_ms = 1e-9`) allocating gigabytes per sweep point.
pub const MAX_BINS: usize = 10_000_000;

/// Settings of the per-point analysis ([`PointAccumulator`](crate::PointAccumulator)).
///
/// A trial runs over `[t_start, t_stop)`; the **analysed span** is
/// `[t_start + transient_ms, t_stop)`. Rates, ISIs (histogram, CV), Fano factors and the
/// summary's spike counts use only the analysed span; the PSTH, the first-spike latency and
/// `n_trials_silent` use the whole trial (they exist to show the transient).
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisConfig {
    /// \[ms\] Initial part of every trial excluded from the stationary statistics (rate,
    /// ISIs, CV, Fano). Default `0.0`. Must be finite, `>= 0` and shorter than the trial
    /// (checked by [`validate_span`](Self::validate_span)).
    pub transient_ms: f64,
    /// \[ms\] Width of the ISI-histogram bins. Default `1.0`.
    pub isi_bin_ms: f64,
    /// \[ms\] Upper edge of the last regular ISI bin; must be an integer multiple of
    /// `isi_bin_ms`. An overflow bin `[isi_max_ms, +inf)` collects longer ISIs.
    /// Default `200.0`.
    pub isi_max_ms: f64,
    /// \[ms\] Counting windows of the Fano-factor table, strictly increasing.
    /// Default `[10, 20, 50, 100, 200, 500, 1000]`. Windows longer than the analysed span
    /// produce no row.
    pub fano_windows_ms: Vec<f64>,
    /// \[ms\] Window of the summary's Fano factor. Default `None`: the whole analysed span
    /// (one count per trial, the classic trial-to-trial Fano factor).
    pub main_window_ms: Option<f64>,
    /// \[ms\] Width of the PSTH bins. Default `10.0`.
    pub psth_bin_ms: f64,
    /// Confidence level of every interval (Garwood, Student t, χ² Fano), in `(0, 1)`.
    /// Default `0.95`.
    pub confidence: f64,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            transient_ms: 0.0,
            isi_bin_ms: 1.0,
            isi_max_ms: 200.0,
            fano_windows_ms: vec![10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0],
            main_window_ms: None,
            psth_bin_ms: 10.0,
            confidence: 0.95,
        }
    }
}

fn positive(field: &'static str, v: f64) -> Result<(), AnalysisError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(AnalysisError::invalid(
            field,
            format!("{v} ms"),
            "must be finite and > 0 ms",
        ))
    }
}

fn bins(field: &'static str, span: f64, width: f64) -> Result<(), AnalysisError> {
    let n = span / width;
    if n > MAX_BINS as f64 {
        Err(AnalysisError::invalid(
            field,
            format!("{width} ms"),
            format!("gives {n:.0} bins; at most {MAX_BINS} are allowed"),
        ))
    } else {
        Ok(())
    }
}

impl AnalysisConfig {
    /// Checks every field; the error names the field, its value and the allowed range.
    pub fn validate(&self) -> Result<(), AnalysisError> {
        let t = self.transient_ms;
        if !(t.is_finite() && t >= 0.0) {
            return Err(AnalysisError::invalid(
                "transient_ms",
                format!("{t} ms"),
                "must be finite and >= 0 ms",
            ));
        }
        positive("isi_bin_ms", self.isi_bin_ms)?;
        positive("isi_max_ms", self.isi_max_ms)?;
        let ratio = self.isi_max_ms / self.isi_bin_ms;
        if ratio < 1.0 - 1e-9 || (ratio - ratio.round()).abs() > 1e-9 * ratio {
            return Err(AnalysisError::invalid(
                "isi_max_ms",
                format!("{} ms", self.isi_max_ms),
                format!(
                    "must be a positive integer multiple of isi_bin_ms = {} ms",
                    self.isi_bin_ms
                ),
            ));
        }
        bins("isi_bin_ms", self.isi_max_ms, self.isi_bin_ms)?;
        let mut previous = 0.0;
        for (i, &w) in self.fano_windows_ms.iter().enumerate() {
            if !(w.is_finite() && w > previous) {
                return Err(AnalysisError::invalid(
                    "fano_windows_ms",
                    format!("[{i}] = {w} ms"),
                    "windows must be finite, > 0 ms and strictly increasing",
                ));
            }
            previous = w;
        }
        if let Some(w) = self.main_window_ms {
            positive("main_window_ms", w)?;
        }
        positive("psth_bin_ms", self.psth_bin_ms)?;
        let c = self.confidence;
        if !(c > 0.0 && c < 1.0) {
            return Err(AnalysisError::invalid(
                "confidence",
                format!("{c}"),
                "must lie in the open interval (0, 1)",
            ));
        }
        Ok(())
    }

    /// Checks the fields that depend on the trial interval `[t_start_ms, t_stop_ms)` \[ms\]:
    /// the interval must be finite and non-empty, the transient shorter than the trial, and
    /// the PSTH at most [`MAX_BINS`] bins. Call it once per experiment, next to
    /// [`validate`](Self::validate).
    pub fn validate_span(&self, t_start_ms: f64, t_stop_ms: f64) -> Result<(), AnalysisError> {
        if !(t_start_ms.is_finite() && t_stop_ms.is_finite() && t_stop_ms > t_start_ms) {
            return Err(AnalysisError::invalid(
                "t_stop_ms",
                format!("{t_stop_ms} ms (t_start_ms = {t_start_ms} ms)"),
                "the trial must be finite with t_stop_ms > t_start_ms",
            ));
        }
        let span = t_stop_ms - t_start_ms;
        if self.transient_ms >= span {
            return Err(AnalysisError::invalid(
                "transient_ms",
                format!("{} ms", self.transient_ms),
                format!("must be shorter than the trial ({span} ms)"),
            ));
        }
        bins("psth_bin_ms", span, self.psth_bin_ms)
    }
}
