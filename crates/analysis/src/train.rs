//! Per-trial statistics of one spike train.

use crate::{LVR_R_MS, cv, cv2, lv, lvr};

/// The spikes of a sorted train that lie in `[t_start_ms, t_stop_ms)` \[ms\].
///
/// Left-closed: a spike exactly at `t_start_ms` is kept, one exactly at `t_stop_ms` is not.
pub fn spikes_in(spikes_ms: &[f64], t_start_ms: f64, t_stop_ms: f64) -> &[f64] {
    debug_assert!(
        spikes_ms.is_sorted(),
        "spike times must be sorted ascending"
    );
    let a = spikes_ms.partition_point(|&t| t < t_start_ms);
    let b = spikes_ms.partition_point(|&t| t < t_stop_ms);
    &spikes_ms[a..b.max(a)]
}

/// Interspike intervals `t[i+1] - t[i]` of a sorted train (same unit as the input, ms in
/// spikemc); `n - 1` values for `n` spikes, none for fewer than 2.
pub fn isis(spikes_ms: &[f64]) -> Vec<f64> {
    spikes_ms.windows(2).map(|p| p[1] - p[0]).collect()
}

/// Per-trial numbers of one spike train (Elephant definitions).
///
/// Computed by [`trial_stats`] from the spikes in `[t_start, t_stop)` only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialStats {
    /// Number of spikes in `[t_start, t_stop)`.
    pub n_spikes: usize,
    /// \[Hz\] `n_spikes / (t_stop - t_start) · 1000`.
    pub rate_hz: f64,
    /// \[ms\] Latency of the first spike from `t_start`; `None` without spikes.
    pub first_spike_ms: Option<f64>,
    /// \[ms\] Mean ISI; `None` with fewer than 1 interval (fewer than 2 spikes).
    pub isi_mean_ms: Option<f64>,
    /// ISI coefficient of variation, population std (`ddof = 0`, as Elephant's `cv`) over
    /// mean; `None` with fewer than 2 intervals. See [`cv`].
    pub isi_cv: Option<f64>,
    /// CV2 (Holt et al. 1996); `None` with fewer than 2 intervals. See [`cv2`].
    pub cv2: Option<f64>,
    /// Local variation LV (Shinomoto et al. 2003); `None` with fewer than 2 intervals.
    /// See [`lv`].
    pub lv: Option<f64>,
    /// Revised local variation LvR with `R` = [`LVR_R_MS`] = 5 ms (Shinomoto et al. 2009);
    /// `None` with fewer than 2 intervals. See [`lvr`].
    pub lvr: Option<f64>,
}

/// Per-trial statistics of the spikes of a sorted train in `[t_start_ms, t_stop_ms)` \[ms\].
///
/// Spikes outside the interval are ignored, so passing `t_start + transient` analyses the
/// stationary part only (the latency is then measured from that later start).
///
/// # Panics
/// If the interval is not finite or `t_stop_ms <= t_start_ms`.
pub fn trial_stats(spikes_ms: &[f64], t_start_ms: f64, t_stop_ms: f64) -> TrialStats {
    assert!(
        t_start_ms.is_finite() && t_stop_ms.is_finite() && t_stop_ms > t_start_ms,
        "trial interval [{t_start_ms}, {t_stop_ms}) ms must be finite and non-empty"
    );
    let s = spikes_in(spikes_ms, t_start_ms, t_stop_ms);
    let intervals = isis(s);
    TrialStats {
        n_spikes: s.len(),
        rate_hz: s.len() as f64 / (t_stop_ms - t_start_ms) * 1000.0,
        first_spike_ms: s.first().map(|&t| t - t_start_ms),
        isi_mean_ms: (!intervals.is_empty())
            .then(|| intervals.iter().sum::<f64>() / intervals.len() as f64),
        isi_cv: cv(&intervals),
        cv2: cv2(&intervals),
        lv: lv(&intervals),
        lvr: lvr(&intervals, LVR_R_MS),
    }
}
