//! The χ² Fano interval and the dispersion test.

use crate::assert_close;
use crate::synth::Rng;
use rand::SeedableRng;
use rand_distr::{Distribution, Poisson};
use spikemc_analysis::{dispersion_p_value, fano_factor, fano_interval};
use statrs::distribution::{ChiSquared, ContinuousCDF};

#[test]
fn dispersion_test_is_two_sided() {
    // D = (n−1)·F at the χ²(n−1) 2.5 % and 97.5 % quantiles gives p = 0.05 on both sides
    // (a one-sided test would give 0.025 or 0.975); at the median p = 1.
    let n = 200u64;
    let chi = ChiSquared::new((n - 1) as f64).unwrap();
    let dof = (n - 1) as f64;
    for q in [0.025, 0.975] {
        let fano = chi.inverse_cdf(q) / dof;
        assert_close(
            &format!("p at quantile {q}"),
            dispersion_p_value(fano, n),
            0.05,
            1e-9,
        );
    }
    assert_close(
        "p at median",
        dispersion_p_value(chi.inverse_cdf(0.5) / dof, n),
        1.0,
        1e-9,
    );
    assert!(dispersion_p_value(f64::NAN, n).is_nan());
    assert!(dispersion_p_value(1.0, 1).is_nan());
}

#[test]
fn fano_interval_brackets_estimate_and_inverts_quantiles() {
    // Lower bound L: (n−1)F/L is the upper χ² quantile, so (n−1)F/L must map back to
    // probability 1 − α/2 (and the upper bound to α/2).
    let (n, f) = (50u64, 1.3);
    let (l, h) = fano_interval(f, n, 0.95);
    assert!(l < f && f < h, "({l}, {h}) does not bracket {f}");
    let chi = ChiSquared::new((n - 1) as f64).unwrap();
    assert_close(
        "lower ↔ 97.5 %",
        chi.cdf((n - 1) as f64 * f / l),
        0.975,
        1e-9,
    );
    assert_close(
        "upper ↔ 2.5 %",
        chi.cdf((n - 1) as f64 * f / h),
        0.025,
        1e-9,
    );
}

#[test]
fn fano_interval_covers_poisson_fano_at_nominal_rate() {
    // 1000 replicate experiments, each of n = 50 Poisson(20) counts (true Fano 1). For
    // Poisson counts with mean 20, (n−1)F̂ is χ²(n−1) up to O(1/mean) kurtosis terms,
    // so coverage ≈ 0.95. Binomial SE of the coverage with 1000 replicates:
    // sqrt(0.95·0.05/1000) = 0.0069; 5 SE = 0.034. A wrong quantile pairing or a
    // one-sided interval would give ~0 or ~0.5–0.975 asymmetrically — also checked via the
    // miss counts on each side (each ≈ 2.5 %, SE 0.0049, 5 SE = 0.025).
    let mut rng = Rng::seed_from_u64(5);
    let poisson = Poisson::new(20.0).unwrap();
    let (reps, n) = (1000, 50);
    let (mut below, mut above) = (0, 0);
    let mut counts = vec![0i64; n];
    for _ in 0..reps {
        for c in &mut counts {
            *c = poisson.sample(&mut rng) as i64;
        }
        let (l, h) = fano_interval(fano_factor(&counts, 1), n as u64, 0.95);
        if h < 1.0 {
            below += 1;
        }
        if l > 1.0 {
            above += 1;
        }
    }
    let coverage = 1.0 - (below + above) as f64 / reps as f64;
    assert_close("coverage", coverage, 0.95, 0.034);
    assert_close("miss below", below as f64 / reps as f64, 0.025, 0.025);
    assert_close("miss above", above as f64 / reps as f64, 0.025, 0.025);
}
