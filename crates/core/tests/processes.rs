//! Input processes against theory: explicit sources equal their exact
//! superposition, inhomogeneous Poisson follows its rate, MIP sources have
//! count correlation c, gamma sources have ISI CV 1/√k.

mod common;

use common::{QUESTION_INITIAL, input, run};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use spikemc_core::{HhParams, InputSpec, Method, PoissonInput, Process, ProcessKind};
use statrs::distribution::{ChiSquared, ContinuousCDF};

fn spec(p: PoissonInput, kind: ProcessKind) -> InputSpec {
    InputSpec {
        process: kind,
        ..InputSpec::from(p)
    }
}

/// Two-sample Kolmogorov–Smirnov statistic sup |F₁ − F₂|.
fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

/// Asymptotic critical value of the two-sample KS test at level α:
/// √(−ln(α/2)/2) · √((n+m)/(n·m)).
fn ks_critical(alpha: f64, n: usize, m: usize) -> f64 {
    (-(alpha / 2.0).ln() / 2.0).sqrt() * ((n + m) as f64 / (n * m) as f64).sqrt()
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (
        m,
        x.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (n - 1.0),
    )
}

/// Output of the HH neuron under explicit vs superposed input: the same
/// distribution, because N independent thinned Poisson trains superpose
/// exactly to one Poisson process of rate N·r·p.
///
/// Samples are independent across trials: from each trial its first
/// complete ISI starting after 50 ms (past the onset transient; the same
/// rule for both arms) and its spike count. KS two-sample test on the ISIs
/// at α = 0.001; spike counts: Welch's z = (m₁ − m₂)/√(s₁²/n₁ + s₂²/n₂)
/// with |z| < 3.9 (two-sided α ≈ 1e−4). The two arms also differ in
/// integrator implementation (lanes engine vs the generic scalar
/// Rush–Larsen), which changes spike times by far less than the test can see.
fn explicit_equals_superposed(n: u32, w_exc: f64, w_inh: f64, trials: u64) {
    let pops = [
        input(n * 4 / 5, 10.0, 0.5, w_exc),
        input(n / 5, 10.0, 0.5, w_inh),
    ];
    let sup = common::protocol(
        HhParams::default(),
        Method::RushLarsen,
        500.0,
        0.01,
        QUESTION_INITIAL,
        &pops,
    );
    let exp = sup.clone().with_processes(
        pops.iter()
            .map(|p| {
                spec(p.clone(), ProcessKind::Explicit)
                    .prepare("x", 0.01)
                    .unwrap()
            })
            .collect(),
    );
    assert!(exp.is_generic() && !sup.is_generic());
    let sample = |p: &spikemc_core::Protocol, tag: u64| {
        let mut isi = Vec::new();
        let mut counts = Vec::new();
        let mut inputs = 0u64;
        for k in 0..trials {
            let out = run(p, tag, k).unwrap();
            counts.push(out.spikes_ms.len() as f64);
            inputs += out.input_counts[0];
            let late: Vec<f64> = out
                .spikes_ms
                .iter()
                .copied()
                .filter(|&t| t > 50.0)
                .collect();
            if late.len() >= 2 {
                isi.push(late[1] - late[0]);
            }
        }
        (isi, counts, inputs)
    };
    let (isi_s, cnt_s, in_s) = sample(&sup, 81);
    let (isi_e, cnt_e, in_e) = sample(&exp, 82);
    let d = ks_statistic(&isi_s, &isi_e);
    let crit = ks_critical(0.001, isi_s.len(), isi_e.len());
    eprintln!(
        "N = {n}: {} / {} ISIs, KS D = {d:.4} (critical {crit:.4}); counts {:.2} / {:.2}",
        isi_s.len(),
        isi_e.len(),
        mean_var(&cnt_s).0,
        mean_var(&cnt_e).0
    );
    assert!(isi_s.len() > trials as usize / 2, "too few ISIs");
    assert!(d < crit, "N = {n}: KS D = {d} >= {crit}");
    let ((m1, v1), (m2, v2)) = (mean_var(&cnt_s), mean_var(&cnt_e));
    let z = (m1 - m2) / (v1 / trials as f64 + v2 / trials as f64).sqrt();
    assert!(z.abs() < 3.9, "N = {n}: counts {m1} vs {m2}, z = {z}");
    // Input counts: both Poisson(N_e·r·p·T) summed over trials; z-test.
    let lam = (n * 4 / 5) as f64 * 10.0 * 0.5 * 0.5 * trials as f64;
    let z_in = (in_s as f64 - in_e as f64) / (2.0 * lam).sqrt();
    assert!(z_in.abs() < 3.9, "input counts {in_s} vs {in_e}");
}

#[test]
fn explicit_and_superposed_inputs_give_the_same_output_at_n100() {
    explicit_equals_superposed(100, 1.0, -4.0, 600);
}

#[test]
fn explicit_and_superposed_inputs_give_the_same_output_at_n2000() {
    // The paper's balance at 2000 inputs: 1600 × +1 mV, 400 × −4 mV.
    explicit_equals_superposed(2000, 1.0, -4.0, 400);
}

/// Steps a prepared process over `n_steps` steps of `dt`, calling
/// `on_event(source, t)`, returning the per-step counts.
fn drive(
    p: &Process,
    rng: &mut Xoshiro256PlusPlus,
    dt: f64,
    n_steps: u64,
    mut on_event: impl FnMut(u32, f64),
) -> Vec<u32> {
    let mut st = p.start(rng);
    (0..n_steps)
        .map(|s| {
            p.step(
                &mut st,
                rng,
                s as f64 * dt,
                (s + 1) as f64 * dt,
                &mut on_event,
            )
        })
        .collect()
}

/// Inhomogeneous sinusoidal input: counts binned over the period follow
/// ∫ N·p·r(t) dt per bin. χ² = Σ (O − E)²/E over 20 phase bins of a 25 ms
/// period (40 Hz), pooled over 100 periods × 50 runs; the bins are
/// independent Poisson counts, so χ² ~ χ²(20) and the test rejects at
/// α = 0.001. Also a piecewise-constant profile, 4 pieces.
#[test]
fn inhomogeneous_input_follows_its_rate_function() {
    let dt = 0.05;
    let base = InputSpec {
        amplitude_hz: Some(15.0),
        frequency_hz: Some(40.0),
        phase_rad: Some(0.3),
        ..spec(input(200, 20.0, 0.5, 1.0), ProcessKind::Inhomogeneous)
    };
    let p = base.prepare("x", dt).unwrap();
    let period_steps = 500u64; // 25 ms
    let bins = 20usize;
    let mut observed = vec![0.0f64; bins];
    for run in 0..50 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(900 + run);
        let counts = drive(&p, &mut rng, dt, 100 * period_steps, |_, _| {});
        for (s, c) in counts.iter().enumerate() {
            observed[(s as u64 % period_steps) as usize * bins / period_steps as usize] +=
                *c as f64;
        }
    }
    // Expected: N·p·∫ r(t) dt over each bin, × 100 periods × 50 runs.
    let (n_p, r, a, w, ph) = (
        200.0 * 0.5,
        0.020,
        0.015,
        2.0 * std::f64::consts::PI / 25.0,
        0.3,
    );
    let bin_ms = 25.0 / bins as f64;
    let expected: Vec<f64> = (0..bins)
        .map(|b| {
            let (t0, t1) = (b as f64 * bin_ms, (b + 1) as f64 * bin_ms);
            let integral = r * (t1 - t0) - a / w * ((w * t1 + ph).cos() - (w * t0 + ph).cos());
            n_p * integral * 100.0 * 50.0
        })
        .collect();
    let chi2: f64 = observed
        .iter()
        .zip(&expected)
        .map(|(o, e)| (o - e) * (o - e) / e)
        .sum();
    let crit = ChiSquared::new(bins as f64).unwrap().inverse_cdf(0.999);
    assert!(chi2 < crit, "sinusoid: χ² = {chi2} >= {crit}");

    // Piecewise constant: 20 Hz, then 5 Hz from 10 ms, 60 Hz from 20 ms,
    // 0 Hz from 30 ms; bins = the four pieces of a 40 ms trial, 2000 runs.
    let steps = InputSpec {
        profile_times_ms: Some(vec![10.0, 20.0, 30.0]),
        profile_rates_hz: Some(vec![5.0, 60.0, 0.0]),
        ..spec(input(100, 20.0, 1.0, 1.0), ProcessKind::Inhomogeneous)
    };
    let p = steps.prepare("x", dt).unwrap();
    let mut observed = [0.0f64; 4];
    for run in 0..2000 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5000 + run);
        for (s, c) in drive(&p, &mut rng, dt, 800, |_, _| {}).iter().enumerate() {
            observed[s / 200] += *c as f64;
        }
    }
    let expected = [20.0, 5.0, 60.0, 0.0].map(|hz| 100.0 * hz / 1000.0 * 10.0 * 2000.0);
    assert_eq!(observed[3], 0.0);
    let chi2: f64 = (0..3)
        .map(|i| (observed[i] - expected[i]).powi(2) / expected[i])
        .sum();
    let crit = ChiSquared::new(3.0).unwrap().inverse_cdf(0.999);
    assert!(
        chi2 < crit,
        "steps: χ² = {chi2} >= {crit}: {observed:?} vs {expected:?}"
    );
}

/// MIP: every source is Poisson(r) and any two sources' counts in a window
/// have correlation c (Kuhn et al. 2003: cov = c²·(r/c)·T = c·r·T,
/// var = r·T). Estimate: the Pearson correlation of two fixed sources'
/// counts over M independent windows; SE ≈ (1 − c²)/√M (large-sample SE of
/// a correlation coefficient); 5 SE. Each source's mean count r·T: 5 SE
/// with SE = √(rT/M).
#[test]
fn mip_sources_have_pairwise_count_correlation_c() {
    let c = 0.2;
    let dt = 0.1;
    let p = InputSpec {
        correlation: Some(c),
        ..spec(input(10, 20.0, 1.0, 1.0), ProcessKind::Mip)
    }
    .prepare("x", dt)
    .unwrap();
    let m = 20_000;
    let window_steps = 1000; // 100 ms: r·T = 2 spikes per source
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(33);
    let mut x = Vec::with_capacity(m);
    let mut y = Vec::with_capacity(m);
    let mut total = 0.0;
    for _ in 0..m {
        let mut per = [0.0f64; 10];
        let counts = drive(&p, &mut rng, dt, window_steps, |id, _| {
            per[id as usize] += 1.0
        });
        total += counts.iter().map(|&k| k as f64).sum::<f64>();
        x.push(per[3]);
        y.push(per[7]);
    }
    let (mx, vx) = mean_var(&x);
    let (my, vy) = mean_var(&y);
    let cov = x
        .iter()
        .zip(&y)
        .map(|(a, b)| (a - mx) * (b - my))
        .sum::<f64>()
        / (m - 1) as f64;
    let rho = cov / (vx * vy).sqrt();
    let se = (1.0 - c * c) / (m as f64).sqrt();
    assert!((rho - c).abs() < 5.0 * se, "ρ = {rho} vs c = {c} ± {se}");
    let rt = 2.0;
    let se_m = (rt / m as f64).sqrt();
    assert!((mx - rt).abs() < 5.0 * se_m && (my - rt).abs() < 5.0 * se_m);
    // The population count is the sum over sources.
    assert!((total / m as f64 / 10.0 - rt).abs() < 5.0 * se_m);
}

/// Gamma-renewal sources: ISI mean 1/r and CV 1/√k, for k = 0.5, 1, 4.
/// ISIs of one source are independent (renewal); n ≈ 4000 of them per k
/// from source 0. SE of the sample CV ≈ CV·√((1 + 2CV²)/(2n))·… — taken
/// conservatively from the variance of s/m under a gamma law,
/// Var(ĈV) ≈ CV²/n · (1/2 + CV² ... ) ≤ CV²(1 + 2CV²)/n; 5 SE.
#[test]
fn gamma_sources_have_isi_cv_one_over_sqrt_k() {
    for k in [0.5, 1.0, 4.0] {
        let dt = 0.1;
        let p = InputSpec {
            shape: Some(k),
            ..spec(input(3, 40.0, 1.0, 1.0), ProcessKind::Gamma)
        }
        .prepare("x", dt)
        .unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(44);
        let mut last = None;
        let mut isi = Vec::new();
        drive(&p, &mut rng, dt, 1_000_000, |id, t| {
            if id == 0 {
                if let Some(l) = last {
                    isi.push(t - l);
                }
                last = Some(t);
            }
        });
        let (m, v) = mean_var(&isi);
        let cv = v.sqrt() / m;
        let want = 1.0 / k.sqrt();
        let n = isi.len() as f64;
        let se = want * ((1.0 + 2.0 * want * want) / n).sqrt();
        assert!(
            (cv - want).abs() < 5.0 * se,
            "k = {k}: CV {cv} vs {want} ± {se} (n = {n})"
        );
        let se_m = 25.0 * want / n.sqrt();
        assert!((m - 25.0).abs() < 5.0 * se_m, "k = {k}: mean ISI {m}");
    }
}

#[test]
fn process_keys_are_checked() {
    let e = InputSpec {
        shape: Some(2.0),
        ..spec(input(10, 5.0, 1.0, 1.0), ProcessKind::Explicit)
    }
    .prepare("exc", 0.1)
    .unwrap_err()
    .to_string();
    assert!(e.contains("inputs.exc.shape") && e.contains("gamma"), "{e}");
    let e = spec(input(10, 5.0, 1.0, 1.0), ProcessKind::Mip)
        .prepare("exc", 0.1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("inputs.exc.correlation"), "{e}");
    let e = InputSpec {
        amplitude_hz: Some(8.0),
        frequency_hz: Some(1.0),
        ..spec(input(10, 5.0, 1.0, 1.0), ProcessKind::Inhomogeneous)
    }
    .prepare("exc", 0.1)
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("inputs.exc.amplitude_hz") && e.contains("rate_hz"),
        "{e}"
    );
}
