//! Spike counts in windows and bins, their exact moments and the Fano factor.

/// \[ms\] Left edge `t0 + k·width` of bin (or window) `k`.
///
/// Every edge that spikemc reports or compares against is computed by this one
/// expression, so a spike exactly on a reported edge lands in the bin that starts there.
pub fn bin_edge(t0: f64, width: f64, k: usize) -> f64 {
    t0 + index_as_f64(k) * width
}

/// `k as f64`, the same value for every k, by the one-instruction signed
/// conversion where it applies (all real indices): baseline x86-64 has no
/// unsigned one, and the emulation cost several instructions on each of the
/// ~20 edges a spike's statistics compare with.
#[inline(always)]
fn index_as_f64(k: usize) -> f64 {
    match i64::try_from(k) {
        Ok(k) => k as f64,
        Err(_) => k as f64,
    }
}

/// Index `k` of the left-closed bin `[bin_edge(t0, width, k), bin_edge(t0, width, k + 1))`
/// holding `t >= t0`. The floating-point quotient is corrected against the edges of
/// [`bin_edge`], so the result never disagrees with them.
pub fn bin_index(t: f64, t0: f64, width: f64) -> usize {
    debug_assert!(t >= t0, "{t} < {t0}");
    // `as` truncates toward zero and saturates (negative and NaN to 0, a quotient past
    // usize::MAX, only for absurd inputs, to usize::MAX): for every quotient the same
    // index as `floor()` first, without the library call `floor` is on baseline x86-64
    // (no SSE4.1), once per spike and Fano window.
    let mut k = ((t - t0) / width) as usize;
    while k > 0 && t < bin_edge(t0, width, k) {
        k -= 1;
    }
    while t >= bin_edge(t0, width, k + 1) {
        k += 1;
    }
    k
}

/// [`bin_index`] for the spikes of a sorted train, one after the other: the previous
/// spike's bin while the next one is below its right edge, else the bin after it while the
/// spike is below that one's right edge, else `bin_index`. The same index for every spike
/// (each answer is the k with `bin_edge(k) <= t < bin_edge(k + 1)`, as `bin_index`'s), with
/// one edge per bin entered instead of a division and two or more edges per spike.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SortedBins {
    t0: f64,
    width: f64,
    /// The previous spike's bin (`usize::MAX` before the first) and its right edge (−∞).
    current: usize,
    current_end: f64,
}

impl SortedBins {
    pub(crate) fn new(t0: f64, width: f64) -> Self {
        Self {
            t0,
            width,
            current: usize::MAX,
            current_end: f64::NEG_INFINITY,
        }
    }

    /// Bin of `t`, which must not precede the previous spike given.
    #[inline]
    pub(crate) fn index(&mut self, t: f64) -> usize {
        if t < self.current_end {
            return self.current;
        }
        // The next bin (none before the first spike): t ≥ its left edge, the previous
        // bin's right edge.
        let next = self.current.wrapping_add(1);
        let next_end = match self.current.checked_add(2) {
            Some(j) => bin_edge(self.t0, self.width, j),
            None => f64::NEG_INFINITY,
        };
        (self.current, self.current_end) = if t < next_end {
            (next, next_end)
        } else {
            let k = bin_index(t, self.t0, self.width);
            (k, bin_edge(self.t0, self.width, k + 1))
        };
        self.current
    }
}

/// Number of whole windows of `window_ms` that tile `span_ms` (both ms): `floor(span /
/// window)`, with a relative slack of 1e-9 so that e.g. 1000 ms / 100 ms is 10 even after
/// rounding. A remainder shorter than a window is not used.
pub fn n_whole_windows(span_ms: f64, window_ms: f64) -> usize {
    if !(span_ms > 0.0 && window_ms > 0.0) {
        return 0;
    }
    (span_ms / window_ms * (1.0 + 1e-9)).floor() as usize
}

/// Counts the spikes of a sorted train in consecutive windows
/// `[t0 + k·window, t0 + (k+1)·window)`, `k = 0..n_windows` (times in ms), writing
/// `out[k]` (overwritten, not added to). Spikes outside `[t0, t0 + n_windows·window)` are
/// ignored; a spike exactly on an edge counts in the window that starts there.
///
/// # Panics
/// If `out.len() != n_windows`.
pub fn count_windows(spikes: &[f64], t0: f64, window: f64, n_windows: usize, out: &mut [i64]) {
    assert_eq!(out.len(), n_windows, "out must hold one count per window");
    out.fill(0);
    let start = spikes.partition_point(|&t| t < t0);
    for &t in &spikes[start..] {
        let k = bin_index(t, t0, window);
        if k >= n_windows {
            break;
        }
        out[k] += 1;
    }
}

/// Exact moments of a set of integer counts: their number, sum and sum of squares in
/// integers, so merging sets in any order gives bit-identical statistics.
///
/// The variance is `(n·Σc² − (Σc)²) / (n·(n − ddof))` with the numerator computed exactly
/// in `i128` and rounded once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountMoments {
    /// Number of counts.
    pub n: u64,
    /// Σ c.
    pub sum: i128,
    /// Σ c².
    pub sum_sq: i128,
}

impl CountMoments {
    /// Moments of a slice of counts.
    pub fn from_counts(counts: &[i64]) -> Self {
        let mut m = Self::default();
        for &c in counts {
            m.push(c);
        }
        m
    }

    /// Adds one count.
    pub fn push(&mut self, c: i64) {
        self.push_repeated(c, 1);
    }

    /// Adds the count `c` `times` times (e.g. `push_repeated(0, n)` for `n` empty windows).
    pub fn push_repeated(&mut self, c: i64, times: u64) {
        let c = i128::from(c);
        self.n += times;
        self.sum += c * i128::from(times);
        self.sum_sq += c * c * i128::from(times);
    }

    /// Adds all counts of `other`.
    pub fn merge(&mut self, other: &Self) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }

    /// Mean count; `NaN` without counts.
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        self.sum as f64 / self.n as f64
    }

    /// `n·Σc² − (Σc)² = n · Σ(c − mean)²`, exact.
    fn scaled_ss(&self) -> i128 {
        i128::from(self.n) * self.sum_sq - self.sum * self.sum
    }

    /// Variance with `ddof` delta degrees of freedom (`ddof = 1`: unbiased sample
    /// variance; `ddof = 0`: population variance); `NaN` unless `n > ddof`.
    pub fn var(&self, ddof: u32) -> f64 {
        let dof = self.n.saturating_sub(u64::from(ddof));
        if dof == 0 {
            return f64::NAN;
        }
        self.scaled_ss() as f64 / (self.n as f64 * dof as f64)
    }

    /// Fano factor `var(ddof) / mean`; `NaN` if the mean is 0 (all counts zero: the
    /// dispersion of a process that never fired is undefined) or `n <= ddof`.
    pub fn fano(&self, ddof: u32) -> f64 {
        let dof = self.n.saturating_sub(u64::from(ddof));
        if dof == 0 || self.sum == 0 {
            return f64::NAN;
        }
        // var / mean = [ss / (n·dof)] / [sum / n] = ss / (dof · sum): one rounding less.
        self.scaled_ss() as f64 / (dof as f64 * self.sum as f64)
    }
}

/// Fano factor `var / mean` of spike counts, with `ddof` delta degrees of freedom in the
/// variance.
///
/// Elephant's `fanofactor` uses `ddof = 0` (`np.var`); spikemc's tables use the unbiased
/// `ddof = 1`, whose expectation is exactly 1 for Poisson counts. Returns `NaN` if the mean
/// is 0 or there are no more than `ddof` counts (Elephant also returns `NaN` there).
pub fn fano_factor(counts: &[i64], ddof: u32) -> f64 {
    CountMoments::from_counts(counts).fano(ddof)
}

#[cfg(test)]
mod tests {
    use super::{SortedBins, bin_edge, bin_index, index_as_f64};
    use rand::{Rng, SeedableRng};

    /// The walk over a sorted train gives `bin_index`'s answer for every spike: spikes on,
    /// just below and just above edges that are not exact in binary, several per bin, in
    /// consecutive bins and with bins skipped, for widths from far below to far above the
    /// gaps between spikes.
    #[test]
    fn sorted_bins_equal_bin_index_on_edge_heavy_trains() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let t0 = 100.1;
        for width in [0.7, 1.0, 3.3, 10.0, 33.3, 100.0] {
            let mut checked = 0;
            for _ in 0..20 {
                let n_bins = (900.0 / width) as u64;
                let mut s: Vec<f64> = (0..200)
                    .map(|_| {
                        let e = bin_edge(t0, width, (rng.next_u64() % n_bins) as usize);
                        match rng.next_u64() % 4 {
                            0 => e,
                            1 => e.next_up(),
                            2 => e.next_down().max(t0),
                            _ => e + (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * width,
                        }
                    })
                    .collect();
                s.sort_by(f64::total_cmp);
                let mut bins = SortedBins::new(t0, width);
                for &t in &s {
                    assert_eq!(
                        bins.index(t),
                        bin_index(t, t0, width),
                        "{t} in bins of {width}"
                    );
                    checked += 1;
                }
            }
            assert_eq!(checked, 4000);
        }
    }

    /// The signed shortcut gives `k as f64` exactly, at the ends of both
    /// ranges and where doubles stop being integers-exact.
    #[test]
    fn index_as_f64_is_the_plain_conversion() {
        let big = i64::MAX as usize;
        for k in [
            0,
            1,
            7,
            (1 << 53) - 1,
            1 << 53,
            (1 << 53) + 1,
            big - 1,
            big,
            big + 1,
            usize::MAX,
        ] {
            assert_eq!(index_as_f64(k).to_bits(), (k as f64).to_bits(), "{k}");
        }
    }
}
