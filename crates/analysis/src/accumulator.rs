//! The mergeable per-point accumulator and the tables it produces.

use crate::count::{CountMoments, SortedBins, bin_edge, bin_index, n_whole_windows};
use crate::interval::moments;
use crate::train::{isis, spikes_in};
use crate::{
    AnalysisConfig, cv, dispersion_p_value, fano_interval, garwood_interval, student_t_interval,
};

/// Per-point summary, one row of `summary.parquet` (the lead adds the point id).
///
/// Rates, ISIs, CVs and Fano factors use the analysed span `[t_start + transient, t_stop)`;
/// `first_spike_mean_ms` and `n_trials_silent` use the whole trial. Undefined values are
/// `NaN`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SummaryRow {
    /// Number of trials (including silent ones).
    pub n_trials: i64,
    /// Spikes in the analysed span, summed over trials.
    pub n_spikes_total: i64,
    /// \[Hz\] Mean over trials of the per-trial rate (= total count / total analysed time).
    pub rate_mean_hz: f64,
    /// \[Hz\] Standard deviation of the per-trial rates across trials (`ddof = 1`); `NaN`
    /// with fewer than 2 trials.
    pub rate_sd_hz: f64,
    /// \[Hz\] Lower bound of the exact Poisson (Garwood) interval of the rate: the interval
    /// for the total count divided by the total analysed time. See
    /// [`garwood_interval`](crate::garwood_interval). Assumes Poisson counts, so it is too
    /// narrow for over-dispersed firing (Fano > 1); compare with the Student-t interval.
    pub rate_ci_low_hz: f64,
    /// \[Hz\] Upper bound of the Garwood rate interval.
    pub rate_ci_high_hz: f64,
    /// \[Hz\] Lower bound of the Student-t interval of the mean rate across trials (no
    /// Poisson assumption; trials are independent by construction). `NaN` for < 2 trials.
    pub rate_t_ci_low_hz: f64,
    /// \[Hz\] Upper bound of the Student-t interval of the mean rate.
    pub rate_t_ci_high_hz: f64,
    /// CV (`ddof = 0`) of all ISIs of all trials pooled; `NaN` with fewer than 2 ISIs.
    pub isi_cv_pooled: f64,
    /// Mean of the per-trial ISI CVs over the trials that have one (>= 2 ISIs); `NaN` if
    /// none has.
    pub isi_cv_mean: f64,
    /// Fano factor (`ddof = 1`) of the counts in the main window (see
    /// [`AnalysisConfig::main_window_ms`]), pooled over trials and windows; `NaN` if the
    /// mean count is 0, there are fewer than 2 counts or the window exceeds the span.
    pub fano_main: f64,
    /// Lower bound of the χ² interval of `fano_main` (see
    /// [`fano_interval`](crate::fano_interval)).
    pub fano_main_ci_low: f64,
    /// Upper bound of the χ² interval of `fano_main`.
    pub fano_main_ci_high: f64,
    /// \[ms\] Window of `fano_main`: `main_window_ms`, or the analysed span if that is
    /// `None`.
    pub fano_main_window_ms: f64,
    /// \[ms\] Mean first-spike latency from `t_start` over the trials with a spike;
    /// `NaN` if no trial has one.
    pub first_spike_mean_ms: f64,
    /// Trials without any spike in `[t_start, t_stop)`.
    pub n_trials_silent: i64,
}

/// One bin of the pooled ISI histogram (`isi_hist.parquet`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsiHistRow {
    /// \[ms\] Left edge (inclusive).
    pub bin_left_ms: f64,
    /// \[ms\] Right edge (exclusive); `+inf` for the overflow bin `[isi_max_ms, +inf)`.
    pub bin_right_ms: f64,
    /// ISIs in the bin, all trials pooled.
    pub count: i64,
    /// \[1/ms\] `count / (total ISIs · bin width)`, so the regular bins integrate to the
    /// fraction of ISIs below `isi_max_ms`. `NaN` for the overflow bin (no finite width)
    /// and for every bin when there are no ISIs.
    pub density_per_ms: f64,
}

/// Count statistics for one counting window (`fano.parquet`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FanoRow {
    /// \[ms\] Window length.
    pub window_ms: f64,
    /// Number of trials.
    pub n_trials: i64,
    /// Windows per trial: whole windows tiling the analysed span from its start; a
    /// remainder shorter than a window is unused.
    pub n_windows: i64,
    /// Counts pooled: `n_trials · n_windows`.
    pub n_counts: i64,
    /// Mean spike count per window.
    pub mean_count: f64,
    /// Variance of the counts (`ddof = 1`).
    pub var_count: f64,
    /// `var_count / mean_count`; `NaN` if `mean_count` is 0 or `n_counts < 2`.
    pub fano: f64,
    /// Lower bound of the χ² interval (see [`fano_interval`](crate::fano_interval)).
    pub fano_ci_low: f64,
    /// Upper bound of the χ² interval.
    pub fano_ci_high: f64,
    /// Two-sided p-value of the Poisson dispersion test (see
    /// [`dispersion_p_value`](crate::dispersion_p_value)).
    pub dispersion_p_value: f64,
}

/// One bin of the peri-stimulus time histogram over the whole trial (`psth.parquet`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PsthRow {
    /// \[ms\] Left edge (inclusive), from `t_start`.
    pub bin_left_ms: f64,
    /// \[ms\] Right edge (exclusive); the last bin ends at `t_stop` and may be narrower.
    pub bin_right_ms: f64,
    /// Spikes in the bin, all trials pooled.
    pub count: i64,
    /// \[Hz\] `count / (n_trials · width) · 1000`; `NaN` without trials.
    pub rate_hz: f64,
}

/// All tables of one sweep point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointTables {
    /// The per-point summary.
    pub summary: SummaryRow,
    /// ISI histogram: the regular bins, then the overflow bin.
    pub isi_hist: Vec<IsiHistRow>,
    /// One row per configured Fano window that fits in the analysed span, in order.
    pub fano: Vec<FanoRow>,
    /// PSTH bins tiling `[t_start, t_stop)`.
    pub psth: Vec<PsthRow>,
}

/// What finishing needs from one trial beyond integer counts; kept per trial so floating
/// sums can be formed in trial-id order.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TrialRecord {
    trial: u32,
    n_isi: u64,
    isi_mean: f64,
    isi_m2: f64,
    isi_cv: Option<f64>,
    first_spike_ms: Option<f64>,
}

/// Counts of one window length, pooled over trials.
#[derive(Debug, Clone, PartialEq)]
struct WindowCounts {
    window_ms: f64,
    n_windows: usize,
    moments: CountMoments,
}

impl WindowCounts {
    fn new(window_ms: f64, span_ms: f64) -> Self {
        Self {
            window_ms,
            n_windows: n_whole_windows(span_ms, window_ms),
            moments: CountMoments::default(),
        }
    }

    /// Adds one trial's counts; `s` holds its spikes in the analysed span, starting at `t0`.
    fn add(&mut self, s: &[f64], t0: f64) {
        // Sorted spikes fall into windows in runs: push each run's length, then the
        // windows that got no spike as zeros.
        let mut nonempty = 0u64;
        let mut current = usize::MAX;
        let mut bins = SortedBins::new(t0, self.window_ms);
        let mut run = 0i64;
        for &t in s {
            let k = bins.index(t);
            if k >= self.n_windows {
                break;
            }
            if k != current {
                if run > 0 {
                    self.moments.push(run);
                    nonempty += 1;
                }
                current = k;
                run = 0;
            }
            run += 1;
        }
        if run > 0 {
            self.moments.push(run);
            nonempty += 1;
        }
        self.moments
            .push_repeated(0, self.n_windows as u64 - nonempty);
    }

    fn row(&self, n_trials: u64, confidence: f64) -> FanoRow {
        let m = &self.moments;
        let fano = m.fano(1);
        let (fano_ci_low, fano_ci_high) = fano_interval(fano, m.n, confidence);
        FanoRow {
            window_ms: self.window_ms,
            n_trials: n_trials as i64,
            n_windows: self.n_windows as i64,
            n_counts: m.n as i64,
            mean_count: m.mean(),
            var_count: m.var(1),
            fano,
            fano_ci_low,
            fano_ci_high,
            dispersion_p_value: dispersion_p_value(fano, m.n),
        }
    }
}

/// Mergeable accumulator of the statistics of one sweep point.
///
/// Feed every trial once with [`add_trial`](Self::add_trial) (in any order, possibly into
/// several accumulators that are [`merge`](Self::merge)d later) and call
/// [`finish`](Self::finish). The tables are bit-identical however the trials were ordered
/// or chunked: counts are kept as exact integer sums, and the few floating-point
/// per-trial values (ISI moments, CV, latency) are summed in trial-id order at the end.
///
/// Memory: the histograms and counters are fixed in size; per trial the accumulator keeps
/// one 64-byte record (≈ 64 MB per million trials of one point).
#[derive(Debug, Clone)]
pub struct PointAccumulator {
    cfg: AnalysisConfig,
    t_start_ms: f64,
    t_stop_ms: f64,
    /// `t_start + transient`.
    t_analysed_ms: f64,
    trial_counts: CountMoments,
    n_silent: u64,
    /// `isi_bins` regular bins, then the overflow bin.
    isi_hist: Vec<u64>,
    isi_bins: usize,
    psth: Vec<u64>,
    fano: Vec<WindowCounts>,
    fano_main: WindowCounts,
    trials: Vec<TrialRecord>,
}

impl PointAccumulator {
    /// An empty accumulator for trials over `[t_start_ms, t_stop_ms)` \[ms\].
    ///
    /// # Panics
    /// If `cfg.validate()` or `cfg.validate_span(t_start_ms, t_stop_ms)` fails (validate
    /// the configuration when reading the experiment, not here).
    pub fn new(cfg: &AnalysisConfig, t_start_ms: f64, t_stop_ms: f64) -> Self {
        if let Err(e) = cfg
            .validate()
            .and_then(|()| cfg.validate_span(t_start_ms, t_stop_ms))
        {
            panic!("invalid analysis configuration: {e}");
        }
        let t_analysed_ms = t_start_ms + cfg.transient_ms;
        let span = t_stop_ms - t_analysed_ms;
        let isi_bins = (cfg.isi_max_ms / cfg.isi_bin_ms).round() as usize;
        let psth_bins = ((t_stop_ms - t_start_ms) / cfg.psth_bin_ms * (1.0 - 1e-9))
            .ceil()
            .max(1.0) as usize;
        Self {
            cfg: cfg.clone(),
            t_start_ms,
            t_stop_ms,
            t_analysed_ms,
            trial_counts: CountMoments::default(),
            n_silent: 0,
            isi_hist: vec![0; isi_bins + 1],
            isi_bins,
            psth: vec![0; psth_bins],
            fano: cfg
                .fano_windows_ms
                .iter()
                .map(|&w| WindowCounts::new(w, span))
                .filter(|w| w.n_windows > 0)
                .collect(),
            fano_main: WindowCounts::new(cfg.main_window_ms.unwrap_or(span), span),
            trials: Vec::new(),
        }
    }

    /// Number of trials added so far.
    pub fn n_trials(&self) -> usize {
        self.trials.len()
    }

    /// \[ms\] Start of the analysed span, `t_start + transient`.
    pub fn analysed_start_ms(&self) -> f64 {
        self.t_analysed_ms
    }

    /// Adds trial `trial`, whose spike times \[ms\] are `spikes_ms`, sorted ascending.
    /// Spikes outside `[t_start, t_stop)` are ignored. A trial without spikes must be added
    /// too (it counts in the rate, the Fano factors and `n_trials_silent`).
    ///
    /// Each trial id must be added exactly once over all accumulators that are merged;
    /// [`finish`](Self::finish) panics on duplicates.
    pub fn add_trial(&mut self, trial: u32, spikes_ms: &[f64]) {
        let whole = spikes_in(spikes_ms, self.t_start_ms, self.t_stop_ms);
        let s = spikes_in(whole, self.t_analysed_ms, self.t_stop_ms);

        self.trial_counts.push(s.len() as i64);
        if whole.is_empty() {
            self.n_silent += 1;
        }

        let psth_last = self.psth.len() - 1;
        let mut psth_bins = SortedBins::new(self.t_start_ms, self.cfg.psth_bin_ms);
        for &t in whole {
            let k = psth_bins.index(t).min(psth_last);
            self.psth[k] += 1;
        }

        let intervals = isis(s);
        let overflow_from = bin_edge(0.0, self.cfg.isi_bin_ms, self.isi_bins);
        for &isi in &intervals {
            let k = if isi >= overflow_from {
                self.isi_bins
            } else {
                bin_index(isi, 0.0, self.cfg.isi_bin_ms).min(self.isi_bins - 1)
            };
            self.isi_hist[k] += 1;
        }

        for w in &mut self.fano {
            w.add(s, self.t_analysed_ms);
        }
        self.fano_main.add(s, self.t_analysed_ms);

        let (n_isi, isi_mean, isi_m2) = moments(&intervals);
        self.trials.push(TrialRecord {
            trial,
            n_isi: n_isi as u64,
            isi_mean,
            isi_m2,
            isi_cv: cv(&intervals),
            first_spike_ms: whole.first().map(|&t| t - self.t_start_ms),
        });
    }

    /// Adds everything `other` has accumulated.
    ///
    /// # Panics
    /// If `other` was made with a different configuration or trial interval.
    pub fn merge(&mut self, other: PointAccumulator) {
        assert!(
            self.cfg == other.cfg
                && self.t_start_ms == other.t_start_ms
                && self.t_stop_ms == other.t_stop_ms,
            "cannot merge accumulators of different configurations or trial intervals"
        );
        self.trial_counts.merge(&other.trial_counts);
        self.n_silent += other.n_silent;
        for (a, b) in self.isi_hist.iter_mut().zip(&other.isi_hist) {
            *a += b;
        }
        for (a, b) in self.psth.iter_mut().zip(&other.psth) {
            *a += b;
        }
        for (a, b) in self.fano.iter_mut().zip(&other.fano) {
            a.moments.merge(&b.moments);
        }
        self.fano_main.moments.merge(&other.fano_main.moments);
        self.trials.extend(other.trials);
    }

    /// The tables of everything added so far (the accumulator stays usable).
    ///
    /// # Panics
    /// If a trial id was added more than once.
    pub fn finish(&self) -> PointTables {
        let mut order: Vec<&TrialRecord> = self.trials.iter().collect();
        order.sort_unstable_by_key(|r| r.trial);
        if let Some(p) = order.windows(2).find(|p| p[0].trial == p[1].trial) {
            panic!("trial {} was added more than once", p[0].trial);
        }
        let n_trials = order.len() as u64;
        let conf = self.cfg.confidence;
        let span = self.t_stop_ms - self.t_analysed_ms;
        let to_hz = 1000.0 / span;

        let counts = &self.trial_counts;
        let rate_mean_hz = counts.mean() * to_hz;
        let rate_sd_hz = counts.var(1).sqrt() * to_hz;
        let (rate_ci_low_hz, rate_ci_high_hz) = if n_trials == 0 {
            (f64::NAN, f64::NAN)
        } else {
            let (lo, hi) = garwood_interval(counts.sum as u64, conf);
            let total_s = n_trials as f64 * span / 1000.0;
            (lo / total_s, hi / total_s)
        };
        let (rate_t_ci_low_hz, rate_t_ci_high_hz) =
            student_t_interval(rate_mean_hz, rate_sd_hz, n_trials, conf);

        // Pool the ISI moments in trial order (Chan et al.'s pairwise update).
        let (mut n, mut mean, mut m2) = (0u64, 0.0f64, 0.0f64);
        for r in order.iter().filter(|r| r.n_isi > 0) {
            let total = n + r.n_isi;
            let delta = r.isi_mean - mean;
            mean += delta * r.n_isi as f64 / total as f64;
            m2 += r.isi_m2 + delta * delta * n as f64 * r.n_isi as f64 / total as f64;
            n = total;
        }
        let isi_cv_pooled = if n >= 2 {
            (m2 / n as f64).sqrt() / mean
        } else {
            f64::NAN
        };

        let main = self.fano_main.row(n_trials, conf);
        let summary = SummaryRow {
            n_trials: n_trials as i64,
            n_spikes_total: counts.sum as i64,
            rate_mean_hz,
            rate_sd_hz,
            rate_ci_low_hz,
            rate_ci_high_hz,
            rate_t_ci_low_hz,
            rate_t_ci_high_hz,
            isi_cv_pooled,
            isi_cv_mean: mean_in_order(order.iter().filter_map(|r| r.isi_cv)),
            fano_main: main.fano,
            fano_main_ci_low: main.fano_ci_low,
            fano_main_ci_high: main.fano_ci_high,
            fano_main_window_ms: main.window_ms,
            first_spike_mean_ms: mean_in_order(order.iter().filter_map(|r| r.first_spike_ms)),
            n_trials_silent: self.n_silent as i64,
        };

        let total_isis: u64 = self.isi_hist.iter().sum();
        let isi_hist = self
            .isi_hist
            .iter()
            .enumerate()
            .map(|(k, &count)| {
                let left = bin_edge(0.0, self.cfg.isi_bin_ms, k);
                if k == self.isi_bins {
                    IsiHistRow {
                        bin_left_ms: left,
                        bin_right_ms: f64::INFINITY,
                        count: count as i64,
                        density_per_ms: f64::NAN,
                    }
                } else {
                    let right = bin_edge(0.0, self.cfg.isi_bin_ms, k + 1);
                    IsiHistRow {
                        bin_left_ms: left,
                        bin_right_ms: right,
                        count: count as i64,
                        density_per_ms: count as f64 / (total_isis as f64 * (right - left)),
                    }
                }
            })
            .collect();

        let last = self.psth.len() - 1;
        let psth = self
            .psth
            .iter()
            .enumerate()
            .map(|(k, &count)| {
                let left = bin_edge(self.t_start_ms, self.cfg.psth_bin_ms, k);
                let right = if k == last {
                    self.t_stop_ms
                } else {
                    bin_edge(self.t_start_ms, self.cfg.psth_bin_ms, k + 1)
                };
                PsthRow {
                    bin_left_ms: left,
                    bin_right_ms: right,
                    count: count as i64,
                    rate_hz: count as f64 / (n_trials as f64 * (right - left)) * 1000.0,
                }
            })
            .collect();

        PointTables {
            summary,
            isi_hist,
            fano: self.fano.iter().map(|w| w.row(n_trials, conf)).collect(),
            psth,
        }
    }
}

/// Mean of values already in trial order; `NaN` when empty.
fn mean_in_order(values: impl Iterator<Item = f64>) -> f64 {
    let (n, sum) = values.fold((0u64, 0.0), |(n, s), v| (n + 1, s + v));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}
