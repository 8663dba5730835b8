//! Statistics of synthetic trains against theory. Tolerances are 5 standard errors from
//! sampling theory (false-alarm probability ~6e-7 per check); derivations in comments.

use crate::assert_close;
use crate::synth::{self, Rng};
use rand::SeedableRng;
use spikemc_analysis::{AnalysisConfig, PointAccumulator, count_windows, fano_factor};

/// Delta-method variance of the sample CV for i.i.d. ISIs, times n:
/// CV = sqrt(v)/m ⇒ n·Var ≈ (μ4 − σ⁴)/(4σ²μ²) − μ3/μ³ + σ⁴/μ⁴.
/// Gamma(k): μ = k, σ² = k, μ3 = 2k, μ4 = 3k² + 6k ⇒ n·Var = (k + 1)/(2k²) (= 1 for
/// the exponential, k = 1).
fn cv_var_gamma(k: f64) -> f64 {
    (k + 1.0) / (2.0 * k * k)
}

#[test]
fn poisson_train_has_cv_one_fano_one_and_its_rate() {
    // 100 trials of 10 s at 20 Hz: ~20 000 ISIs.
    let (rate, t_stop, n_trials) = (20.0, 10_000.0, 100u32);
    let mut rng = Rng::seed_from_u64(1);
    let cfg = AnalysisConfig::default();
    let mut acc = PointAccumulator::new(&cfg, 0.0, t_stop);
    for trial in 0..n_trials {
        acc.add_trial(trial, &synth::poisson(&mut rng, rate, t_stop));
    }
    let t = acc.finish();
    let s = &t.summary;

    // Rate: total count ~ Poisson(rate·T·n) ⇒ SE = sqrt(rate / (n·T[s])) Hz.
    let se_rate = (rate / (n_trials as f64 * t_stop / 1000.0)).sqrt();
    assert_close("rate", s.rate_mean_hz, rate, 5.0 * se_rate);
    assert!(s.rate_ci_low_hz < s.rate_mean_hz && s.rate_mean_hz < s.rate_ci_high_hz);
    assert!(s.rate_t_ci_low_hz < s.rate_mean_hz && s.rate_mean_hz < s.rate_t_ci_high_hz);

    // Pooled CV: SE = 1/√n_isi (k = 1). The O(1/(spikes per trial)) bias from dropping the
    // interval that straddles t_stop is ~0.5 %, far below 5 SE ≈ 3.5 %.
    let n_isi: i64 = t.isi_hist.iter().map(|r| r.count).sum();
    assert_close(
        "pooled CV",
        s.isi_cv_pooled,
        1.0,
        5.0 * (cv_var_gamma(1.0) / n_isi as f64).sqrt(),
    );

    // Fano: windows of one trial are independent for Poisson, so all n counts are i.i.d.
    // For Poisson(λ) counts the delta method gives n·Var(F̂) = (μ4 − σ⁴)/λ² − 2σ²μ3/λ³
    // + σ⁶/λ⁴ = (λ + 2λ²)/λ² − 2/λ + 1/λ = 2, independent of λ ⇒ SE = sqrt(2/n).
    assert_eq!(t.fano.len(), 7, "all default windows fit in 10 s");
    for row in &t.fano {
        assert_eq!(row.n_counts, row.n_windows * n_trials as i64);
        let se = (2.0 / row.n_counts as f64).sqrt();
        assert_close(
            &format!("Fano at {} ms", row.window_ms),
            row.fano,
            1.0,
            5.0 * se,
        );
        assert!(row.fano_ci_low < row.fano && row.fano < row.fano_ci_high);
    }
    // Main window = the whole 10 s trial: 100 counts.
    assert_close("Fano main", s.fano_main, 1.0, 5.0 * (2.0f64 / 100.0).sqrt());

    // ISI density of Exp(rate): f(t) = r e^{−rt}, r = 0.02 /ms. The first 1-ms bin holds
    // p = 1 − e^{−0.02} ≈ 0.0198 of the ISIs; binomial SE of the density estimate is
    // sqrt(p(1−p)/n) per ms.
    let p0 = 1.0 - (-rate / 1000.0f64).exp();
    let se_p0 = (p0 * (1.0 - p0) / n_isi as f64).sqrt();
    assert_close(
        "ISI density, first bin",
        t.isi_hist[0].density_per_ms,
        p0,
        5.0 * se_p0,
    );
}

#[test]
fn gamma_renewal_cv_is_one_over_sqrt_shape() {
    for (seed, k) in [(2u64, 2.0), (3, 4.0)] {
        let mut rng = Rng::seed_from_u64(seed);
        let cfg = AnalysisConfig::default();
        let mut acc = PointAccumulator::new(&cfg, 0.0, 10_000.0);
        for trial in 0..100 {
            acc.add_trial(trial, &synth::gamma_renewal(&mut rng, k, 20.0, 10_000.0));
        }
        let t = acc.finish();
        let n_isi: i64 = t.isi_hist.iter().map(|r| r.count).sum();
        // ISIs are i.i.d. Gamma(k): SE from cv_var_gamma.
        let se = (cv_var_gamma(k) / n_isi as f64).sqrt();
        assert_close(
            &format!("pooled CV, k = {k}"),
            t.summary.isi_cv_pooled,
            1.0 / k.sqrt(),
            5.0 * se,
        );
    }
}

/// Delta-method SE of the Fano factor from the sample central moments of i.i.d. counts:
/// F = v/m ⇒ n·Var(F̂) ≈ (m4 − m2²)/m1² − 2·m2·m3/m1³ + m2³/m1⁴ (plug-in estimate; = 2
/// for Poisson).
fn fano_se_plugin(counts: &[i64]) -> f64 {
    let n = counts.len() as f64;
    let m1 = counts.iter().sum::<i64>() as f64 / n;
    let central = |p: i32| counts.iter().map(|&c| (c as f64 - m1).powi(p)).sum::<f64>() / n;
    let (m2, m3, m4) = (central(2), central(3), central(4));
    ((m4 - m2 * m2) / (m1 * m1) - 2.0 * m2 * m3 / m1.powi(3) + m2.powi(3) / m1.powi(4)).sqrt()
        / n.sqrt()
}

#[test]
fn stationary_gamma2_count_fano_follows_the_renewal_formula() {
    // Equilibrium gamma renewal of shape 2 and rate r: renewal density
    // h(u) = r(1 − e^{−4ru}), so Var N(T) = rT + 2r∫₀ᵀ(T−u)(h(u) − r)du
    // = rT/2 + (1 − e^{−4rT})/8, i.e. F(T) = ½ + (1 − e^{−4rT})/(8rT).
    // One window per trial (t_stop = T) keeps the counts i.i.d., so the plug-in
    // delta-method SE applies. A non-stationary start (first spike after a full ISI)
    // would give a mean count of ~0.06 instead of 0.2 at 10 ms and F ≈ 0.96 instead of
    // 0.84 (≈ 18 SE): both checks see it.
    let r_hz: f64 = 20.0;
    let r = r_hz / 1000.0;
    let n_trials = 20_000u32;
    for (seed, t_ms) in [(10u64, 10.0f64), (11, 50.0), (12, 200.0), (13, 1000.0)] {
        let expected = 0.5 + (1.0 - (-4.0 * r * t_ms).exp()) / (8.0 * r * t_ms);
        let mut rng = Rng::seed_from_u64(seed);
        let cfg = AnalysisConfig {
            fano_windows_ms: vec![t_ms],
            psth_bin_ms: t_ms,
            ..AnalysisConfig::default()
        };
        let mut acc = PointAccumulator::new(&cfg, 0.0, t_ms);
        let mut counts = Vec::with_capacity(n_trials as usize);
        let mut one = [0i64];
        for trial in 0..n_trials {
            let spikes = synth::gamma2_stationary(&mut rng, r_hz, t_ms);
            count_windows(&spikes, 0.0, t_ms, 1, &mut one);
            counts.push(one[0]);
            acc.add_trial(trial, &spikes);
        }
        let t = acc.finish();
        let row = &t.fano[0];
        assert_eq!(row.n_windows, 1);
        assert_eq!(row.fano, fano_factor(&counts, 1), "table vs fano_factor");
        assert_eq!(t.summary.fano_main, row.fano, "main window = whole span");
        let se = fano_se_plugin(&counts);
        assert_close(
            &format!("gamma-2 Fano at T = {t_ms} ms"),
            row.fano,
            expected,
            5.0 * se,
        );
        // Stationarity also fixes the mean count at r·T exactly: SE = sqrt(Var N / n).
        let var_n = r * t_ms / 2.0 + (1.0 - (-4.0 * r * t_ms).exp()) / 8.0;
        assert_close(
            &format!("gamma-2 mean count at T = {t_ms} ms"),
            row.mean_count,
            r * t_ms,
            5.0 * (var_n / n_trials as f64).sqrt(),
        );
    }
}

#[test]
fn dead_time_poisson_cv_is_one_minus_rate_times_dead_time() {
    // ISI = d + Exp(λ): μ = d + 1/λ, σ = 1/λ ⇒ CV = 1/(1 + λd); output rate r = 1/μ =
    // λ/(1 + λd), so CV = 1 − r·d. λ = 50 Hz, d = 10 ms: CV = 2/3, r = 33.3 Hz.
    let (lambda_hz, d, t_stop, n_trials) = (50.0, 10.0, 10_000.0, 100u32);
    let lambda = lambda_hz / 1000.0;
    let c = 1.0 / (1.0 + lambda * d);
    let r_hz = lambda_hz / (1.0 + lambda * d);
    assert_close("CV = 1 − r·d", c, 1.0 - r_hz / 1000.0 * d, 1e-15);

    let mut rng = Rng::seed_from_u64(4);
    let mut acc = PointAccumulator::new(&AnalysisConfig::default(), 0.0, t_stop);
    for trial in 0..n_trials {
        acc.add_trial(
            trial,
            &synth::dead_time_stationary(&mut rng, lambda_hz, d, t_stop),
        );
    }
    let t = acc.finish();
    let n_isi: i64 = t.isi_hist.iter().map(|r| r.count).sum();
    // Shifted exponential: μ3 = 2/λ³, μ4 = 9/λ⁴ in the delta-method formula give
    // n·Var(CV) = 2c² − 2c³ + c⁴ with c = 1/(λμ).
    let se_cv = ((2.0 * c * c - 2.0 * c.powi(3) + c.powi(4)) / n_isi as f64).sqrt();
    assert_close("dead-time CV", t.summary.isi_cv_pooled, c, 5.0 * se_cv);
    // Renewal counting: Var N(T) → CV²·r·T for T ≫ μ ⇒ SE(rate) = sqrt(c²·r/(n·T[s])).
    let se_rate = (c * c * r_hz / (n_trials as f64 * t_stop / 1000.0)).sqrt();
    assert_close(
        "dead-time rate",
        t.summary.rate_mean_hz,
        r_hz,
        5.0 * se_rate,
    );
    // No ISI is shorter than the dead time.
    assert!(t.isi_hist[..10].iter().all(|r| r.count == 0));
    assert!(t.isi_hist[10].count > 0);
}
