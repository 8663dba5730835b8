//! Exact Poisson sampling for a fixed mean in O(1) per draw.
//!
//! The per-step input count of a population is Poisson(λ) with the same λ in
//! every step of a trial, so the CDF is tabulated once and each draw is a
//! table inversion: one 64-bit random number, a guide-table lookup
//! (Chen & Asau 1974) and on average about one comparison, whatever λ is.
//! That is what makes a trial cost the same at N = 100 and N = 100 000.
//!
//! Exactness: the table holds P(K ≤ k) to double precision over the support
//! where the PMF is above 1e-300 relative mass; the left tail below
//! `k_lo` and the right tail above `k_hi` carry less than 1e-18 probability
//! each (less than one draw in 10¹⁸) and are folded into the end points.
//! Inversion of a 53-bit uniform is then as exact as floating point allows.

use rand::Rng;

/// Draws Poisson(λ) counts for one fixed λ.
#[derive(Debug, Clone)]
pub struct PoissonSampler {
    mean: f64,
    k_lo: u32,
    /// cdf[i] = P(K ≤ k_lo + i); the last entry is exactly 1.0.
    cdf: Box<[f64]>,
    /// guide[j] = smallest i with cdf[i] > j / guide.len().
    guide: Box<[u32]>,
    /// guide.len() = 2^(53 − guide_shift), so the guide cell of a 53-bit
    /// uniform b·2⁻⁵³ is b >> guide_shift, exactly ⌊u·guide.len()⌋.
    guide_shift: u32,
    /// The branch-free draw of the lanes engine around the mode.
    window: Window,
}

/// Counts `base .. base + WINDOW` of a [`PoissonSampler`] as integer
/// thresholds on 53 random bits b: with t(k) = ⌈P(K ≤ k)·2⁵³⌉, P(K ≤ k) ≤
/// b·2⁻⁵³ exactly when b ≥ t(k) (scaling by 2⁵³ is exact). So for
/// `low ≤ b < thresholds[WINDOW − 1]` the draw is `base + #{i : b ≥
/// thresholds[i]}` — the guide table's answer, as compares that vectorize;
/// other b (rare: the draw is outside the window) take the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    /// First count of the window.
    pub base: u32,
    /// t(base − 1), or 0 if base is the table's first count.
    pub low: u64,
    /// t(base + i); 2⁵³ (never reached) past the table.
    pub thresholds: [u64; WINDOW],
    /// The thresholds laid out for a branch-free binary search of 3 and 4
    /// levels (the AVX-512 draw, see [`SearchLevels`]).
    pub search: SearchLevels,
}

/// The first 7 (15) thresholds of a [`Window`], padded with 2⁵³, as one
/// table per level of a binary search for c = #{j : b ≥ t(base + j)}: the
/// probe of level l (step s = 4, 2, 1, or 8, 4, 2, 1) at the count c found
/// so far is threshold c + s − 1, stored at index c of the level's table so
/// that each probe is one register permute indexed by c.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SearchLevels {
    pub three: [[i64; 8]; 3],
    pub four: [[i64; 16]; 4],
}

impl SearchLevels {
    fn new(thresholds: &[u64; WINDOW]) -> Self {
        let padded = |j: usize, len: usize| {
            if j < len.min(WINDOW) {
                thresholds[j] as i64
            } else {
                1i64 << 53
            }
        };
        // Index c + s − 1 can exceed the table only where no search reaches
        // (c is a multiple of 2s there); clamped for definiteness.
        let level = |c: usize, step: usize, entries: usize| {
            padded((c + step - 1).min(entries - 1), entries - 1)
        };
        Self {
            three: std::array::from_fn(|l| std::array::from_fn(|c| level(c, 4 >> l, 8))),
            four: std::array::from_fn(|l| std::array::from_fn(|c| level(c, 8 >> l, 16))),
        }
    }
}

impl Window {
    /// Probability that a draw falls outside the window's first `w`
    /// thresholds (below `low` or at/above threshold `w − 1`).
    pub(crate) fn spill_probability(&self, w: usize) -> f64 {
        let outside = self.low + ((1u64 << 53) - self.thresholds[w - 1]);
        outside as f64 / (1u64 << 53) as f64
    }
}

/// Number of thresholds of [`Window`]; the window holds the WINDOW counts
/// base … base + WINDOW − 1 (passing the last threshold marks a draw above
/// them). All 15 serve the AVX-512 draw, whose binary search takes 4 levels
/// for anything from 8 to 15 thresholds: a draw leaves them with
/// probability 2.0·10⁻⁵ at a mean of 4 (N = 100 000's excitatory mean), so
/// a block of 32 lanes needs the scalar completion on 0.06 % of its steps
/// instead of the 2.9 % of [`LINEAR_WIDE`]'s 12 thresholds (0.7 % of
/// N = 100 000's time with 12, sampled).
pub(crate) const WINDOW: usize = 15;

/// The widest window of the linear count (the AVX2 and portable draws),
/// whose cost grows with every threshold: its first 12 counts, which a draw
/// leaves never at the B5000 mean of 0.2 (the CDF rounds to 1 first), with
/// probability 8·10⁻¹⁰ at a mean of 1 and 9·10⁻⁴ at a mean of 4; with 8
/// thresholds the last was 0.05, which made N = 100 000 ~10 % slower.
pub(crate) const LINEAR_WIDE: usize = 12;

/// The window starts this many counts below the mode (never below the
/// table), so that its first [`LINEAR_WIDE`] counts hold most of the mass
/// for any mean up to ~10 (and all [`WINDOW`] a little more on the right,
/// where the Poisson tail is longer).
const BELOW_MODE: u64 = 5;

/// The first [`NARROW`] thresholds of a [`Window`] are enough (and cheaper:
/// 7 fewer compares per draw) when a draw leaves them with probability
/// below [`NARROW_MAX_SPILL`]: at the B5000 means of 0.2 and 0.05 they
/// cover the counts 0…4 and a draw leaves them with probability 2.3·10⁻⁶
/// and 2.5·10⁻⁹; it holds for means up to ~0.74. A draw outside still gets
/// the table's answer, so the choice changes speed, never a count.
pub(crate) const NARROW: usize = 5;
/// The next size up: 7 thresholds (counts 0…6) serve means up to ~1.52
/// (where P(K ≥ 7) reaches [`NARROW_MAX_SPILL`]) — at
/// N = 100 000's inhibitory mean of 1 a draw leaves them with probability
/// 8.3·10⁻⁵ — for 5 fewer compares than [`LINEAR_WIDE`], and the largest size
/// the AVX-512 draw's binary search covers in 3 levels (it was 8, which
/// took 4, until the tenth round).
pub(crate) const MEDIUM: usize = 7;
/// Largest probability of a draw outside a narrower window for which it is
/// used (a draw outside costs about one scalar table draw for the block).
pub(crate) const NARROW_MAX_SPILL: f64 = 1e-3;

/// ln(k!) for integer k: exact sums below 32, Stirling's series above
/// (absolute error < 1e-15 there).
fn ln_factorial(k: u64) -> f64 {
    if k < 32 {
        (2..=k).map(|i| (i as f64).ln()).sum()
    } else {
        let x = k as f64 + 1.0;
        (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * x)
            - 1.0 / (360.0 * x.powi(3))
            + 1.0 / (1260.0 * x.powi(5))
    }
}

impl PoissonSampler {
    /// Largest mean per draw accepted (keeps tables below ~70 k entries).
    pub const MAX_MEAN: f64 = 1.0e6;

    /// Builds the table for mean `mean` (≥ 0, ≤ [`Self::MAX_MEAN`]).
    ///
    /// # Panics
    /// If `mean` is negative, not finite or above `MAX_MEAN`; callers
    /// validate user input first (see `PoissonInput::validate`).
    pub fn new(mean: f64) -> Self {
        assert!(
            mean.is_finite() && (0.0..=Self::MAX_MEAN).contains(&mean),
            "Poisson mean {mean} out of range"
        );
        if mean == 0.0 {
            return Self {
                mean,
                k_lo: 0,
                cdf: vec![1.0].into(),
                guide: vec![0].into(),
                guide_shift: 53,
                window: Window {
                    base: 0,
                    low: 0,
                    thresholds: [1 << 53; WINDOW],
                    search: SearchLevels::new(&[1 << 53; WINDOW]),
                },
            };
        }
        // Support: mean ± (10 sd + 40) holds all but < 1e-18 of the mass.
        let sd = mean.sqrt();
        let k_lo = (mean - 10.0 * sd - 40.0).max(0.0).floor() as u64;
        let k_hi = (mean + 10.0 * sd + 40.0).ceil() as u64;
        let ln_mean = mean.ln();
        let mut pmf: Vec<f64> = (k_lo..=k_hi)
            .map(|k| (k as f64 * ln_mean - mean - ln_factorial(k)).exp())
            .collect();
        // Fold the (negligible) tails into the end points so the table sums to 1.
        let total: f64 = pmf.iter().sum();
        let last = pmf.len() - 1;
        pmf[last] += (1.0 - total).max(0.0);
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = pmf
            .iter()
            .map(|p| {
                acc += p;
                acc
            })
            .collect();
        cdf[last] = 1.0;
        // At least 1024 cells (4 KB): for the small means of per-step input
        // a cell then almost never straddles a CDF step, so the search
        // below the guide entry almost never loops (a predictable branch).
        let g = cdf.len().next_power_of_two().max(1024);
        let mut guide = Vec::with_capacity(g);
        let mut i = 0u32;
        for j in 0..g {
            let u = j as f64 / g as f64;
            while cdf[i as usize] <= u {
                i += 1;
            }
            guide.push(i);
        }
        let threshold = |c: f64| (c * (1u64 << 53) as f64).ceil() as u64;
        let start = (mean.floor() as u64).saturating_sub(BELOW_MODE).max(k_lo);
        let first = (start - k_lo) as usize;
        let mut thresholds = [1u64 << 53; WINDOW];
        for (t, &c) in thresholds.iter_mut().zip(&cdf[first..]) {
            *t = threshold(c);
        }
        let window = Window {
            base: start as u32,
            low: if first == 0 {
                0
            } else {
                threshold(cdf[first - 1])
            },
            thresholds,
            search: SearchLevels::new(&thresholds),
        };
        Self {
            mean,
            k_lo: k_lo as u32,
            window,
            cdf: cdf.into(),
            guide_shift: 53 - g.trailing_zeros(),
            guide: guide.into(),
        }
    }

    /// The mean λ this sampler draws with.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// One Poisson(λ) draw. Consumes exactly one `u64` from `rng`.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        self.draw_from_bits(rng.next_u64() >> 11)
    }

    /// The window of the vectorized draw.
    #[inline(always)]
    pub(crate) fn window(&self) -> &Window {
        &self.window
    }

    /// The draw for 53 random bits `bits` (the top bits of one `u64`):
    /// the smallest k with P(K ≤ k) > bits·2⁻⁵³.
    #[inline(always)]
    pub(crate) fn draw_from_bits(&self, bits: u64) -> u32 {
        let u = bits as f64 * (1.0 / (1u64 << 53) as f64);
        // = ⌊u · guide.len()⌋ exactly (a power of two), without float→int.
        let j = (bits >> self.guide_shift) as usize;
        let mut i = self.guide[j] as usize;
        // cdf[last] = 1.0 > u, so this stops inside the table.
        while self.cdf[i] <= u {
            i += 1;
        }
        self.k_lo + i as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn ln_factorial_is_accurate_across_the_switch() {
        let mut exact = 0.0f64;
        for k in 1..200u64 {
            exact += (k as f64).ln();
            assert!(
                (ln_factorial(k) - exact).abs() < 1e-12 * exact.max(1.0),
                "k={k}"
            );
        }
    }

    #[test]
    fn cdf_matches_direct_sum_of_pmf() {
        for mean in [1e-4, 0.04, 0.25, 1.0, 5.0, 37.5, 400.0] {
            let s = PoissonSampler::new(mean);
            // Recompute P(K ≤ k) by the textbook recurrence where it is safe.
            if mean < 600.0 {
                let mut p = (-mean).exp();
                let mut f = p;
                let mut k = 0u64;
                while k < s.k_lo as u64 {
                    k += 1;
                    p *= mean / k as f64;
                    f += p;
                }
                for (i, c) in s.cdf.iter().enumerate().take(s.cdf.len() - 1) {
                    if i > 0 {
                        k += 1;
                        p *= mean / k as f64;
                        f += p;
                    }
                    assert!((c - f).abs() < 1e-12, "mean {mean} k {k}: {c} vs {f}");
                }
            }
        }
    }

    #[test]
    fn draws_follow_poisson_chi_square() {
        // χ² goodness of fit on 200 000 draws per mean; cells with expected
        // count < 5 are pooled into the tail cell. The 0.9999 quantile of χ²
        // keeps the family-wise false-alarm rate below 1e-3 over 5 means.
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for mean in [0.04, 0.25, 2.0, 4.0, 50.0] {
            let s = PoissonSampler::new(mean);
            let n = 200_000usize;
            let mut counts = vec![0usize; 400];
            let mut total = 0u64;
            for _ in 0..n {
                let k = s.sample(&mut rng) as usize;
                counts[k.min(399)] += 1;
                total += k as u64;
            }
            // Mean within 5 standard errors: sd of the mean is sqrt(λ/n).
            let m = total as f64 / n as f64;
            assert!(
                (m - mean).abs() < 5.0 * (mean / n as f64).sqrt(),
                "mean {mean}: {m}"
            );
            let mut p = (-mean).exp();
            let (mut chi2, mut df, mut obs_acc, mut exp_acc) = (0.0, 0i32, 0.0, 0.0);
            let mut cum = 0.0;
            for (k, &c) in counts.iter().enumerate() {
                if k > 0 {
                    p *= mean / k as f64;
                }
                cum += p;
                obs_acc += c as f64;
                exp_acc += p * n as f64;
                let rest = (1.0 - cum) * n as f64;
                if exp_acc >= 5.0 && rest >= 5.0 {
                    chi2 += (obs_acc - exp_acc).powi(2) / exp_acc;
                    df += 1;
                    obs_acc = 0.0;
                    exp_acc = 0.0;
                }
                if rest < 5.0 {
                    let o = counts[k + 1..].iter().sum::<usize>() as f64 + obs_acc;
                    let e = rest + exp_acc;
                    chi2 += (o - e).powi(2) / e;
                    df += 1;
                    break;
                }
            }
            let dof = (df - 1).max(1) as f64;
            let crit = ChiSquared::new(dof).unwrap().inverse_cdf(0.9999);
            assert!(chi2 < crit, "mean {mean}: chi2 {chi2} > {crit} (dof {dof})");
        }
    }

    #[test]
    fn window_gives_the_guide_table_answer() {
        // Every threshold and its neighbours, for small and large means:
        // inside the window, base + #{i : b ≥ thresholds[i]} is the
        // guide-table draw; outside it, the draw is outside the window.
        for mean in [0.0, 1e-6, 0.05, 0.2, 0.25, 1.0, 3.0, 4.0, 7.5, 50.0, 1e4] {
            let s = PoissonSampler::new(mean);
            let w = *s.window();
            let last = w.thresholds[WINDOW - 1];
            let mut probes: Vec<u64> = vec![0, (1 << 53) - 1];
            for t in w.thresholds.into_iter().chain([w.low]) {
                for d in [-2i64, -1, 0, 1, 2] {
                    let b = t as i64 + d;
                    if (0..1i64 << 53).contains(&b) {
                        probes.push(b as u64);
                    }
                }
            }
            let mut inside = 0;
            for b in probes {
                let k = s.draw_from_bits(b);
                let n = w.thresholds.iter().filter(|&&t| b >= t).count() as u32;
                if w.low <= b && b < last {
                    inside += 1;
                    assert_eq!(k, w.base + n, "mean {mean} bits {b}");
                } else {
                    let outside = k < w.base || k >= w.base + WINDOW as u32 - 1;
                    assert!(outside, "mean {mean} bits {b}: {k} in the window");
                }
            }
            assert!(inside > 0, "mean {mean}: no probe inside the window");
        }
    }

    #[test]
    fn zero_mean_always_draws_zero_and_consumes_one_number() {
        let s = PoissonSampler::new(0.0);
        let mut a = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut b = Xoshiro256PlusPlus::seed_from_u64(1);
        for _ in 0..100 {
            assert_eq!(s.sample(&mut a), 0);
            b.next_u64();
        }
        assert_eq!(a.next_u64(), b.next_u64());
    }
}
