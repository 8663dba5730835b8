//! PointAccumulator: hand-computed tables, order and chunking independence.

use crate::assert_close;
use crate::synth::{self, Rng};
use rand::{RngExt, SeedableRng};
use spikemc_analysis::{AnalysisConfig, PointAccumulator, PointTables};

/// Bitwise comparison of two table sets (`==` fails on NaN, which the tables contain by
/// design); `{:?}` prints every f64 in shortest round-trip form, so equal text means
/// equal bits.
#[track_caller]
fn assert_identical(a: &PointTables, b: &PointTables) {
    let (a, b) = (format!("{a:#?}"), format!("{b:#?}"));
    if a != b {
        for (la, lb) in a.lines().zip(b.lines()) {
            if la != lb {
                panic!("tables differ:\n  left:  {la}\n  right: {lb}");
            }
        }
        panic!("tables differ in length");
    }
}

fn varied_trials(seed: u64, n: u32) -> Vec<(u32, Vec<f64>)> {
    // Mixed trains, including silent trials, so every table has NaN-free and NaN parts.
    let mut rng = Rng::seed_from_u64(seed);
    (0..n)
        .map(|trial| {
            let spikes = match trial % 4 {
                0 => Vec::new(),
                1 => synth::poisson(&mut rng, 15.0, 2000.0),
                2 => synth::gamma_renewal(&mut rng, 3.0, 40.0, 2000.0),
                _ => synth::dead_time_stationary(&mut rng, 60.0, 4.0, 2000.0),
            };
            (trial, spikes)
        })
        .collect()
}

fn cfg_with_transient() -> AnalysisConfig {
    AnalysisConfig {
        transient_ms: 100.0,
        main_window_ms: Some(50.0),
        ..AnalysisConfig::default()
    }
}

#[test]
fn merging_two_halves_equals_one_accumulator() {
    let cfg = cfg_with_transient();
    let trials = varied_trials(20, 200);
    let mut whole = PointAccumulator::new(&cfg, 0.0, 2000.0);
    for (id, s) in &trials {
        whole.add_trial(*id, s);
    }
    let (first, second) = trials.split_at(77);
    let mut a = PointAccumulator::new(&cfg, 0.0, 2000.0);
    let mut b = PointAccumulator::new(&cfg, 0.0, 2000.0);
    first.iter().for_each(|(id, s)| a.add_trial(*id, s));
    second.iter().for_each(|(id, s)| b.add_trial(*id, s));
    // Merge in the "wrong" order on purpose.
    b.merge(a);
    assert_identical(&whole.finish(), &b.finish());
}

#[test]
fn shuffled_trials_and_random_chunks_give_identical_tables() {
    let cfg = cfg_with_transient();
    let trials = varied_trials(21, 300);
    let mut reference = PointAccumulator::new(&cfg, 0.0, 2000.0);
    for (id, s) in &trials {
        reference.add_trial(*id, s);
    }
    let reference = reference.finish();
    // Floating sums in arrival order would differ in the last bits here; the check is
    // that they are not formed that way.
    let mut rng = Rng::seed_from_u64(22);
    for _ in 0..5 {
        let mut order: Vec<usize> = (0..trials.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let mut chunks: Vec<PointAccumulator> = Vec::new();
        for (pos, &i) in order.iter().enumerate() {
            if pos % 37 == 0 {
                chunks.push(PointAccumulator::new(&cfg, 0.0, 2000.0));
            }
            chunks
                .last_mut()
                .unwrap()
                .add_trial(trials[i].0, &trials[i].1);
        }
        let mut total = chunks.pop().unwrap();
        while let Some(c) = chunks.pop() {
            total.merge(c);
        }
        assert_identical(&reference, &total.finish());
    }
}

#[test]
fn summary_of_three_small_trials_by_hand() {
    // Trials over [0, 100) ms, counts 3, 0, 1: mean 4/3, Σ(c − mean)² = 14/3,
    // var (ddof 1) 7/3, Fano = 7/4 at the whole-span main window.
    let cfg = AnalysisConfig::default();
    let mut acc = PointAccumulator::new(&cfg, 0.0, 100.0);
    acc.add_trial(0, &[10.0, 20.0, 40.0]);
    acc.add_trial(1, &[]);
    acc.add_trial(2, &[50.0]);
    let t = acc.finish();
    let s = t.summary;
    assert_eq!(s.n_trials, 3);
    assert_eq!(s.n_spikes_total, 4);
    assert_eq!(s.n_trials_silent, 1);
    assert_close("rate mean", s.rate_mean_hz, 4.0 / 3.0 * 10.0, 1e-12);
    assert_close("rate sd", s.rate_sd_hz, (7.0f64 / 3.0).sqrt() * 10.0, 1e-12);
    assert_close("Fano main", s.fano_main, 1.75, 1e-15);
    assert_eq!(s.fano_main_window_ms, 100.0);
    // Garwood for 4 spikes in 0.3 s: (χ²_{0.025}(8), χ²_{0.975}(10)) / 2 =
    // (2.179731, 20.48318) / 2 = (1.0898655, 10.24159) from χ² tables, then / 0.3 s.
    assert_close("rate CI low", s.rate_ci_low_hz, 1.0898655 / 0.3, 5e-7 / 0.3);
    assert_close(
        "rate CI high",
        s.rate_ci_high_hz,
        10.24159 / 0.3,
        5e-6 / 0.3,
    );
    // ISIs 10, 20 (trial 0 only): pooled CV = per-trial CV = 5/15 = 1/3; mean of the one
    // CV is the same.
    assert_close("pooled CV", s.isi_cv_pooled, 1.0 / 3.0, 1e-15);
    assert_eq!(s.isi_cv_mean, s.isi_cv_pooled);
    // Latencies 10 and 50 over the two trials with spikes.
    assert_eq!(s.first_spike_mean_ms, 30.0);
    // Default windows: only 10, 20, 50 and 100 ms fit in 100 ms.
    let windows: Vec<f64> = t.fano.iter().map(|r| r.window_ms).collect();
    assert_eq!(windows, [10.0, 20.0, 50.0, 100.0]);
    let w100 = &t.fano[3];
    assert_eq!((w100.n_windows, w100.n_counts, w100.n_trials), (1, 3, 3));
    assert_eq!(w100.fano, s.fano_main);
    // 50-ms windows: trial 0 → [3, 0], trial 1 → [0, 0], trial 2 → [0, 1] (50.0 sits on
    // the edge and belongs to the second window).
    let w50 = &t.fano[2];
    assert_eq!((w50.n_windows, w50.n_counts), (2, 6));
    assert_close("mean, 50 ms", w50.mean_count, 4.0 / 6.0, 1e-15);
    // Σc² = 10, Σc = 4, n = 6: var = (6·10 − 16)/(6·5) = 44/30.
    assert_close("var, 50 ms", w50.var_count, 44.0 / 30.0, 1e-15);
}

#[test]
fn isi_histogram_bins_are_left_closed_with_overflow() {
    let cfg = AnalysisConfig::default(); // 1-ms bins up to 200 ms.
    let mut acc = PointAccumulator::new(&cfg, 0.0, 1000.0);
    // ISIs 1.0, 2.0, 0.5, 246.5, 200.0.
    acc.add_trial(0, &[0.0, 1.0, 3.0, 3.5, 250.0, 450.0]);
    let h = acc.finish().isi_hist;
    assert_eq!(h.len(), 201);
    assert_eq!(
        (h[0].count, h[1].count, h[2].count),
        (1, 1, 1),
        "ISI 1.0 goes to [1, 2)"
    );
    assert_eq!(h[199].count, 0);
    let overflow = h[200];
    assert_eq!(
        (overflow.bin_left_ms, overflow.bin_right_ms),
        (200.0, f64::INFINITY)
    );
    assert_eq!(overflow.count, 2, "ISI 200.0 = isi_max_ms overflows");
    assert!(overflow.density_per_ms.is_nan());
    assert_eq!(h[1].density_per_ms, 1.0 / 5.0);
    assert_eq!(h.iter().map(|r| r.count).sum::<i64>(), 5);
}

#[test]
fn psth_covers_the_whole_trial_and_the_transient_is_excluded_elsewhere() {
    let cfg = AnalysisConfig {
        transient_ms: 10.0,
        fano_windows_ms: vec![5.0],
        ..AnalysisConfig::default()
    };
    // Trial [0, 25): PSTH bins [0,10), [10,20), [20,25); analysed span [10, 25).
    let mut acc = PointAccumulator::new(&cfg, 0.0, 25.0);
    acc.add_trial(0, &[2.0, 10.0, 12.0, 24.0, 25.0]); // 25.0 = t_stop is outside.
    acc.add_trial(1, &[3.0]); // fires only in the transient
    let t = acc.finish();
    let p = &t.psth;
    assert_eq!(p.len(), 3);
    assert_eq!(p.iter().map(|r| r.count).collect::<Vec<_>>(), [2, 2, 1]);
    assert_eq!((p[2].bin_left_ms, p[2].bin_right_ms), (20.0, 25.0));
    // 1 spike / (2 trials · 5 ms) = 100 Hz in the narrower last bin.
    assert_close("last PSTH bin", p[2].rate_hz, 100.0, 1e-12);
    assert_close("first PSTH bin", p[0].rate_hz, 100.0, 1e-12);
    let s = t.summary;
    // Analysed counts: 3 (10, 12, 24) and 0.
    assert_eq!(s.n_spikes_total, 3);
    assert_close("rate", s.rate_mean_hz, 1.5 / 15.0 * 1000.0, 1e-12);
    assert_eq!(
        s.n_trials_silent, 0,
        "trial 1 fired, if only in the transient"
    );
    assert_eq!(
        s.first_spike_mean_ms, 2.5,
        "latencies 2 and 3 ms from t_start"
    );
    // ISIs inside the analysed span only: 2 and 12 (2.0 → 10.0 crosses the transient).
    let isis: Vec<f64> = t
        .isi_hist
        .iter()
        .filter(|r| r.count > 0)
        .map(|r| r.bin_left_ms)
        .collect();
    assert_eq!(isis, [2.0, 12.0]);
    // 5-ms windows over [10, 25): trial 0 → [2, 0, 1], trial 1 → [0, 0, 0].
    let f = &t.fano[0];
    assert_eq!((f.n_windows, f.n_counts), (3, 6));
    assert_close("mean count", f.mean_count, 0.5, 1e-15);
}

#[test]
fn main_window_row_equals_the_table_row_of_the_same_window() {
    let cfg = AnalysisConfig {
        main_window_ms: Some(100.0),
        ..AnalysisConfig::default()
    };
    let mut acc = PointAccumulator::new(&cfg, 0.0, 2000.0);
    for (id, s) in varied_trials(23, 40) {
        acc.add_trial(id, &s);
    }
    let t = acc.finish();
    let row = t.fano.iter().find(|r| r.window_ms == 100.0).unwrap();
    assert_eq!(t.summary.fano_main_window_ms, 100.0);
    assert_eq!(t.summary.fano_main, row.fano);
    assert_eq!(t.summary.fano_main_ci_low, row.fano_ci_low);
    assert_eq!(t.summary.fano_main_ci_high, row.fano_ci_high);
}

#[test]
fn silent_trials_lower_the_rate_and_raise_the_fano_factor() {
    // Regular trains (5 spikes each) have Fano 0 across trials; adding silent trials must
    // bring counts of 0 into the rate mean and the Fano factor.
    let cfg = AnalysisConfig::default();
    let mut acc = PointAccumulator::new(&cfg, 0.0, 1000.0);
    let regular = [100.0, 300.0, 500.0, 700.0, 900.0];
    acc.add_trial(0, &regular);
    acc.add_trial(1, &regular);
    assert_eq!(acc.finish().summary.fano_main, 0.0);
    acc.add_trial(2, &[]);
    acc.add_trial(3, &[]);
    let s = acc.finish().summary;
    assert_eq!(s.n_trials, 4);
    assert_eq!(s.rate_mean_hz, 2.5);
    // Counts 5, 5, 0, 0: mean 2.5, var (ddof 1) 25/3, Fano 10/3.
    assert_close("Fano with silent trials", s.fano_main, 10.0 / 3.0, 1e-15);
}

#[test]
fn fano_counts_equal_naive_window_counts_with_spikes_on_edges() {
    // The accumulator counts windows by walking sorted spikes (the previous spike's
    // window reused while the next spike is below its right edge); the naive count is
    // `count_windows`, checked against the reported edges elsewhere. Trains with spikes
    // on, just below and just above edges that are not exact in binary (analysed span
    // starting at 100.1 ms), several per window and windows skipped, must give the
    // same mean and variance of the counts, bit for bit, in every window size.
    use spikemc_analysis::{bin_edge, count_windows};
    let cfg = AnalysisConfig {
        transient_ms: 100.1,
        fano_windows_ms: vec![0.7, 10.0, 33.3, 100.0],
        ..AnalysisConfig::default()
    };
    let (start, stop) = (0.0, 1000.0);
    let t0 = start + cfg.transient_ms;
    let mut rng = Rng::seed_from_u64(97);
    let trials: Vec<Vec<f64>> = (0..12)
        .map(|trial| {
            let w = cfg.fano_windows_ms[trial % 4];
            let mut s: Vec<f64> = (0..400)
                .map(|_| {
                    let e = bin_edge(t0, w, rng.random_range(0..(900.0 / w) as usize));
                    match rng.random_range(0..4) {
                        0 => e,
                        1 => e.next_down(),
                        2 => e.next_up(),
                        _ => e + rng.random::<f64>() * w,
                    }
                })
                .filter(|&t| (start..stop).contains(&t))
                .collect();
            s.sort_by(f64::total_cmp);
            s
        })
        .collect();
    let mut acc = PointAccumulator::new(&cfg, start, stop);
    for (id, s) in trials.iter().enumerate() {
        acc.add_trial(id as u32, s);
    }
    let tables = acc.finish();
    for row in &tables.fano {
        let n = row.n_windows as usize;
        let mut counts = Vec::new();
        for s in &trials {
            let analysed: Vec<f64> = s.iter().copied().filter(|&t| t >= t0).collect();
            let mut out = vec![0i64; n];
            count_windows(&analysed, t0, row.window_ms, n, &mut out);
            counts.extend(out);
        }
        let k = counts.len() as f64;
        let mean = counts.iter().sum::<i64>() as f64 / k;
        let var = counts
            .iter()
            .map(|&c| (c as f64 - mean).powi(2))
            .sum::<f64>()
            / (k - 1.0);
        // Rounding of two ways of summing ≤ 10⁴ small integers and their squares stays
        // below 1e-12 relative; one count moved between windows changes the variance by
        // ≥ 2/(k − 1) ≈ 10⁻⁴ relative (k counts), and one lost count the mean by 1/k.
        assert_eq!(
            row.n_counts as usize,
            counts.len(),
            "window {}",
            row.window_ms
        );
        let what = format!("window {} ms", row.window_ms);
        assert_close(&what, row.mean_count, mean, 1e-12 * mean);
        assert_close(&what, row.var_count, var, 1e-12 * var);
    }
}
