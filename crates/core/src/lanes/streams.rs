//! The input draw of a block, vectorized across lanes: each lane's
//! xoshiro256++ stream advanced in structure-of-arrays form, and the
//! Poisson count found by integer compares against the sampler's CDF
//! thresholds around the mode — the same `u64`s and the same counts, bit for bit, as
//! one [`PoissonSampler::sample`] per lane.
//!
//! Why: drawing one lane at a time is a serial xoshiro update, a float
//! conversion and a table walk per lane (≈ 35 % of a step at B5000); in
//! SoA form the 256-bit state update, the 53-bit uniforms and the compares
//! are a handful of 4-wide integer instructions per 4 lanes, and only the
//! rare draw outside the window's [`NARROW`], [`MEDIUM`], [`LINEAR_WIDE`] or
//! [`WINDOW`] counts takes the table.
//!
//! [`NARROW`]: crate::poisson::NARROW
//! [`MEDIUM`]: crate::poisson::MEDIUM
//! [`LINEAR_WIDE`]: crate::poisson::LINEAR_WIDE
//! [`WINDOW`]: crate::poisson::WINDOW

use crate::poisson::{PoissonSampler, Window};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// One population's input in a block, per lane: the xoshiro256++ states of
/// its streams, its input count so far and this step's jump from it — one
/// struct, so that the draw writes fields of `self` (which the compiler
/// knows to be disjoint) rather than arrays passed beside it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InputLanes<const B: usize> {
    s0: [u64; B],
    s1: [u64; B],
    s2: [u64; B],
    s3: [u64; B],
    /// The population's input count per lane, accumulated over steps.
    pub counts: [u64; B],
    /// This step's jump from the population, `weight · count`, per lane.
    pub part: [f64; B],
    /// Scratch: each lane's 53 random bits, for [`Self::finish_spills`].
    spill: [u64; B],
}

/// 2⁵² and its bit pattern: for an integer k < 2⁵², the double with bits
/// `TWO_52_BITS | k` is exactly 2⁵² + k.
const TWO_52: f64 = 4_503_599_627_370_496.0;
const TWO_52_BITS: u64 = 0x4330_0000_0000_0000;

/// State of padding lanes (beyond the block's trials, computed but
/// discarded): any non-zero xoshiro state will do.
const PADDING: [u64; 4] = [
    0x9E37_79B9_7F4A_7C15,
    0xBF58_476D_1CE4_E5B9,
    0x94D0_49BB_1331_11EB,
    1,
];

impl<const B: usize> InputLanes<B> {
    /// Loads the stream of each lane `i < rngs.len()` (padding elsewhere),
    /// with counts zero.
    pub fn load<'a>(rngs: impl Iterator<Item = &'a Xoshiro256PlusPlus>) -> Self {
        let mut s = Self {
            s0: [PADDING[0]; B],
            s1: [PADDING[1]; B],
            s2: [PADDING[2]; B],
            s3: [PADDING[3]; B],
            counts: [0; B],
            part: [0.0; B],
            spill: [0; B],
        };
        for (i, rng) in rngs.enumerate() {
            // `state()` is the 256-bit state as four little-endian words,
            // the inverse of `from_seed`.
            let bytes = rng.state();
            let word = |k: usize| u64::from_le_bytes(bytes[8 * k..8 * k + 8].try_into().unwrap());
            s.s0[i] = word(0);
            s.s1[i] = word(1);
            s.s2[i] = word(2);
            s.s3[i] = word(3);
        }
        s
    }

    /// Writes the advanced states back, so each stream continues exactly
    /// where one `next_u64` per draw would have left it.
    pub fn store<'a>(&self, rngs: impl Iterator<Item = &'a mut Xoshiro256PlusPlus>) {
        for (i, rng) in rngs.enumerate() {
            let mut bytes = [0u8; 32];
            for (k, w) in [self.s0[i], self.s1[i], self.s2[i], self.s3[i]]
                .into_iter()
                .enumerate()
            {
                bytes[8 * k..8 * k + 8].copy_from_slice(&w.to_le_bytes());
            }
            *rng = Xoshiro256PlusPlus::from_seed(bytes);
        }
    }

    /// One Poisson draw for lanes `0..n` (n ≤ B, whole vectors) with the
    /// first `W` thresholds of the sampler's window: adds the count to
    /// `counts` where `alive` (all ones) and sets `part` to `weight ·
    /// count`. Returns true if some lane's draw (live or not) fell outside
    /// the thresholds; those lanes then hold their 53 random bits in
    /// `spill` and a partial count, and [`Self::finish_spills`] (same `W`)
    /// must run. In the AVX-512 block by [`draw_avx512`] (whole groups of
    /// eight lanes); otherwise by the portable loop (same results).
    #[inline(always)]
    pub fn draw<const W: usize, X: super::IsaPath>(
        &mut self,
        sampler: &PoissonSampler,
        weight: f64,
        n: usize,
        alive: &[u64; B],
    ) -> bool {
        let n = n.min(B);
        let window = sampler.window();
        let th: [i64; W] = std::array::from_fn(|j| window.thresholds[j] as i64);
        let (low, last) = (window.low as i64, th[W - 1]);
        let base = window.base as u64;
        // Lanes 0..first are drawn by the AVX-512 code (whole groups of 8),
        // the rest by the loop below.
        #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
        let (mut first, mut spilled) = (0, false);
        if X::AVX512 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `X::AVX512` is true only in the AVX-512 block, which
            // runs only where the CPU has AVX-512 F, DQ and VL.
            unsafe {
                (first, spilled) = draw_avx512::<W, B>(self, window, weight, n, alive);
            }
        }
        let mut outside = 0u64;
        // One index into the seven per-lane arrays (an iterator zip of seven
        // would say less).
        #[allow(clippy::needless_range_loop)]
        for i in first..n {
            // xoshiro256++ (Blackman & Vigna), exactly as rand_xoshiro.
            let (s0, s1, s2, s3) = (self.s0[i], self.s1[i], self.s2[i], self.s3[i]);
            let out = s0.wrapping_add(s3).rotate_left(23).wrapping_add(s0);
            let t = s1 << 17;
            let s2 = s2 ^ s0;
            let s3 = s3 ^ s1;
            let s1 = s1 ^ s2;
            let s0 = s0 ^ s3;
            let s2 = s2 ^ t;
            let s3 = s3.rotate_left(45);
            (self.s0[i], self.s1[i], self.s2[i], self.s3[i]) = (s0, s1, s2, s3);
            // 53 bits < 2⁶³: signed compares are exact (and native in AVX2).
            let bits = (out >> 11) as i64;
            let mut k = base;
            for &t in &th {
                k += (bits >= t) as u64;
            }
            // k as f64, exactly (k < 2⁵²), without a 64-bit conversion
            // instruction (AVX2 has none): the bits of 2⁵² + k, minus 2⁵².
            let kf = f64::from_bits(k | TWO_52_BITS) - TWO_52;
            self.counts[i] += k & alive[i];
            self.part[i] = weight * kf;
            self.spill[i] = bits as u64;
            // Dead and padding lanes may flag too (finish_spills skips
            // them): cheaper than masking every lane's flag.
            outside |= (bits < low) as u64 | (bits >= last) as u64;
        }
        spilled || outside != 0
    }

    /// [`Self::draw`] for lanes `0..width`, then [`Self::finish_spills`]
    /// for lanes `0..lanes` if some draw fell outside the thresholds.
    #[inline(always)]
    pub fn draw_complete<const W: usize, X: super::IsaPath>(
        &mut self,
        sampler: &PoissonSampler,
        weight: f64,
        width: usize,
        lanes: usize,
        alive: &[u64; B],
    ) {
        if self.draw::<W, X>(sampler, weight, width, alive) {
            self.finish_spills::<W>(sampler, weight, lanes, alive);
        }
    }

    /// Completes the draws of lanes whose bits went past the first `W`
    /// thresholds (rare): replaces the partial count by the table's answer.
    #[inline(never)]
    pub fn finish_spills<const W: usize>(
        &mut self,
        sampler: &PoissonSampler,
        weight: f64,
        lanes: usize,
        alive: &[u64; B],
    ) {
        let window = sampler.window();
        let last = window.thresholds[W - 1];
        #[allow(clippy::needless_range_loop)]
        for i in 0..lanes.min(B) {
            let bits = self.spill[i];
            if alive[i] != 0 && (bits < window.low || bits >= last) {
                // Undo the window's partial count, add the table's answer.
                let partial = window.base as u64
                    + window.thresholds[..W]
                        .iter()
                        .filter(|&&t| bits >= t)
                        .count() as u64;
                let k = sampler.draw_from_bits(bits) as u64;
                self.counts[i] = self.counts[i].wrapping_sub(partial).wrapping_add(k);
                // Same expression as the vector path, with the full count.
                self.part[i] = weight * k as f64;
            }
        }
    }
}

/// [`InputLanes::draw`] on AVX-512, eight lanes per iteration written
/// with intrinsics: the xoshiro256++ step (with AVX-512's 64-bit rotate),
/// the 53 bits, and the count k = base + #{j < W : bits ≥ th[j]} by a
/// branch-free binary search over the window's sorted thresholds
/// ([`crate::poisson::SearchLevels`]): per level one permute of a register
/// of thresholds by the count so far (the probe), one compare into a mask
/// register and one masked add of the level's step — 3 levels (9
/// instructions) for W ≤ 7 and 4 (12) for W ≤ 15, where one compare and
/// masked subtract per threshold took 10, 16 and 24 for W = 5, 8 and 12 —
/// then min(c, W), which is the linear count because the thresholds are
/// sorted. The same integers, products and flags as the portable loop,
/// which does the lanes past the last multiple of eight. Returns the number
/// of lanes drawn and whether one of them fell outside the thresholds.
///
/// `#[inline]` rather than `#[inline(always)]`, which `#[target_feature]`
/// (needed by the assembly's registers) does not allow; the release build
/// inlines it (check: no call to `draw_avx512` in `objdump -d`).
///
/// # Safety
/// The CPU must support AVX-512 F, DQ and VL.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl")]
#[inline]
unsafe fn draw_avx512<const W: usize, const B: usize>(
    input: &mut InputLanes<B>,
    window: &Window,
    weight: f64,
    n: usize,
    alive: &[u64; B],
) -> (usize, bool) {
    use std::arch::x86_64::*;
    // Four levels of the binary search cover at most 15 thresholds.
    const { assert!(W <= 15) };
    let n = n.min(B);
    let (low_v, last_v) = (
        _mm512_set1_epi64(window.low as i64),
        _mm512_set1_epi64(window.thresholds[W - 1] as i64),
    );
    let (base_v, w_v) = (
        _mm512_set1_epi64(window.base as i64),
        _mm512_set1_epi64(W as i64),
    );
    let weight_v = _mm512_set1_pd(weight);
    // SAFETY: unaligned loads of whole [i64; 8] and [i64; 16] arrays.
    let table = |t: &[i64]| unsafe { _mm512_loadu_si512(t.as_ptr().cast()) };
    let search = &window.search;
    let mut outside: __mmask8 = 0;
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: every load and store is of lanes i..i + 8 ≤ n ≤ B of a
        // [_; B] array (unaligned forms).
        unsafe {
            let at = |a: &[u64; B]| a.as_ptr().add(i);
            let s0 = _mm512_loadu_si512(at(&input.s0).cast());
            let s1 = _mm512_loadu_si512(at(&input.s1).cast());
            let s2 = _mm512_loadu_si512(at(&input.s2).cast());
            let s3 = _mm512_loadu_si512(at(&input.s3).cast());
            let out = _mm512_add_epi64(_mm512_rol_epi64::<23>(_mm512_add_epi64(s0, s3)), s0);
            let t = _mm512_slli_epi64::<17>(s1);
            let s2 = _mm512_xor_si512(s2, s0);
            let s3 = _mm512_xor_si512(s3, s1);
            let s1 = _mm512_xor_si512(s1, s2);
            let s0 = _mm512_xor_si512(s0, s3);
            let s2 = _mm512_xor_si512(s2, t);
            let s3 = _mm512_rol_epi64::<45>(s3);
            _mm512_storeu_si512(input.s0.as_mut_ptr().add(i).cast(), s0);
            _mm512_storeu_si512(input.s1.as_mut_ptr().add(i).cast(), s1);
            _mm512_storeu_si512(input.s2.as_mut_ptr().add(i).cast(), s2);
            _mm512_storeu_si512(input.s3.as_mut_ptr().add(i).cast(), s3);
            let bits = _mm512_srli_epi64::<11>(out);
            _mm512_storeu_si512(input.spill.as_mut_ptr().add(i).cast(), bits);
            // Binary search: c counts the thresholds ≤ bits among the
            // first 7 (W ≤ 7) or 15, then min(c, W) those among the first W
            // (the thresholds are sorted): the count of the linear form.
            let level = |c: __m512i, probe: __m512i, step: i64| {
                let mut c = c;
                // c += step where bits ≥ probe (signed compare; bits < 2⁵³).
                // Assembly, because the compiler turns the masked-add
                // intrinsic into compare, mask to vector, and, add.
                std::arch::asm!(
                    "vpcmpnltq {ge}, {b}, {p}",
                    "vpaddq {c}{{{ge}}}, {c}, {s}",
                    ge = out(kreg) _,
                    b = in(zmm_reg) bits,
                    p = in(zmm_reg) probe,
                    s = in(zmm_reg) _mm512_set1_epi64(step),
                    c = inout(zmm_reg) c,
                    options(pure, nomem, nostack),
                );
                c
            };
            let mut c = _mm512_setzero_si512();
            if W <= 7 {
                for (l, t) in search.three.iter().enumerate() {
                    c = level(c, _mm512_permutexvar_epi64(c, table(t)), 4 >> l);
                }
            } else {
                for (l, t) in search.four.iter().enumerate() {
                    let probe = _mm512_permutex2var_epi64(table(&t[..8]), c, table(&t[8..]));
                    c = level(c, probe, 8 >> l);
                }
            }
            let k = _mm512_add_epi64(base_v, _mm512_min_epu64(c, w_v));
            let a = _mm512_loadu_si512(at(alive).cast());
            let c = _mm512_loadu_si512(at(&input.counts).cast());
            let c = _mm512_add_epi64(c, _mm512_and_si512(k, a));
            _mm512_storeu_si512(input.counts.as_mut_ptr().add(i).cast(), c);
            // k < 2⁵² converts exactly, as the portable bit trick does.
            let kf = _mm512_cvtepu64_pd(k);
            _mm512_storeu_pd(input.part.as_mut_ptr().add(i), _mm512_mul_pd(weight_v, kf));
            outside |= _mm512_cmplt_epi64_mask(bits, low_v) | _mm512_cmpge_epi64_mask(bits, last_v);
        }
        i += 8;
    }
    (i, outside != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// The SoA draw against one `PoissonSampler::sample` per lane: same
    /// counts, same jump parts, same stream states afterwards — for means
    /// where the spill path is rare, common and certain (and, at 10, on both
    /// sides of the window), with every window size. 13 of 16 lanes drawn (8 + 4 + 1: every chunk
    /// size of the AVX-512 count), lane 5 dead (it draws, counts nothing).
    fn check_against_scalar<const W: usize, X: crate::lanes::IsaPath>() {
        const B: usize = 16;
        const N: usize = 13;
        const DEAD: usize = 5;
        for (mean, weight) in [
            (0.2, 1.0),
            (0.05, -4.0),
            (0.004, 1.0),
            (2.5, 0.3),
            (4.0, 1.0),
            (10.0, 0.5),
            (60.0, -0.01),
            (0.0, 1.0),
        ] {
            let sampler = PoissonSampler::new(mean);
            let mut scalar: Vec<_> = (0..N as u64)
                .map(|k| Xoshiro256PlusPlus::seed_from_u64(1000 + k))
                .collect();
            let mut vector = scalar.clone();
            let mut lanes = InputLanes::<B>::load(vector.iter());
            let mut alive = [u64::MAX; B];
            alive[DEAD] = 0;
            let mut want_counts = [0u64; B];
            for _ in 0..5000 {
                lanes.part = [f64::NAN; B];
                if lanes.draw::<W, X>(&sampler, weight, N, &alive) {
                    lanes.finish_spills::<W>(&sampler, weight, N, &alive);
                }
                for (i, rng) in scalar.iter_mut().enumerate() {
                    let k = sampler.sample(rng);
                    if i != DEAD {
                        want_counts[i] += k as u64;
                        assert_eq!(lanes.part[i].to_bits(), (weight * k as f64).to_bits());
                    }
                }
            }
            assert_eq!(lanes.counts, want_counts, "mean {mean}, window {W}");
            lanes.store(vector.iter_mut());
            for (a, b) in scalar.iter_mut().zip(vector.iter_mut()) {
                assert_eq!(a.next_u64(), b.next_u64(), "mean {mean}, window {W}");
            }
        }
    }

    #[test]
    fn matches_scalar_draws_bit_for_bit() {
        use crate::lanes::PortablePath;
        use crate::poisson::{LINEAR_WIDE, MEDIUM, NARROW, WINDOW};
        check_against_scalar::<WINDOW, PortablePath>();
        check_against_scalar::<LINEAR_WIDE, PortablePath>();
        check_against_scalar::<MEDIUM, PortablePath>();
        check_against_scalar::<NARROW, PortablePath>();
    }

    /// The AVX-512 count (mask compares and masked adds) against the same
    /// scalar draws, where the CPU has AVX-512 (skipped with a note
    /// elsewhere; the AVX-512 block is then never entered either).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_count_matches_scalar_draws_bit_for_bit() {
        use crate::lanes::{Avx512Path, Isa};
        use crate::poisson::{LINEAR_WIDE, MEDIUM, NARROW, WINDOW};
        if !Isa::Avx512.is_available() {
            eprintln!("no AVX-512 on this CPU: nothing to check");
            return;
        }
        check_against_scalar::<WINDOW, Avx512Path>();
        check_against_scalar::<LINEAR_WIDE, Avx512Path>();
        check_against_scalar::<MEDIUM, Avx512Path>();
        check_against_scalar::<NARROW, Avx512Path>();
    }

    /// The narrow window's spill probability is the Poisson tail it stands
    /// for: W thresholds cover the W counts base … base + W − 1 (base = 0
    /// here), so P(outside) = P(K ≥ 5 | λ = 0.2) = 1 − e^(−0.2)(1 + 0.2 +
    /// 0.2²/2 + 0.2³/6 + 0.2⁴/24) ≈ 2.26·10⁻⁶ (the thresholds are the CDF
    /// rounded up to multiples of 2⁻⁵³, so they agree to ~10⁻¹⁵).
    #[test]
    fn narrow_window_spill_probability_matches_the_poisson_tail() {
        let w = *PoissonSampler::new(0.2).window();
        let tail = 1.0 - (-0.2f64).exp() * (1.0 + 0.2 + 0.02 + 0.008 / 6.0 + 0.0016 / 24.0);
        let p = w.spill_probability(crate::poisson::NARROW);
        assert!((p - tail).abs() < 1e-14, "{p:e} vs {tail:e}");
        assert!(p < crate::poisson::NARROW_MAX_SPILL);
    }

    /// The medium window at N = 100 000's inhibitory mean of 1: 7
    /// thresholds cover the counts 0…6, so P(outside) = P(K ≥ 7 | λ = 1) =
    /// 1 − e⁻¹·Σ_{k≤6} 1/k! ≈ 8.3·10⁻⁵ (below NARROW_MAX_SPILL; the narrow
    /// window's P(K ≥ 5) ≈ 3.7·10⁻³ is not).
    #[test]
    fn medium_window_spill_probability_matches_the_poisson_tail() {
        let w = *PoissonSampler::new(1.0).window();
        assert_eq!(w.base, 0);
        let mut term = 1.0f64;
        let mut head = 0.0;
        for k in 0..crate::poisson::MEDIUM {
            if k > 0 {
                term /= k as f64;
            }
            head += term;
        }
        let tail = 1.0 - (-1.0f64).exp() * head;
        let p = w.spill_probability(crate::poisson::MEDIUM);
        assert!((p - tail).abs() < 1e-14, "{p:e} vs {tail:e}");
        assert!(p < crate::poisson::NARROW_MAX_SPILL);
        assert!(w.spill_probability(crate::poisson::NARROW) > crate::poisson::NARROW_MAX_SPILL);
    }
}
