//! Interspike-interval statistics: CV, CV2, LV, LvR (Elephant definitions).

/// \[ms\] Refractoriness constant `R` of [`lvr`] used in [`TrialStats`](crate::TrialStats):
/// 5 ms, the value Shinomoto et al. (2009) recommend and Elephant's default.
pub const LVR_R_MS: f64 = 5.0;

/// Mean and sum of squared deviations `(n, mean, m2)` by two passes (accurate even when
/// the spread is tiny compared with the mean, e.g. regular firing).
pub(crate) fn moments(x: &[f64]) -> (usize, f64, f64) {
    let n = x.len();
    if n == 0 {
        return (0, f64::NAN, f64::NAN);
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let m2 = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>();
    (n, mean, m2)
}

/// Coefficient of variation `std / mean` of a sample, with the **population** standard
/// deviation (`ddof = 0`), as Elephant's `cv` (`scipy.stats.variation`).
///
/// Applied to ISIs \[any time unit\] it is the ISI CV (dimensionless): 1 for a Poisson
/// process, `1/sqrt(k)` for a gamma process of shape `k`, 0 for a regular train.
/// Returns `None` with fewer than 2 values (one value has no spread to speak of).
pub fn cv(x: &[f64]) -> Option<f64> {
    if x.len() < 2 {
        return None;
    }
    let (n, mean, m2) = moments(x);
    Some((m2 / n as f64).sqrt() / mean)
}

/// CV2 of Holt et al. (1996), doi:10.1152/jn.1996.75.5.1806:
/// `2/(n-1) · Σ |I[i+1] - I[i]| / (I[i+1] + I[i])` over the `n` ISIs (any time unit).
///
/// 1 for a Poisson process, 0 for a regular train; robust to slow rate changes.
/// Returns `None` with fewer than 2 intervals.
pub fn cv2(isis: &[f64]) -> Option<f64> {
    if isis.len() < 2 {
        return None;
    }
    let s: f64 = isis
        .windows(2)
        .map(|p| (p[1] - p[0]).abs() / (p[1] + p[0]))
        .sum();
    Some(2.0 * s / (isis.len() - 1) as f64)
}

/// Local variation LV of Shinomoto et al. (2003), doi:10.1162/089976603322518759:
/// `3/(n-1) · Σ ((I[i] - I[i+1]) / (I[i] + I[i+1]))²` over the `n` ISIs (any time unit).
///
/// 1 for a Poisson process, 0 for a regular train. Returns `None` with fewer than 2
/// intervals.
pub fn lv(isis: &[f64]) -> Option<f64> {
    if isis.len() < 2 {
        return None;
    }
    let s: f64 = isis
        .windows(2)
        .map(|p| {
            let d = (p[0] - p[1]) / (p[0] + p[1]);
            d * d
        })
        .sum();
    Some(3.0 * s / (isis.len() - 1) as f64)
}

/// Revised local variation LvR of Shinomoto et al. (2009), doi:10.1371/journal.pcbi.1000433:
/// `3/(n-1) · Σ (1 - 4 I[i] I[i+1] / (I[i] + I[i+1])²) · (1 + 4 r_ms / (I[i] + I[i+1]))`.
///
/// `isis` and `r_ms` (the refractoriness constant) in ms; [`LVR_R_MS`] = 5 ms is the
/// usual choice. Returns `None` with fewer than 2 intervals.
pub fn lvr(isis: &[f64], r_ms: f64) -> Option<f64> {
    if isis.len() < 2 {
        return None;
    }
    let s: f64 = isis
        .windows(2)
        .map(|p| {
            let sum = p[0] + p[1];
            (1.0 - 4.0 * p[0] * p[1] / (sum * sum)) * (1.0 + 4.0 * r_ms / sum)
        })
        .sum();
    Some(3.0 * s / (isis.len() - 1) as f64)
}
