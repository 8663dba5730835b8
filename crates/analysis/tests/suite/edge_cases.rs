//! Edge cases: empty and short trains, interval edges, zero trials, bad input.

use spikemc_analysis::{
    AnalysisConfig, AnalysisError, PointAccumulator, bin_edge, count_windows, cv, cv2, lv, lvr,
    trial_stats,
};

#[test]
fn empty_trial_has_zero_rate_and_no_interval_statistics() {
    let s = trial_stats(&[], 0.0, 500.0);
    assert_eq!(s.n_spikes, 0);
    assert_eq!(s.rate_hz, 0.0);
    assert_eq!(s.first_spike_ms, None);
    assert_eq!(s.isi_mean_ms, None);
    assert_eq!((s.isi_cv, s.cv2, s.lv, s.lvr), (None, None, None, None));
}

#[test]
fn one_spike_gives_latency_but_no_isi() {
    let s = trial_stats(&[120.0], 100.0, 600.0);
    assert_eq!(s.n_spikes, 1);
    assert_eq!(s.rate_hz, 2.0);
    assert_eq!(s.first_spike_ms, Some(20.0), "latency from t_start");
    assert_eq!(s.isi_mean_ms, None);
    assert_eq!(s.isi_cv, None);
}

#[test]
fn one_interval_gives_mean_but_no_variability() {
    let s = trial_stats(&[10.0, 30.0], 0.0, 1000.0);
    assert_eq!(s.isi_mean_ms, Some(20.0));
    assert_eq!((s.isi_cv, s.cv2, s.lv, s.lvr), (None, None, None, None));
    // Two intervals are enough.
    let s = trial_stats(&[10.0, 30.0, 40.0], 0.0, 1000.0);
    assert_eq!(s.isi_cv, Some(5.0 / 15.0));
    assert!(s.cv2.is_some() && s.lv.is_some() && s.lvr.is_some());
}

#[test]
fn interval_functions_need_two_intervals() {
    for short in [&[][..], &[4.0][..]] {
        assert_eq!(
            (cv(short), cv2(short), lv(short), lvr(short, 5.0)),
            (None, None, None, None)
        );
    }
}

#[test]
fn trial_interval_is_left_closed() {
    // 100.0 = t_start is in, 200.0 = t_stop is out, 50.0 and 250.0 are outside.
    let s = trial_stats(&[50.0, 100.0, 150.0, 200.0, 250.0], 100.0, 200.0);
    assert_eq!(s.n_spikes, 2);
    assert_eq!(s.first_spike_ms, Some(0.0));
    assert_eq!(s.isi_mean_ms, Some(50.0));
}

#[test]
fn count_windows_agrees_with_the_reported_edges() {
    // Spikes on and next to edges whose decimal values are not exact in binary
    // (t0 = 0.1, w = 0.1: 0.1 + 2·0.1 ≠ 0.3): each spike must land in the window whose
    // reported edges [bin_edge(k), bin_edge(k+1)) contain it, compared naively.
    let (t0, w, n) = (0.1, 0.1, 50usize);
    let mut spikes: Vec<f64> = (0..=n + 2)
        .flat_map(|k| {
            let e = bin_edge(t0, w, k);
            [
                e,
                e.next_down(),
                0.1 * (k as f64 + 1.0),
                0.1 + 0.1 * k as f64,
            ]
        })
        .chain([0.0, 0.05])
        .collect();
    spikes.sort_by(f64::total_cmp);
    let mut out = vec![-1i64; n];
    count_windows(&spikes, t0, w, n, &mut out);
    for (k, &c) in out.iter().enumerate() {
        let (a, b) = (bin_edge(t0, w, k), bin_edge(t0, w, k + 1));
        let naive = spikes.iter().filter(|&&t| a <= t && t < b).count() as i64;
        assert_eq!(c, naive, "window {k} = [{a}, {b})");
    }
    let inside = spikes
        .iter()
        .filter(|&&t| t0 <= t && t < bin_edge(t0, w, n))
        .count() as i64;
    assert_eq!(out.iter().sum::<i64>(), inside);
}

#[test]
fn zero_trials_finish_with_nan_statistics() {
    let acc = PointAccumulator::new(&AnalysisConfig::default(), 0.0, 1000.0);
    let t = acc.finish();
    let s = t.summary;
    assert_eq!((s.n_trials, s.n_spikes_total, s.n_trials_silent), (0, 0, 0));
    for (name, v) in [
        ("rate_mean_hz", s.rate_mean_hz),
        ("rate_sd_hz", s.rate_sd_hz),
        ("rate_ci_low_hz", s.rate_ci_low_hz),
        ("rate_ci_high_hz", s.rate_ci_high_hz),
        ("rate_t_ci_low_hz", s.rate_t_ci_low_hz),
        ("isi_cv_pooled", s.isi_cv_pooled),
        ("isi_cv_mean", s.isi_cv_mean),
        ("fano_main", s.fano_main),
        ("first_spike_mean_ms", s.first_spike_mean_ms),
    ] {
        assert!(v.is_nan(), "{name} = {v}, expected NaN");
    }
    assert_eq!(t.fano.len(), 7);
    assert!(t.fano.iter().all(|r| r.n_counts == 0 && r.fano.is_nan()));
    assert_eq!(t.psth.len(), 100);
    assert!(t.psth.iter().all(|r| r.count == 0 && r.rate_hz.is_nan()));
    assert!(
        t.isi_hist
            .iter()
            .all(|r| r.count == 0 && r.density_per_ms.is_nan())
    );
}

#[test]
fn only_silent_trials_give_nan_fano_and_zero_rate() {
    let mut acc = PointAccumulator::new(&AnalysisConfig::default(), 0.0, 1000.0);
    for trial in 0..5 {
        acc.add_trial(trial, &[]);
    }
    let t = acc.finish();
    assert_eq!(t.summary.rate_mean_hz, 0.0);
    assert_eq!(t.summary.rate_ci_low_hz, 0.0);
    assert!(
        t.summary.rate_ci_high_hz > 0.0,
        "Garwood upper bound for 0 spikes"
    );
    assert_eq!(t.summary.n_trials_silent, 5);
    assert!(t.summary.fano_main.is_nan(), "mean count 0: Fano undefined");
    assert!(
        t.fano
            .iter()
            .all(|r| r.mean_count == 0.0 && r.fano.is_nan())
    );
}

#[test]
fn main_window_longer_than_the_span_is_nan() {
    let cfg = AnalysisConfig {
        main_window_ms: Some(5000.0),
        ..AnalysisConfig::default()
    };
    let mut acc = PointAccumulator::new(&cfg, 0.0, 1000.0);
    acc.add_trial(0, &[1.0, 2.0]);
    acc.add_trial(1, &[3.0]);
    let s = acc.finish().summary;
    assert_eq!(s.fano_main_window_ms, 5000.0);
    assert!(s.fano_main.is_nan());
}

#[test]
#[should_panic(expected = "trial 3 was added more than once")]
fn duplicate_trial_ids_are_refused() {
    let cfg = AnalysisConfig::default();
    let mut a = PointAccumulator::new(&cfg, 0.0, 100.0);
    let mut b = PointAccumulator::new(&cfg, 0.0, 100.0);
    a.add_trial(3, &[1.0]);
    b.add_trial(3, &[1.0]);
    a.merge(b);
    a.finish();
}

#[test]
#[should_panic(expected = "cannot merge")]
fn merging_different_intervals_is_refused() {
    let cfg = AnalysisConfig::default();
    let mut a = PointAccumulator::new(&cfg, 0.0, 100.0);
    a.merge(PointAccumulator::new(&cfg, 0.0, 200.0));
}

fn field_of(cfg: &AnalysisConfig) -> &'static str {
    match cfg.validate() {
        Err(AnalysisError::InvalidConfig { field, .. }) => field,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn validation_names_the_offending_field() {
    let ok = AnalysisConfig::default();
    assert_eq!(ok.validate(), Ok(()));
    let cases: [(&str, AnalysisConfig); 9] = [
        (
            "transient_ms",
            AnalysisConfig {
                transient_ms: -1.0,
                ..ok.clone()
            },
        ),
        (
            "isi_bin_ms",
            AnalysisConfig {
                isi_bin_ms: 0.0,
                ..ok.clone()
            },
        ),
        (
            "isi_max_ms",
            AnalysisConfig {
                isi_max_ms: f64::INFINITY,
                ..ok.clone()
            },
        ),
        (
            "isi_max_ms",
            AnalysisConfig {
                isi_max_ms: 200.5,
                ..ok.clone()
            },
        ),
        (
            "fano_windows_ms",
            AnalysisConfig {
                fano_windows_ms: vec![10.0, 10.0],
                ..ok.clone()
            },
        ),
        (
            "fano_windows_ms",
            AnalysisConfig {
                fano_windows_ms: vec![-5.0],
                ..ok.clone()
            },
        ),
        (
            "main_window_ms",
            AnalysisConfig {
                main_window_ms: Some(f64::NAN),
                ..ok.clone()
            },
        ),
        (
            "psth_bin_ms",
            AnalysisConfig {
                psth_bin_ms: -10.0,
                ..ok.clone()
            },
        ),
        (
            "confidence",
            AnalysisConfig {
                confidence: 1.0,
                ..ok.clone()
            },
        ),
    ];
    for (field, cfg) in cases {
        assert_eq!(field_of(&cfg), field, "{cfg:?}");
    }
    let msg = AnalysisConfig {
        isi_bin_ms: -2.0,
        ..ok.clone()
    }
    .validate()
    .unwrap_err()
    .to_string();
    assert!(
        msg.contains("isi_bin_ms") && msg.contains("-2 ms") && msg.contains("> 0"),
        "{msg}"
    );
    // Span-dependent checks.
    assert!(ok.validate_span(0.0, 1000.0).is_ok());
    assert!(ok.validate_span(10.0, 10.0).is_err());
    let long_transient = AnalysisConfig {
        transient_ms: 1000.0,
        ..ok.clone()
    };
    assert!(long_transient.validate().is_ok());
    assert!(long_transient.validate_span(0.0, 1000.0).is_err());
}
