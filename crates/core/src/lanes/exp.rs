//! A vectorizable, branch-free `exp` with explicit FMA.
//!
//! Cody–Waite reduction x = n·ln2 + r with |r| ≤ ln2/2, the degree-13 Taylor
//! polynomial of e^r in Horner form (13 fused multiply-adds), and the scale
//! 2^n built directly in the exponent bits. No table, no branch: inside a
//! loop over lanes the compiler turns it into AVX2 or AVX-512 code, and because every
//! multiply-add is an explicit `f64::mul_add` (one rounding, on every
//! target) the result is bit-identical in vector and scalar code.
//!
//! # Accuracy (a priori)
//! - Reduction: `n = round(x·log2 e)` comes from one FMA with the 1.5·2⁵²
//!   shifter, `r = x − n·ln2_hi − n·ln2_lo` from two FMAs; `ln2_hi` has 32
//!   significant bits, so n·ln2_hi is exact for |n| ≤ 1023 and r carries at
//!   most one rounding (≤ 2⁻⁵⁴ absolute for |r| ≤ 0.35) plus
//!   |n|·|ln2 − ln2_hi − ln2_lo| < 1024·2⁻⁸⁵ — together ≤ 0.13 ulp of e^r.
//! - Truncation: r¹⁴/14! ≤ 0.347¹⁴/14! < 4.2·10⁻¹⁸ relative (0.04 ulp).
//! - Horner rounding: the last FMA rounds once (0.5 ulp); the error of the
//!   inner value, at most 1 ulp of a number ≤ 1.2, is multiplied by
//!   |r| ≤ 0.35 and divided by e^r ≥ 0.707 (≤ 0.6 ulp).
//! - 2ⁿ is exact, so |exp_poly(x) − e^x| ≤ 1.3 ulp, and with glibc's own
//!   bound (< 0.52 ulp) |exp_poly(x) − f64::exp(x)| ≤ 2 ulp. The tests check
//!   this bound over the range the kernels use.
//!
//! # Range
//! Arguments are clamped to [−708, 709], where 2ⁿ stays a normal number:
//! below −708 the result is e^−708 ≈ 3·10⁻³⁰⁸ instead of a subnormal or 0
//! (as a decay factor it is 0 for every purpose), above 709 it is e^709.
//! NaN propagates.

const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split as in fdlibm: `LN2_HI` has 32 significant bits.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// 1.5·2⁵²: adding it rounds to an integer and leaves it in the low bits.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// Lowest and highest clamped argument.
pub(crate) const EXP_MIN: f64 = -708.0;
pub(crate) const EXP_MAX: f64 = 709.0;

/// Taylor coefficients 1/k!, k = 13 down to 2.
const C: [f64; 12] = [
    1.0 / 6_227_020_800.0,
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
];

/// e^x within 2 ulp of `f64::exp` on [−708, 709] (see the module docs).
#[inline(always)]
pub fn exp_poly(x: f64) -> f64 {
    // Comparisons are false for NaN, which therefore passes through.
    let x = if x < EXP_MIN { EXP_MIN } else { x };
    let x = if x > EXP_MAX { EXP_MAX } else { x };
    exp_clamped(x)
}

/// [`exp_poly`] for decay factors e^(−dt·k), whose argument is never
/// positive (k > 0: rates and conductances are non-negative, g_L and C_m
/// positive — validated): only the lower clamp, one compare and select
/// fewer per call; equal to `exp_poly(x)` bit for bit for every x ≤ 0 and
/// NaN (tested).
#[inline(always)]
pub(crate) fn exp_decay(x: f64) -> f64 {
    let x = if x < EXP_MIN { EXP_MIN } else { x };
    exp_clamped(x)
}

/// e^x for x in [EXP_MIN, EXP_MAX] or NaN.
#[inline(always)]
fn exp_clamped(x: f64) -> f64 {
    let shifted = x.mul_add(LOG2_E, SHIFTER);
    let n = shifted - SHIFTER;
    let r = n.mul_add(-LN2_HI, x);
    let r = n.mul_add(-LN2_LO, r);
    let mut p = C[0];
    let mut k = 1;
    while k < C.len() {
        p = p.mul_add(r, C[k]);
        k += 1;
    }
    let p = p.mul_add(r, 1.0);
    let p = p.mul_add(r, 1.0);
    // The low 12 bits of the shifter's pattern are 0, so these bits hold
    // n + 1023 ∈ [2, 2046]: the biased exponent of 2ⁿ (sign bit 0).
    let scale = f64::from_bits(shifted.to_bits().wrapping_add(1023) << 52);
    p * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_at_zero_and_propagates_nan() {
        assert_eq!(exp_poly(0.0), 1.0);
        assert!(exp_poly(f64::NAN).is_nan());
        assert_eq!(exp_poly(f64::NEG_INFINITY), exp_poly(EXP_MIN));
        assert!(exp_poly(f64::INFINITY).is_finite());
    }

    /// The decay variant drops only the upper clamp: same bits as
    /// `exp_poly` on x ≤ 0, including −0, −∞, NaN and the clamp's edge.
    #[test]
    fn exp_decay_is_exp_poly_on_non_positive_arguments() {
        let mut xs = vec![
            0.0,
            -0.0,
            f64::NEG_INFINITY,
            f64::NAN,
            EXP_MIN,
            EXP_MIN.next_up(),
        ];
        xs.extend((0..200_000).map(|i| -800.0 * i as f64 / 200_000.0));
        xs.extend((0..2_000).map(|i| -(i as f64) * 1e-6));
        for x in xs {
            assert_eq!(exp_decay(x).to_bits(), exp_poly(x).to_bits(), "x = {x}");
        }
    }

    #[test]
    fn shifter_rounds_to_nearest() {
        assert_eq!(LN2_HI, 6.931_471_803_691_238e-1);
        assert!((LN2_HI + LN2_LO - std::f64::consts::LN_2).abs() < 1e-25);
        for x in [-3.0f64, -0.4, 0.3, 1.0, 700.0, -707.9] {
            let n = (x.mul_add(LOG2_E, SHIFTER) - SHIFTER) as i64;
            assert!((x * LOG2_E - n as f64).abs() <= 0.5 + 1e-12, "{x}");
        }
    }
}
