//! Tabulated gates for the opt-in `rush-larsen-table` method.
//!
//! The Rush–Larsen update of a gate x with rates α(V), β(V) over a step dt
//! is x ← A(V) + D(V)·x with D = e^(−dt(α+β)) and A = x∞(1 − D): both depend
//! on V only (and on dt, fixed per protocol). They are tabulated once per
//! protocol on a uniform grid of [`V_MIN_MV`, `V_MAX_MV`] with spacing
//! [`DV_MV`], from the straightforward libm rates ([`crate::Rates::at`]), and
//! interpolated linearly in V. A step's gate update is then an index, one
//! 96-byte cell (values and differences) and 9 fused multiply-adds instead
//! of 4 exponentials and 3 divisions; the membrane keeps its exact
//! exponential.
//!
//! Error (a priori): linear interpolation errs by at most ΔV²/8·max|f''|;
//! the test `table_error_is_within_its_bound` measures the largest
//! deviation of A and D from the exact values between the grid points.
//! Outside the table, V is clamped to its edge: the gate rates of
//! |V| > 150 mV are those of the edge (no trial that is not already
//! diverging gets there; |V| ≥ 1000 mV stops a trial).

use crate::hh::{HhParams, Rates};

/// Lowest tabulated voltage [mV].
pub const V_MIN_MV: f64 = -150.0;
/// Highest tabulated voltage [mV].
pub const V_MAX_MV: f64 = 150.0;
/// Grid spacing [mV] (a power of two, so grid voltages are exact).
pub const DV_MV: f64 = 1.0 / 32.0;
/// Number of rows: (V_MAX_MV − V_MIN_MV)/DV_MV + 1.
const ROWS: usize = 9601;
const _: () = assert!((V_MAX_MV - V_MIN_MV) / DV_MV + 1.0 == ROWS as f64);
/// Number of cells between rows.
const CELLS: usize = ROWS - 1;

/// One cell [V_i, V_i + DV_MV] of the table, laid out for the AVX2 path:
/// (A_m, D_m, A_h, D_h) at its lower end, their differences to the next
/// row, then (A_n, D_n) and their differences — so that a lane's four m/h
/// values are one fused multiply-add of two 256-bit loads, and its n values
/// one of the two halves of a third. Interpolation is value + difference ×
/// fraction, one FMA per value, on every path. 96 bytes, 32-byte aligned.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
pub(crate) struct Cell([f64; 12]);

/// Where (value, difference) of coefficient k = 0..6 (A_m, D_m, A_h, D_h,
/// A_n, D_n) sit in a [`Cell`].
const SLOT: [(usize, usize); 6] = [(0, 4), (1, 5), (2, 6), (3, 7), (8, 10), (9, 11)];

/// The gate table of one protocol (dt), built once per protocol.
#[derive(Debug, Clone)]
pub(crate) struct GateTable {
    /// A fixed size, so cell indices clamped below CELLS need no bounds
    /// checks in the step loop.
    cells: Box<[Cell; CELLS]>,
}

/// Index of the last row, as f64.
const LAST: f64 = (ROWS - 1) as f64;

/// 2⁵² and its bit pattern: for an integer 0 ≤ k < 2⁵², the bits of the
/// double 2⁵² + k are `TWO_52_BITS + k` (an exact float → integer
/// conversion that vectorizes; AVX2 has no 64-bit conversion).
const TWO_52: f64 = 4_503_599_627_370_496.0;
const TWO_52_BITS: u64 = 0x4330_0000_0000_0000;

/// A and D of the three gates at `v` for step `dt`, exactly (libm).
pub(crate) fn exact_coefficients(v: f64, dt: f64) -> [f64; 6] {
    let r = Rates::at(v);
    let mut out = [0.0; 6];
    for (g, (a, b)) in [
        (r.alpha_m, r.beta_m),
        (r.alpha_h, r.beta_h),
        (r.alpha_n, r.beta_n),
    ]
    .into_iter()
    .enumerate()
    {
        let k = a + b;
        let d = (-dt * k).exp();
        // x∞(1 − D) = (α/k)·(−expm1(−dt·k)), without cancellation.
        out[2 * g] = a / k * -(-dt * k).exp_m1();
        out[2 * g + 1] = d;
    }
    out
}

/// The cell holding `v` and the position in it: (cell index, fraction in
/// [0, 1]). Branch-free and vectorizable (a loop over lanes of this is
/// plain AVX2 arithmetic). V is clamped to the table; NaN goes to cell 0
/// and stays finite here (the V update keeps the NaN, and the trial stops
/// as diverged).
#[inline(always)]
pub(crate) fn locate(v: f64) -> (u64, f64) {
    let x = (v - V_MIN_MV) * (1.0 / DV_MV);
    let x = if x > 0.0 { x } else { 0.0 };
    let x = if x < LAST { x } else { LAST };
    // Lower row ≤ ROWS − 2, so x = LAST interpolates to the last row.
    let below = x.floor();
    let below = if below < LAST - 1.0 {
        below
    } else {
        LAST - 1.0
    };
    let index = (below + TWO_52).to_bits() - TWO_52_BITS;
    (index, x - below)
}

impl GateTable {
    pub fn new(_p: &HhParams, dt: f64) -> Self {
        let rows: Vec<[f64; 6]> = (0..ROWS)
            .map(|i| exact_coefficients(V_MIN_MV + i as f64 * DV_MV, dt))
            .collect();
        let cells: Box<[Cell; CELLS]> = rows
            .windows(2)
            .map(|w| {
                let mut c = [0.0; 12];
                for (k, &(value, difference)) in SLOT.iter().enumerate() {
                    c[value] = w[0][k];
                    c[difference] = w[1][k] - w[0][k];
                }
                Cell(c)
            })
            .collect::<Vec<_>>()
            .into_boxed_slice()
            .try_into()
            .expect("CELLS cells");
        Self { cells }
    }

    /// (A_m, D_m, A_h, D_h, A_n, D_n) in cell `index` at `fraction`,
    /// interpolated linearly.
    #[inline(always)]
    pub fn interpolate(&self, index: u64, fraction: f64) -> [f64; 6] {
        let c = &self.cells[(index as usize).min(CELLS - 1)].0;
        SLOT.map(|(value, difference)| c[difference].mul_add(fraction, c[value]))
    }

    /// Interpolated coefficients of lanes `lanes` into `coef[k][lane]`,
    /// one lane at a time (the portable path, and the AVX2 path's last
    /// lanes that do not fill a vector).
    #[inline(always)]
    pub fn interpolate_lanes<const B: usize>(
        &self,
        cell: &[u64; B],
        fraction: &[f64; B],
        coef: &mut [[f64; B]; 6],
        lanes: std::ops::Range<usize>,
    ) {
        for i in lanes.start..lanes.end.min(B) {
            let c = self.interpolate(cell[i], fraction[i]);
            for (k, x) in c.into_iter().enumerate() {
                coef[k][i] = x;
            }
        }
    }

    /// [`Self::interpolate_lanes`] with AVX2: four lanes at a time, each
    /// lane's cell read with three 256-bit loads and interpolated with one
    /// 256-bit and one 128-bit FMA, then transposed into lane order — the
    /// same FMAs on the same values, so the same bits.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub unsafe fn interpolate_lanes_avx2<const B: usize>(
        &self,
        cell: &[u64; B],
        fraction: &[f64; B],
        coef: &mut [[f64; B]; 6],
        n: usize,
    ) {
        use std::arch::x86_64::*;
        let n = n.min(B);
        let whole = n / 4 * 4;
        let mut i = 0;
        while i < whole {
            let mut mh = [_mm256_setzero_pd(); 4];
            let mut nn = [_mm_setzero_pd(); 4];
            for j in 0..4 {
                let c = &self.cells[(cell[i + j] as usize).min(CELLS - 1)].0;
                let f = _mm256_set1_pd(fraction[i + j]);
                // SAFETY: c has 12 elements; loads of 4 at 0, 4 and 8.
                let (value, difference, n_pair) = unsafe {
                    (
                        _mm256_loadu_pd(c.as_ptr()),
                        _mm256_loadu_pd(c.as_ptr().add(4)),
                        _mm256_loadu_pd(c.as_ptr().add(8)),
                    )
                };
                mh[j] = _mm256_fmadd_pd(difference, f, value);
                nn[j] = _mm_fmadd_pd(
                    _mm256_extractf128_pd::<1>(n_pair),
                    _mm256_castpd256_pd128(f),
                    _mm256_castpd256_pd128(n_pair),
                );
            }
            // 4×4 transpose of (A_m, D_m, A_h, D_h) per lane.
            let lo01 = _mm256_unpacklo_pd(mh[0], mh[1]); // am0 am1 ah0 ah1
            let hi01 = _mm256_unpackhi_pd(mh[0], mh[1]); // dm0 dm1 dh0 dh1
            let lo23 = _mm256_unpacklo_pd(mh[2], mh[3]);
            let hi23 = _mm256_unpackhi_pd(mh[2], mh[3]);
            let am = _mm256_permute2f128_pd::<0x20>(lo01, lo23);
            let ah = _mm256_permute2f128_pd::<0x31>(lo01, lo23);
            let dm = _mm256_permute2f128_pd::<0x20>(hi01, hi23);
            let dh = _mm256_permute2f128_pd::<0x31>(hi01, hi23);
            // (A_n, D_n) per lane: [n0 | n2] and [n1 | n3], then unpack.
            let n02 = _mm256_insertf128_pd::<1>(_mm256_castpd128_pd256(nn[0]), nn[2]);
            let n13 = _mm256_insertf128_pd::<1>(_mm256_castpd128_pd256(nn[1]), nn[3]);
            let an = _mm256_unpacklo_pd(n02, n13);
            let dn = _mm256_unpackhi_pd(n02, n13);
            for (k, x) in [am, dm, ah, dh, an, dn].into_iter().enumerate() {
                // SAFETY: i + 4 ≤ n ≤ B.
                unsafe { _mm256_storeu_pd(coef[k].as_mut_ptr().add(i), x) };
            }
            i += 4;
        }
        self.interpolate_lanes(cell, fraction, coef, whole..n);
    }

    /// (A_m, D_m, A_h, D_h, A_n, D_n) at `v`, interpolated (what a kernel
    /// lane computes; for tests).
    #[cfg(test)]
    pub fn coefficients(&self, v: f64) -> [f64; 6] {
        let (index, fraction) = locate(v);
        self.interpolate(index, fraction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Between grid points, the interpolated A and D deviate from the exact
    /// ones by at most the linear-interpolation bound ΔV²/8·max|f''| (max
    /// over −100…+100 mV of second differences on a 16× finer grid) plus
    /// rounding (values ≤ 1: a few 10⁻¹⁶).
    #[test]
    fn table_error_is_within_its_bound() {
        let dt = 0.01;
        let t = GateTable::new(&HhParams::default(), dt);
        let h = DV_MV / 16.0;
        let vs: Vec<f64> = (0..(200.0 / h) as usize)
            .map(|j| -100.0 + j as f64 * h)
            .collect();
        let exact: Vec<[f64; 6]> = vs.iter().map(|&v| exact_coefficients(v, dt)).collect();
        let mut f2 = [0.0f64; 6];
        for w in exact.windows(3) {
            for k in 0..6 {
                f2[k] = f2[k].max(((w[2][k] - 2.0 * w[1][k] + w[0][k]) / (h * h)).abs());
            }
        }
        let mut worst = [0.0f64; 6];
        for (v, want) in vs.iter().zip(&exact) {
            let got = t.coefficients(*v);
            for k in 0..6 {
                let bound = DV_MV * DV_MV / 8.0 * f2[k] * 1.01 + 1e-15;
                let err = (got[k] - want[k]).abs();
                worst[k] = worst[k].max(err);
                assert!(err <= bound, "V = {v}, k = {k}: {err:e} > {bound:e}");
            }
        }
        eprintln!("max |table − exact| (A_m, D_m, A_h, D_h, A_n, D_n): {worst:?}");
        // A step moves a gate by dt·k·|x∞ − x|, typically 1e-4…1e-2; the
        // table's error per step must be orders of magnitude below.
        assert!(worst.iter().all(|&e| e < 1e-6), "{worst:?}");
    }

    /// The AVX2 interpolation gives the portable one's bits, for any fill
    /// (whole vectors and a remainder) and voltages across and beyond the
    /// table, NaN included.
    #[test]
    fn avx2_interpolation_is_bit_identical_to_portable() {
        #[cfg(target_arch = "x86_64")]
        {
            if !(std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma"))
            {
                return;
            }
            const B: usize = 32;
            let t = GateTable::new(&HhParams::default(), 0.01);
            for n in [1, 3, 4, 7, 29, 32] {
                for round in 0..200 {
                    let mut cell = [0u64; B];
                    let mut fraction = [0.0; B];
                    for i in 0..B {
                        let v = match (i + round) % 37 {
                            0 => f64::NAN,
                            1 => -1e4,
                            2 => 1e4,
                            3 => V_MAX_MV,
                            k => {
                                -160.0
                                    + 320.0 * ((k * 7919 + round * 104_729) % 10_007) as f64
                                        / 10_007.0
                            }
                        };
                        (cell[i], fraction[i]) = locate(v);
                    }
                    let mut a = [[0.0; B]; 6];
                    let mut b = [[1.0; B]; 6];
                    t.interpolate_lanes(&cell, &fraction, &mut a, 0..n);
                    // SAFETY: AVX2 and FMA checked above.
                    unsafe { t.interpolate_lanes_avx2(&cell, &fraction, &mut b, n) };
                    for k in 0..6 {
                        for i in 0..n {
                            assert_eq!(
                                a[k][i].to_bits(),
                                b[k][i].to_bits(),
                                "n {n}, k {k}, lane {i}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn clamps_outside_the_table_and_survives_nan() {
        let t = GateTable::new(&HhParams::default(), 0.01);
        assert_eq!(t.coefficients(-500.0), t.coefficients(V_MIN_MV));
        assert_eq!(t.coefficients(900.0), t.coefficients(V_MAX_MV));
        assert!(t.coefficients(f64::NAN).iter().all(|x| x.is_finite()));
    }
}
