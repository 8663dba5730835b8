//! The Rush–Larsen step of the HH neuron over a block of lanes, in
//! structure-of-arrays form and split into short loops (shared exp → rates
//! and coefficients → decays and updates), so that each loop is independent
//! across lanes and vectorizes.
//!
//! Everything here is `#[inline(always)]`: the functions are compiled into
//! the caller, which is the AVX-512 or the AVX2+FMA entry point or the
//! portable one (see `avx512.rs`, `avx2.rs`). The arithmetic is the same in
//! all: IEEE `+ − × ÷` and explicit `mul_add`, with no contraction, so all
//! give the same bits.

use super::exp::{exp_decay, exp_poly};
use crate::hh::HhParams;

/// e^2.5, e^3 and e (nearest doubles; checked against `f64::exp` in tests).
pub(crate) const E_2_5: f64 = 12.182_493_960_703_473;
pub(crate) const E_3: f64 = 20.085_536_923_187_668;
pub(crate) const E_1: f64 = std::f64::consts::E;

/// Below this |x| (x = (V+40)/10 for α_m, (V+55)/10 for α_n) the removable
/// singularity is evaluated by its Taylor series (degree 8, truncation
/// < 6·10⁻¹⁹ relative at |x| = 0.05); above it by the shared exponential,
/// whose cancellation error is ≤ 1.2·10⁻¹⁴ / |x| ≤ 2.4·10⁻¹³ relative.
pub(crate) const EXPREL_SWITCH: f64 = 0.05;

/// Parameters folded into the constants one step needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Consts {
    pub g_na: f64,
    pub g_k: f64,
    pub g_l: f64,
    pub e_na: f64,
    pub e_k: f64,
    /// g_L·E_L + I_app [µA/cm²].
    pub leak_drive: f64,
    /// −dt \[ms\].
    pub neg_dt: f64,
    /// −dt / C_m.
    pub neg_dt_over_c: f64,
}

impl Consts {
    pub fn new(p: &HhParams, dt: f64) -> Self {
        Self {
            g_na: p.g_na,
            g_k: p.g_k,
            g_l: p.g_l,
            e_na: p.e_na,
            e_k: p.e_k,
            leak_drive: p.g_l.mul_add(p.e_l, p.i_app),
            neg_dt: -dt,
            neg_dt_over_c: -dt / p.c_m,
        }
    }
}

/// State of B lanes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct State<const B: usize> {
    pub v: [f64; B],
    pub m: [f64; B],
    pub h: [f64; B],
    pub n: [f64; B],
}

/// Per-step intermediates of B lanes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scratch<const B: usize> {
    t: [f64; B],
    inf_m: [f64; B],
    inf_h: [f64; B],
    inf_n: [f64; B],
    arg_m: [f64; B],
    arg_h: [f64; B],
    arg_n: [f64; B],
    v_inf: [f64; B],
    arg_v: [f64; B],
    /// Powers t⁹, t³⁶, t⁴⁰, t⁷² of the shared exponential.
    p9: [f64; B],
    p36: [f64; B],
    p40: [f64; B],
    p72: [f64; B],
    /// α_m and α_n/0.1 as fractions (numerator, denominator).
    num_m: [f64; B],
    den_m: [f64; B],
    num_n: [f64; B],
    den_n: [f64; B],
    /// Table cell (`table::CellOffset`) and fraction of each lane
    /// (`rush-larsen-table`).
    cell: [super::table::CellOffset; B],
    fraction: [f64; B],
    /// Interpolated (A_m, D_m, A_h, D_h, A_n, D_n) of each lane.
    coef: [[f64; B]; 6],
}

impl<const B: usize> Scratch<B> {
    pub fn new() -> Self {
        Self {
            t: [0.0; B],
            inf_m: [0.0; B],
            inf_h: [0.0; B],
            inf_n: [0.0; B],
            arg_m: [0.0; B],
            arg_h: [0.0; B],
            arg_n: [0.0; B],
            v_inf: [0.0; B],
            arg_v: [0.0; B],
            p9: [0.0; B],
            p36: [0.0; B],
            p40: [0.0; B],
            p72: [0.0; B],
            num_m: [0.0; B],
            den_m: [0.0; B],
            num_n: [0.0; B],
            den_n: [0.0; B],
            cell: [super::table::CellOffset::default(); B],
            fraction: [0.0; B],
            coef: [[0.0; B]; 6],
        }
    }
}

/// (1 − e^(−x))/x = Σ (−x)^k/(k+1)!, k = 0..8, for |x| < [`EXPREL_SWITCH`].
#[inline(always)]
fn exprel_neg_taylor(x: f64) -> f64 {
    let mut p: f64 = 1.0 / 362_880.0;
    p = p.mul_add(x, -1.0 / 40_320.0);
    p = p.mul_add(x, 1.0 / 5_040.0);
    p = p.mul_add(x, -1.0 / 720.0);
    p = p.mul_add(x, 1.0 / 120.0);
    p = p.mul_add(x, -1.0 / 24.0);
    p = p.mul_add(x, 1.0 / 6.0);
    p = p.mul_add(x, -0.5);
    p.mul_add(x, 1.0)
}

/// x/(1 − e^(−x)) as a fraction (numerator, denominator), e^(−x) given as
/// `e_neg_scale · t72`; exact through x = 0.
#[inline(always)]
fn inv_exprel_neg(x: f64, e_neg_scale: f64, t72: f64) -> (f64, f64) {
    let small = x.abs() < EXPREL_SWITCH;
    let num = if small { 1.0 } else { x };
    let den = if small {
        exprel_neg_taylor(x)
    } else {
        e_neg_scale.mul_add(-t72, 1.0)
    };
    (num, den)
}

/// Powers of the shared t = e^(−(V+65)/720): (t⁹, t³⁶, t⁴⁰, t⁷²).
#[inline(always)]
fn powers(t: f64) -> (f64, f64, f64, f64) {
    let t2 = t * t;
    let t4 = t2 * t2;
    let t8 = t4 * t4;
    let t9 = t8 * t;
    let t18 = t9 * t9;
    let t36 = t18 * t18;
    (t9, t36, t36 * t4, t36 * t36)
}

/// The six HH rates at V from the shared t = e^(−(V+65)/720), in 1/ms:
/// (α_m, β_m, α_h, β_h, α_n, β_n). (The kernel uses the same quantities
/// in fraction form; this is for tests and documentation.)
#[cfg(test)]
pub(crate) fn rates_shared(v: f64, t: f64) -> [f64; 6] {
    let (t9, t36, t40, t72) = powers(t);
    let (nm, dm) = inv_exprel_neg((v + 40.0) * 0.1, E_2_5, t72);
    let (nn, dn) = inv_exprel_neg((v + 55.0) * 0.1, E_1, t72);
    [
        nm / dm,
        4.0 * t40,
        0.07 * t36,
        1.0 / E_3.mul_add(t72, 1.0),
        0.1 * nn / dn,
        0.125 * t9,
    ]
}

/// Gate target x∞ = α/(α+β) and rate k = α+β with one division: with
/// α = a/d, x∞ = a/q and k = q/d for q = a + β·d; r = 1/(q·d) gives
/// x∞ = a·d·r and k = q·q·r.
#[inline(always)]
fn gate_coefficients(a: f64, d: f64, beta: f64) -> (f64, f64) {
    let q = beta.mul_add(d, a);
    let r = 1.0 / (q * d);
    (a * d * r, q * q * r)
}

/// Gate targets and rates (inf_m, k_m, inf_h, k_h, inf_n, k_n) at V, in
/// one function (the kernel computes the same in three loops; for tests).
#[cfg(test)]
pub(crate) fn gates_shared(v: f64, t: f64) -> [f64; 6] {
    let powers = powers(t);
    let (_, _, _, t72) = powers;
    let alpha_m = inv_exprel_neg((v + 40.0) * 0.1, E_2_5, t72);
    let alpha_n = inv_exprel_neg((v + 55.0) * 0.1, E_1, t72);
    gates_from(powers, alpha_m, alpha_n)
}

/// Gate targets and rates from the shared powers (t⁹, t³⁶, t⁴⁰, t⁷²) and
/// the fractions (numerator, denominator) of α_m and α_n/0.1.
#[inline(always)]
fn gates_from(
    (t9, t36, t40, t72): (f64, f64, f64, f64),
    (nm, dm): (f64, f64),
    (nn, dn): (f64, f64),
) -> [f64; 6] {
    // α_m = nm/dm, β_m = 4 t⁴⁰.
    let (inf_m, k_m) = gate_coefficients(nm, dm, 4.0 * t40);
    // α_n = 0.1·nn/dn, β_n = t⁹/8.
    let (inf_n, k_n) = gate_coefficients(0.1 * nn, dn, 0.125 * t9);
    // β_h = 1/dh, so k_h = (α_h·dh + 1)/dh and x∞ = α_h·dh/(α_h·dh + 1).
    let dh = E_3.mul_add(t72, 1.0);
    let alpha_h = 0.07 * t36;
    let qh = alpha_h.mul_add(dh, 1.0);
    let rh = 1.0 / (qh * dh);
    let (inf_h, k_h) = (alpha_h * dh * dh * rh, qh * qh * rh);
    [inf_m, k_m, inf_h, k_h, inf_n, k_n]
}

/// t = e^(−(V+65)/720), the one exponential all six rates share.
#[inline(always)]
pub(crate) fn shared_t(v: f64) -> f64 {
    exp_poly((v + 65.0) * (-1.0 / 720.0))
}

/// One Rush–Larsen step of lanes `0..n` (n ≤ B), exact formulas with the
/// shared and polynomial exponentials ("rush-larsen").
#[inline(always)]
pub(crate) fn step_exact<const B: usize>(
    c: &Consts,
    s: &mut State<B>,
    w: &mut Scratch<B>,
    n: usize,
) {
    let n = n.min(B);
    // 1. The shared exponential.
    for (t, &v) in w.t[..n].iter_mut().zip(&s.v[..n]) {
        *t = shared_t(v);
    }
    // 2. Powers of t and α_m, α_n in their exponential form x/(1 − e^(−x)),
    //    with the Taylor form selected, lane by lane, within 0.5 mV of −40
    //    (−55) mV, exactly as `inv_exprel_neg` does.
    for i in 0..n {
        let (t9, t36, t40, t72) = powers(w.t[i]);
        (w.p9[i], w.p36[i], w.p40[i], w.p72[i]) = (t9, t36, t40, t72);
        let v = s.v[i];
        (w.num_m[i], w.den_m[i]) = inv_exprel_neg((v + 40.0) * 0.1, E_2_5, t72);
        (w.num_n[i], w.den_n[i]) = inv_exprel_neg((v + 55.0) * 0.1, E_1, t72);
    }
    // 3. Gate targets and decay arguments; membrane target and rate.
    for i in 0..n {
        let [im, km, ih, kh, inn, kn] = gates_from(
            (w.p9[i], w.p36[i], w.p40[i], w.p72[i]),
            (w.num_m[i], w.den_m[i]),
            (w.num_n[i], w.den_n[i]),
        );
        w.inf_m[i] = im;
        w.inf_h[i] = ih;
        w.inf_n[i] = inn;
        w.arg_m[i] = c.neg_dt * km;
        w.arg_h[i] = c.neg_dt * kh;
        w.arg_n[i] = c.neg_dt * kn;
        let (m, h, nn) = (s.m[i], s.h[i], s.n[i]);
        let g_na = c.g_na * m * m * m * h;
        let g_k = c.g_k * (nn * nn) * (nn * nn);
        let g_tot = g_na + g_k + c.g_l;
        w.v_inf[i] = g_na.mul_add(c.e_na, g_k.mul_add(c.e_k, c.leak_drive)) / g_tot;
        w.arg_v[i] = g_tot * c.neg_dt_over_c;
    }
    // 4. Four decays and the exact updates x ← x∞ + (x − x∞)·e^(−dt·k).
    for i in 0..n {
        let (im, ih, inn, iv) = (w.inf_m[i], w.inf_h[i], w.inf_n[i], w.v_inf[i]);
        s.m[i] = (s.m[i] - im).mul_add(exp_decay(w.arg_m[i]), im);
        s.h[i] = (s.h[i] - ih).mul_add(exp_decay(w.arg_h[i]), ih);
        s.n[i] = (s.n[i] - inn).mul_add(exp_decay(w.arg_n[i]), inn);
        s.v[i] = (s.v[i] - iv).mul_add(exp_decay(w.arg_v[i]), iv);
    }
}

/// One Rush–Larsen step of lanes `0..n` with tabulated gates
/// ("rush-larsen-table", opt-in): x ← A(V) + D(V)·x from the interpolated
/// table, the membrane exactly as in [`step_exact`].
///
/// The table reads do not vectorize by themselves (each lane reads its own
/// cell), so they get a step of their own between two vector loops: locate
/// the cells (vector), interpolate (on AVX2: four lanes' cells loaded whole
/// and transposed, see `GateTable::interpolate_lanes_avx2`), update gates
/// and membrane (vector).
#[inline(always)]
pub(crate) fn step_table<const B: usize, X: super::IsaPath>(
    c: &Consts,
    table: &super::table::GateTable,
    s: &mut State<B>,
    w: &mut Scratch<B>,
    n: usize,
) {
    let n = n.min(B);
    // 1. Membrane target and decay argument (gates at the step's start),
    //    and each lane's table cell at the step's starting V.
    for i in 0..n {
        let (m, h, nn) = (s.m[i], s.h[i], s.n[i]);
        let g_na = c.g_na * m * m * m * h;
        let g_k = c.g_k * (nn * nn) * (nn * nn);
        let g_tot = g_na + g_k + c.g_l;
        w.v_inf[i] = g_na.mul_add(c.e_na, g_k.mul_add(c.e_k, c.leak_drive)) / g_tot;
        w.arg_v[i] = g_tot * c.neg_dt_over_c;
        (w.cell[i], w.fraction[i]) = super::table::locate(s.v[i]);
    }
    // 2. Interpolated gate coefficients (each lane reads its own cell).
    if X::AVX2 {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `X::AVX2` is true only in the AVX2+FMA and AVX-512 blocks,
        // which run only where the CPU supports AVX2 and FMA.
        unsafe {
            table.interpolate_lanes_avx2(&w.cell, &w.fraction, &mut w.coef, n)
        }
    } else {
        table.interpolate_lanes(&w.cell, &w.fraction, &mut w.coef, 0..n);
    }
    // 3. Gates and membrane.
    let [am, dm, ah, dh, an, dn] = &w.coef;
    for i in 0..n {
        s.m[i] = s.m[i].mul_add(dm[i], am[i]);
        s.h[i] = s.h[i].mul_add(dh[i], ah[i]);
        s.n[i] = s.n[i].mul_add(dn[i], an[i]);
        let iv = w.v_inf[i];
        s.v[i] = (s.v[i] - iv).mul_add(exp_decay(w.arg_v[i]), iv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hh::Rates;

    #[test]
    fn constants_are_the_nearest_doubles() {
        assert_eq!(E_2_5, 2.5f64.exp());
        assert_eq!(E_3, 3.0f64.exp());
        assert_eq!(E_1, 1.0f64.exp());
    }

    /// The shared-exponential rates and the one-division gate coefficients
    /// against the straightforward libm formulas, over −100…+60 mV and
    /// densely around the removable singularities (−40 and −55 mV). Bound:
    /// 72 × (1 ulp of t) from t⁷², ≤ 1.2·10⁻¹⁴ / |x| ≤ 2.4·10⁻¹³ relative
    /// from the cancellation in 1 − e^(−x) above the Taylor switch, plus
    /// a few roundings: 5·10⁻¹³.
    #[test]
    fn shared_rates_and_gate_coefficients_match_libm() {
        let mut worst = 0.0f64;
        let mut vs: Vec<f64> = (0..=16_000).map(|i| -100.0 + 0.01 * i as f64).collect();
        for c in [-40.0, -55.0] {
            vs.extend((-2000..=2000).map(|i| c + 1e-3 * i as f64));
            vs.extend((1..=15).flat_map(|k| [c + 10f64.powi(-k), c - 10f64.powi(-k)]));
        }
        for v in vs {
            let r = Rates::at(v);
            let t = shared_t(v);
            let got = rates_shared(v, t);
            let want = [
                r.alpha_m, r.beta_m, r.alpha_h, r.beta_h, r.alpha_n, r.beta_n,
            ];
            let [im, km, ih, kh, inn, kn] = gates_shared(v, t);
            let k = |a: f64, b: f64| a + b;
            let g = [
                (im, r.alpha_m / k(r.alpha_m, r.beta_m)),
                (km, k(r.alpha_m, r.beta_m)),
                (ih, r.alpha_h / k(r.alpha_h, r.beta_h)),
                (kh, k(r.alpha_h, r.beta_h)),
                (inn, r.alpha_n / k(r.alpha_n, r.beta_n)),
                (kn, k(r.alpha_n, r.beta_n)),
            ];
            for (x, y) in got.iter().zip(&want).chain(g.iter().map(|(a, b)| (a, b))) {
                let rel = ((x - y) / y).abs();
                worst = worst.max(rel);
                assert!(rel < 5e-13, "V = {v}: {x} vs {y} (rel {rel:e})");
            }
        }
        eprintln!("max relative deviation from libm rates: {worst:e}");
    }
}
