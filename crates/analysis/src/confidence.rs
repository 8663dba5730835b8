//! Confidence intervals and the Poisson dispersion test.

use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};

fn check_confidence(confidence: f64) {
    assert!(
        confidence > 0.0 && confidence < 1.0,
        "confidence = {confidence} must lie in (0, 1)"
    );
}

fn chi2(dof: f64) -> ChiSquared {
    ChiSquared::new(dof).expect("degrees of freedom are positive and finite")
}

/// Exact (Garwood 1936, doi:10.1093/biomet/28.3-4.437) confidence interval for the mean
/// `μ` of a Poisson count, given one observed count `k`:
/// `(χ²_{α/2}(2k) / 2, χ²_{1−α/2}(2k+2) / 2)` with `α = 1 − confidence`, lower bound 0 for
/// `k = 0`.
///
/// Each bound solves a tail equation (`P(X >= k | lower) = α/2`,
/// `P(X <= k | upper) = α/2`), so the coverage is at least `confidence` for every `μ`
/// (conservative because counts are discrete). Divide by the observation time to get a
/// rate interval: spikemc uses the total count of all trials over the total analysed time.
/// The χ² quantiles come from statrs and are accurate to about 1e-9 (absolute, in counts).
///
/// # Panics
/// If `confidence` is not in `(0, 1)`.
pub fn garwood_interval(k: u64, confidence: f64) -> (f64, f64) {
    check_confidence(confidence);
    let alpha = 1.0 - confidence;
    let k = k as f64;
    let low = if k == 0.0 {
        0.0
    } else {
        chi2(2.0 * k).inverse_cdf(alpha / 2.0) / 2.0
    };
    let high = chi2(2.0 * k + 2.0).inverse_cdf(1.0 - alpha / 2.0) / 2.0;
    (low, high)
}

/// Student-t confidence interval `mean ± t_{(1+confidence)/2}(n−1) · sd / sqrt(n)` for the
/// mean of `n` samples with sample standard deviation `sd` (`ddof = 1`), in the unit of
/// `mean`. `(NaN, NaN)` for `n < 2`.
///
/// # Panics
/// If `confidence` is not in `(0, 1)`.
pub fn student_t_interval(mean: f64, sd: f64, n: u64, confidence: f64) -> (f64, f64) {
    check_confidence(confidence);
    if n < 2 {
        return (f64::NAN, f64::NAN);
    }
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .expect("n - 1 >= 1 degrees of freedom")
        .inverse_cdf(0.5 + confidence / 2.0);
    let half = t * sd / (n as f64).sqrt();
    (mean - half, mean + half)
}

/// Confidence interval of a Fano factor `fano` estimated (with `ddof = 1`) from `n`
/// counts, from the χ² law of the dispersion statistic:
/// `((n−1)·F / χ²_{1−α/2}(n−1), (n−1)·F / χ²_{α/2}(n−1))`, `α = 1 − confidence`.
///
/// This assumes `(n−1)·F̂/F ~ χ²(n−1)`, the law of a sample variance over its true value.
/// It is exact for independent normal counts with known mean-to-variance ratio and holds
/// approximately for Poisson-like counts whose mean is not small (≳ 5); it ignores the
/// uncertainty of the mean and any correlation between the counts (e.g. adjacent windows
/// of one trial of a non-Poisson process). Read it as "the range of true Fano factors
/// compatible with this estimate at the given level", not as an exact interval.
/// `(NaN, NaN)` if `fano` is `NaN` or `n < 2`.
///
/// # Panics
/// If `confidence` is not in `(0, 1)`.
pub fn fano_interval(fano: f64, n: u64, confidence: f64) -> (f64, f64) {
    check_confidence(confidence);
    if n < 2 || fano.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    let alpha = 1.0 - confidence;
    let dof = (n - 1) as f64;
    let d = chi2(dof);
    let stat = dof * fano;
    (
        stat / d.inverse_cdf(1.0 - alpha / 2.0),
        stat / d.inverse_cdf(alpha / 2.0),
    )
}

/// Two-sided p-value of the Poisson dispersion test (Fisher's index of dispersion): under
/// the hypothesis that the `n` counts are independent Poisson with a common mean,
/// `D = (n−1)·F̂ = Σ(c − c̄)²/c̄ ~ χ²(n−1)` (approximately; good once the mean count is ≳ 1
/// and `n` ≳ 20). Returns `min(1, 2·min(P(χ² <= D), P(χ² >= D)))`: small values flag
/// under-dispersion (regular firing) as well as over-dispersion (bursting, trial-to-trial
/// rate variability). `NaN` if `fano` is `NaN` or `n < 2`.
pub fn dispersion_p_value(fano: f64, n: u64) -> f64 {
    if n < 2 || fano.is_nan() {
        return f64::NAN;
    }
    let dof = (n - 1) as f64;
    let d = chi2(dof);
    let stat = dof * fano;
    (2.0 * d.cdf(stat).min(d.sf(stat))).min(1.0)
}
