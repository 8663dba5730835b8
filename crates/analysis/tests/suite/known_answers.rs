//! Known answers: Elephant's test values and closed forms.

use crate::assert_close;
use spikemc_analysis::{cv, cv2, fano_factor, garwood_interval, isis, lv, lvr, student_t_interval};

/// The 100-interval sequence of Elephant's `LVTestCase`, `LVRTestCase` and `CV2TestCase`
/// (elephant/test/test_statistics.py); the functions take it as ISIs in ms.
const ELEPHANT_SEQ: [f64; 100] = [
    1., 28., 4., 47., 5., 16., 2., 5., 21., 12., //
    4., 12., 59., 2., 4., 18., 33., 25., 2., 34., //
    4., 1., 1., 14., 8., 1., 10., 1., 8., 20., //
    5., 1., 6., 5., 12., 2., 8., 8., 2., 8., //
    2., 10., 2., 1., 1., 2., 15., 3., 20., 6., //
    11., 6., 18., 2., 5., 17., 4., 3., 13., 6., //
    1., 18., 1., 16., 12., 2., 52., 2., 5., 7., //
    6., 25., 6., 5., 3., 15., 4., 3., 16., 3., //
    6., 5., 24., 21., 3., 3., 4., 8., 4., 11., //
    5., 7., 5., 6., 8., 11., 33., 10., 7., 4.,
];

// Elephant asserts these to 9 decimals; the targets carry 12 (LV) and 16 (CV2, LvR)
// significant digits. A sum of 99 terms of size ~1 in f64 is good to ~1e-14, so we ask
// for agreement to the last printed digit of each target.

#[test]
fn lv_matches_elephant() {
    assert_close("LV", lv(&ELEPHANT_SEQ).unwrap(), 0.971826029994, 1e-12);
}

#[test]
fn cv2_matches_elephant() {
    assert_close(
        "CV2",
        cv2(&ELEPHANT_SEQ).unwrap(),
        1.0022235296529176,
        1e-13,
    );
}

#[test]
fn lvr_matches_elephant_with_r_5ms() {
    assert_close(
        "LvR",
        lvr(&ELEPHANT_SEQ, 5.0).unwrap(),
        2.1845363464753134,
        1e-13,
    );
}

#[test]
fn cv_of_regular_train_is_zero() {
    // Elephant's isi_cv_TestCase: np.arange(1, 6) has ISIs all exactly 1.
    let intervals = isis(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(cv(&intervals), Some(0.0));
}

#[test]
fn cv_uses_population_std_like_elephant() {
    // ISIs 1 and 3: mean 2, population std 1 (the sample std would be sqrt 2).
    assert_eq!(cv(&[1.0, 3.0]), Some(0.5));
}

#[test]
fn fano_factor_of_small_samples_under_both_ddofs() {
    // [4, 3]: mean 7/2, Σ(c − mean)² = 1/2 → var 1/4 (ddof 0) or 1/2 (ddof 1).
    assert_eq!(fano_factor(&[4, 3], 0), 1.0 / 14.0);
    assert_eq!(fano_factor(&[4, 3], 1), 1.0 / 7.0);
    // [0, 2, 4]: mean 2, Σ(c − mean)² = 8 → var 8/3 (ddof 0) or 4 (ddof 1).
    assert_eq!(fano_factor(&[0, 2, 4], 0), 4.0 / 3.0);
    assert_eq!(fano_factor(&[0, 2, 4], 1), 2.0);
}

#[test]
fn fano_factor_nan_and_zero_cases_follow_elephant() {
    // Elephant: fanofactor([]) is NaN, one train gives 0, identical trains give 0.
    assert!(fano_factor(&[], 0).is_nan());
    assert_eq!(fano_factor(&[7], 0), 0.0);
    assert_eq!(fano_factor(&[5, 5, 5], 1), 0.0);
    // All counts zero: mean 0, the ratio is undefined.
    assert!(fano_factor(&[0, 0, 0], 1).is_nan());
    // ddof 1 needs two counts.
    assert!(fano_factor(&[7], 1).is_nan());
}

/// Poisson P(X <= k | mu), summed term by term (independent of the χ² code path).
fn poisson_cdf(k: u64, mu: f64) -> f64 {
    let mut term = (-mu).exp();
    let mut sum = term;
    for j in 1..=k {
        term *= mu / j as f64;
        sum += term;
    }
    sum
}

#[test]
fn garwood_95_matches_reference_table() {
    // Reference values of the exact Poisson interval, χ²_{α/2}(2k)/2 and
    // χ²_{1−α/2}(2k+2)/2 from χ² tables, with the closed forms for k = 0, 1:
    // upper(0) = −ln 0.025, lower(1) = −ln 0.975. The values carry 6–7 significant
    // digits, so tolerances are half a unit in the last place. Note: upper(42) is
    // 56.77180 (χ²_{0.975}(86) = 113.5436), not the 56.77164 sometimes quoted; the
    // defining tail equation P(X <= 42 | 56.77180) = 0.025 was checked by summing the
    // Poisson pmf directly (P(X <= 42 | 56.77164) = 0.0250012 instead).
    let table = [
        (0u64, 0.0, 5e-10, 3.688879, 5e-7),
        (1, 0.0253178, 5e-8, 5.571643, 5e-7),
        (10, 4.795389, 5e-7, 18.390356, 5e-7),
        (42, 30.26991, 5e-6, 56.77180, 5e-6),
    ];
    for (k, lo, tol_lo, hi, tol_hi) in table {
        let (l, h) = garwood_interval(k, 0.95);
        assert_close(&format!("Garwood lower, k = {k}"), l, lo, tol_lo);
        assert_close(&format!("Garwood upper, k = {k}"), h, hi, tol_hi);
    }
    // statrs' gamma quantile stops its Newton iteration once a step is below
    // 1e-9 (statrs::prec::DEFAULT_EPS), so the bounds are good to about that, absolute.
    let (_, h0) = garwood_interval(0, 0.95);
    assert_close("upper(0) = −ln 0.025", h0, -(0.025f64.ln()), 1e-9);
    let (l1, _) = garwood_interval(1, 0.95);
    assert_close("lower(1) = −ln 0.975", l1, -(0.975f64.ln()), 1e-9);
}

#[test]
fn garwood_bounds_solve_their_tail_equations() {
    // Definition: P(X >= k | lower) = α/2 and P(X <= k | upper) = α/2. statrs inverts to
    // 1e-14 relative, so the tail probabilities agree to far better than 1e-9.
    for confidence in [0.9, 0.95, 0.99] {
        let half_alpha = (1.0 - confidence) / 2.0;
        for k in [0u64, 1, 2, 5, 10, 42, 100] {
            let (l, h) = garwood_interval(k, confidence);
            assert_close(
                &format!("P(X <= {k} | upper), confidence {confidence}"),
                poisson_cdf(k, h),
                half_alpha,
                1e-9,
            );
            if k > 0 {
                assert_close(
                    &format!("P(X >= {k} | lower), confidence {confidence}"),
                    1.0 - poisson_cdf(k - 1, l),
                    half_alpha,
                    1e-9,
                );
            }
        }
    }
}

#[test]
fn garwood_coverage_is_at_least_nominal_for_every_mean() {
    // Exact coverage Σ_k P(k | μ)·[lower_k <= μ <= upper_k], no sampling: Garwood's
    // interval guarantees >= 95 % for every μ. Terms beyond μ + 15√μ + 30 are < 1e-20.
    for mu in [0.05, 0.5, 1.0, 3.7, 10.0, 25.0, 42.3] {
        let k_max = (mu + 15.0 * f64::sqrt(mu) + 30.0) as u64;
        let mut coverage = 0.0;
        let mut pmf = (-mu).exp();
        for k in 0..=k_max {
            if k > 0 {
                pmf *= mu / k as f64;
            }
            let (l, h) = garwood_interval(k, 0.95);
            if l <= mu && mu <= h {
                coverage += pmf;
            }
        }
        assert!(coverage >= 0.95, "coverage {coverage} < 0.95 at μ = {mu}");
    }
}

#[test]
fn garwood_for_a_huge_count_is_the_normal_interval() {
    // For k = 10⁹ the interval is k ± 1.959964·√k to within O(1) (Wilson–Hilferty / CLT;
    // the skewness shifts both bounds by about (z² + 2)/3 ≈ 2). √k ≈ 31623, so a
    // tolerance of 10 counts still tests the statrs inversion at 3e-4 of the half-width.
    let k = 1_000_000_000u64;
    let (l, h) = garwood_interval(k, 0.95);
    let half = 1.959963984540054 * (k as f64).sqrt();
    assert_close("huge-k lower", l, k as f64 - half, 10.0);
    assert_close("huge-k upper", h, k as f64 + half, 10.0);
}

#[test]
fn student_t_interval_matches_table() {
    // t_{0.975}(9) = 2.262157163 (standard table); n = 10, sd = 2 → half-width
    // 2.262157163 · 2 / √10 = 1.430714.
    let (l, h) = student_t_interval(5.0, 2.0, 10, 0.95);
    let half = 2.262157163 * 2.0 / 10f64.sqrt();
    assert_close("t lower", l, 5.0 - half, 1e-8);
    assert_close("t upper", h, 5.0 + half, 1e-8);
    let (l, h) = student_t_interval(5.0, 2.0, 1, 0.95);
    assert!(l.is_nan() && h.is_nan());
}
