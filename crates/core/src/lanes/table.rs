//! Tabulated gates for the opt-in `rush-larsen-table` method.
//!
//! The Rush–Larsen update of a gate x with rates α(V), β(V) over a step dt
//! is x ← A(V) + D(V)·x with D = e^(−dt(α+β)) and A = x∞(1 − D): both depend
//! on V only (and on dt, fixed per protocol). They are tabulated once per
//! protocol on a uniform grid of [`V_MIN_MV`, `V_MAX_MV`] with spacing
//! [`DV_MV`], from the straightforward libm rates ([`crate::Rates::at`]):
//! in each cell, A and D of the three gates are the cubic polynomials in the
//! cell's fraction s ∈ [0, 1] that interpolate the exact values at
//! s = 0, 1/3, 2/3 and 1 (so they join continuously at the rows). A step's
//! gate update is then an index, one 192-byte cell and 18 fused
//! multiply-adds (Horner) instead of 4 exponentials and 3 divisions; the
//! membrane keeps its exact exponential.
//!
//! Why cubic on a coarse grid rather than linear on a fine one: the cells
//! of the voltages a neuron visits should stay in the core's caches (a
//! linear table accurate to 10⁻⁷ needs 1/32 mV rows: 400 KB for −80…+50 mV,
//! read from L2 every step), and a cubic's error falls with ΔV⁴: at
//! ΔV = 1 mV it is ≤ 5.5·10⁻⁹ (linear at 1/32 mV: 1.2·10⁻⁷), and the cells
//! of −80…+50 mV take 25 KB, within a 32 KB L1.
//!
//! Error (a priori): interpolation at four equispaced nodes errs by at most
//! ΔV⁴/1944·max|f⁗| (the node polynomial s(s − 1/3)(s − 2/3)(s − 1) is at
//! most 1/81 in size on [0, 1], and 81·4! = 1944); the test
//! `table_error_is_within_its_bound` checks every point of a fine grid
//! against it. Outside the table, V is clamped to its edge: the gate rates
//! of |V| > 150 mV are those of the edge (no trial that is not already
//! diverging gets there; |V| ≥ 1000 mV stops a trial).

use crate::hh::{HhParams, Rates};

/// Lowest tabulated voltage \[mV\].
pub const V_MIN_MV: f64 = -150.0;
/// Highest tabulated voltage \[mV\].
pub const V_MAX_MV: f64 = 150.0;
/// Grid spacing \[mV\] (a power of two, so grid voltages are exact).
pub const DV_MV: f64 = 1.0;
/// Number of rows: (V_MAX_MV − V_MIN_MV)/DV_MV + 1.
const ROWS: usize = 301;
const _: () = assert!((V_MAX_MV - V_MIN_MV) / DV_MV + 1.0 == ROWS as f64);
/// Number of cells between rows.
const CELLS: usize = ROWS - 1;
/// Cells allocated: CELLS rounded up to a power of two (see `GateTable`).
const SLOTS: usize = CELLS.next_power_of_two();

/// One cell [V_i, V_i + DV_MV] of the table: the cubic coefficients
/// c0..c3 (p(s) = c0 + c1·s + c2·s² + c3·s³) of the six values, laid out
/// for the AVX2 path — c0, c1, c2, c3 of (A_m, D_m, A_h, D_h) as four
/// 256-bit words, so that a lane's m/h values are three 256-bit fused
/// multiply-adds (Horner), then (c0, c1) and (c2, c3) of (A_n, D_n), whose
/// halves feed three 128-bit ones. Every path evaluates
/// ((c3·s + c2)·s + c1)·s + c0 with the same FMAs. 192 bytes, 32-byte
/// aligned.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
pub(crate) struct Cell([f64; CELL_LEN]);
/// Doubles per [`Cell`].
const CELL_LEN: usize = 24;
// No padding: cells lie back to back, CELL_LEN doubles apart.
const _: () = assert!(std::mem::size_of::<Cell>() == 8 * CELL_LEN);

/// Where c0, c1, c2, c3 of coefficient k = 0..6 (A_m, D_m, A_h, D_h, A_n,
/// D_n) sit in a [`Cell`].
const SLOT: [[usize; 4]; 6] = [
    [0, 4, 8, 12],
    [1, 5, 9, 13],
    [2, 6, 10, 14],
    [3, 7, 11, 15],
    [16, 18, 20, 22],
    [17, 19, 21, 23],
];

/// The cubic c0 + c1·s + c2·s² + c3·s³ through (0, f0), (1/3, f1),
/// (2/3, f2), (1, f3) (Lagrange, expanded; from the differences to f0, so
/// that the small coefficients of a nearly constant value lose nothing to
/// cancellation against it).
fn cubic_through(f: [f64; 4]) -> [f64; 4] {
    let (g1, g2, g3) = (f[1] - f[0], f[2] - f[0], f[3] - f[0]);
    [
        f[0],
        (18.0 * g1 - 9.0 * g2 + 2.0 * g3) / 2.0,
        9.0 * (-5.0 * g1 + 4.0 * g2 - g3) / 2.0,
        9.0 * (3.0 * g1 - 3.0 * g2 + g3) / 2.0,
    ]
}

/// Horner's form of a cell's cubic, as every path computes it.
#[inline(always)]
fn horner(c: [f64; 4], s: f64) -> f64 {
    c[3].mul_add(s, c[2]).mul_add(s, c[1]).mul_add(s, c[0])
}

/// The gate table of one protocol (dt), built once per protocol.
#[derive(Debug, Clone)]
pub(crate) struct GateTable {
    /// A fixed power-of-two size ([`SLOTS`] ≥ CELLS; the slots past CELLS
    /// are never read), so that a cell index masked by `SLOTS − 1` needs no
    /// bounds check and no clamp in the step loop: [`locate`] already keeps
    /// indices below CELLS, the mask only makes that safe for any value.
    cells: Box<[Cell; SLOTS]>,
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

/// A lane's table cell as where it starts, in doubles from the first
/// cell: what the kernel keeps per lane, so that the AVX2 path finds a
/// lane's cell with one load of its offset instead of scaling the index
/// lane by lane (−1.8 instructions per step, counted). Made only by [`offset`] (the
/// field is private to this module; the default is the first cell), so it
/// always starts one of the [`SLOTS`] cells: the AVX2 path reads through
/// it without a bounds check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(transparent)]
pub(crate) struct CellOffset(u64);

/// The [`CellOffset`] of cell `index`, masked to the table's [`SLOTS`]
/// (`locate` already keeps indices below CELLS; the mask makes any value
/// safe).
#[inline(always)]
fn offset(index: u64) -> CellOffset {
    CellOffset((index & (SLOTS as u64 - 1)) * CELL_LEN as u64)
}

/// The cell holding `v` and the position in it: (cell, fraction in
/// [0, 1]). Branch-free and vectorizable (a loop over lanes of this is
/// plain AVX2 arithmetic). V is clamped to the table; NaN goes to cell 0
/// and stays finite here (the V update keeps the NaN, and the trial stops
/// as diverged).
#[inline(always)]
pub(crate) fn locate(v: f64) -> (CellOffset, f64) {
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
    (offset(index), x - below)
}

impl GateTable {
    pub fn new(_p: &HhParams, dt: f64) -> Self {
        let at = |i: usize, third: f64| {
            exact_coefficients(V_MIN_MV + (i as f64 + third / 3.0) * DV_MV, dt)
        };
        let mut cells: Vec<Cell> = (0..CELLS)
            .map(|i| {
                let nodes = [at(i, 0.0), at(i, 1.0), at(i, 2.0), at(i + 1, 0.0)];
                let mut c = [0.0; CELL_LEN];
                for (k, slot) in SLOT.iter().enumerate() {
                    let poly = cubic_through(nodes.map(|node| node[k]));
                    for (&place, value) in slot.iter().zip(poly) {
                        c[place] = value;
                    }
                }
                Cell(c)
            })
            .collect();
        // Unused slots repeat the last cell.
        cells.resize(SLOTS, cells[CELLS - 1]);
        let cells: Box<[Cell; SLOTS]> = cells.into_boxed_slice().try_into().expect("SLOTS cells");
        Self { cells }
    }

    /// (A_m, D_m, A_h, D_h, A_n, D_n) of `cell` at `fraction`,
    /// interpolated by the cell's cubics.
    #[inline(always)]
    pub fn interpolate(&self, cell: CellOffset, fraction: f64) -> [f64; 6] {
        let c = &self.cells[cell.0 as usize / CELL_LEN].0;
        // Plain loops, not `array::map`: its closure is not inlined into
        // the AVX2 block, where `mul_add` would become a libm call.
        let mut out = [0.0; 6];
        for (x, slot) in out.iter_mut().zip(&SLOT) {
            *x = horner([c[slot[0]], c[slot[1]], c[slot[2]], c[slot[3]]], fraction);
        }
        out
    }

    /// Interpolated coefficients of lanes `lanes` into `coef[k][lane]`,
    /// one lane at a time (the portable path, and the AVX2 path's last
    /// lanes that do not fill a vector).
    #[inline(always)]
    pub fn interpolate_lanes<const B: usize>(
        &self,
        cell: &[CellOffset; B],
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
    /// lane's cell read with six 256-bit loads and evaluated with three
    /// 256-bit and three 128-bit FMAs (Horner), then transposed into lane
    /// order — the same FMAs on the same values, so the same bits.
    ///
    /// Always inlined, and for that without `#[target_feature]` (the two
    /// do not combine): it is called only from the AVX2 and AVX-512 blocks,
    /// whose features the intrinsics then compile with. (As an `#[inline]`
    /// function with its own features, the compiler kept it out of line in
    /// a build — a call per step and the block's constant trip count lost;
    /// that build's table mode was ~20 % slower.)
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA, and the caller must be compiled
    /// with them enabled.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub unsafe fn interpolate_lanes_avx2<const B: usize>(
        &self,
        cell: &[CellOffset; B],
        fraction: &[f64; B],
        coef: &mut [[f64; B]; 6],
        n: usize,
    ) {
        use std::arch::x86_64::*;
        let n = n.min(B);
        let whole = n / 4 * 4;
        let mut i = 0;
        // SAFETY: the intrinsics need AVX2 and FMA (the caller's contract);
        // the loads and stores are bounded as noted at each.
        while i < whole {
            unsafe {
                let mut mh = [_mm256_setzero_pd(); 4];
                let mut nn = [_mm_setzero_pd(); 4];
                for j in 0..4 {
                    // A CellOffset starts one of the SLOTS cells (see its type).
                    let c =
                        (self.cells.as_ptr() as *const f64).wrapping_add(cell[i + j].0 as usize);
                    let f = _mm256_set1_pd(fraction[i + j]);
                    let f2 = _mm256_castpd256_pd128(f);
                    // SAFETY: c starts a cell of CELL_LEN = 24 doubles (above);
                    // loads of 4 at 0, 4, …, 20.
                    let w = |k: usize| _mm256_loadu_pd(c.add(4 * k));
                    let (c0, c1, c2, c3) = (w(0), w(1), w(2), w(3));
                    mh[j] =
                        _mm256_fmadd_pd(_mm256_fmadd_pd(_mm256_fmadd_pd(c3, f, c2), f, c1), f, c0);
                    let (n01, n23) = (w(4), w(5));
                    let half = |x: __m256d| _mm256_castpd256_pd128(x);
                    let high = |x: __m256d| _mm256_extractf128_pd::<1>(x);
                    nn[j] = _mm_fmadd_pd(
                        _mm_fmadd_pd(_mm_fmadd_pd(high(n23), f2, half(n23)), f2, high(n01)),
                        f2,
                        half(n01),
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
                    _mm256_storeu_pd(coef[k].as_mut_ptr().add(i), x);
                }
                i += 4;
            }
        }
        self.interpolate_lanes(cell, fraction, coef, whole..n);
    }

    /// (A_m, D_m, A_h, D_h, A_n, D_n) at `v`, interpolated (what a kernel
    /// lane computes; for tests).
    #[cfg(test)]
    pub fn coefficients(&self, v: f64) -> [f64; 6] {
        let (cell, fraction) = locate(v);
        self.interpolate(cell, fraction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Between grid points, the interpolated A and D deviate from the exact
    /// ones by at most the cubic-interpolation bound ΔV⁴/1944·max|f⁗|, plus
    /// rounding. max|f⁗| is taken over −120…+120 mV from fourth differences
    /// on a grid of ΔV/8 (each is f⁗ at some point within ±ΔV/4, so their
    /// maximum does not exceed the true one; f⁗ varies on the scale of the
    /// rates' 10–80 mV, so sampling at ΔV/8 misses at most
    /// ~(ΔV/8 / 10 mV)² ≈ 1.6·10⁻⁴ of it: × 1.01 covers that; the fourth
    /// differences' own rounding, 16 ulp/(ΔV/8)⁴ ≈ 1.5·10⁻¹¹, is added to
    /// max|f⁗|). Rounding of the evaluation: the libm values at the nodes
    /// (≤ 1 ulp, carried by the Lebesgue constant of four equispaced nodes,
    /// 1.63), the coefficients (a few ulp of values ≤ 1) and Horner (3 FMAs
    /// on terms ≤ 1): ≤ 10 ulp of 1 = 2.2·10⁻¹⁵.
    #[test]
    fn table_error_is_within_its_bound() {
        let dt = 0.01;
        let t = GateTable::new(&HhParams::default(), dt);
        let h = DV_MV / 8.0;
        let vs: Vec<f64> = (0..(240.0 / h) as usize)
            .map(|j| -120.0 + j as f64 * h)
            .collect();
        let exact: Vec<[f64; 6]> = vs.iter().map(|&v| exact_coefficients(v, dt)).collect();
        let mut f4 = [0.0f64; 6];
        for w in exact.windows(5) {
            for k in 0..6 {
                let d4 = w[4][k] - 4.0 * w[3][k] + 6.0 * w[2][k] - 4.0 * w[1][k] + w[0][k];
                f4[k] = f4[k].max((d4 / h.powi(4)).abs());
            }
        }
        let rounding_f4 = 16.0 * f64::EPSILON / h.powi(4);
        // Points between the grid rows, including a third of the way
        // (a node) and arbitrary fractions.
        let probe: Vec<f64> = (0..(240.0 / DV_MV) as usize * 7)
            .map(|j| -120.0 + j as f64 * DV_MV / 7.0 + 1e-3)
            .collect();
        let mut worst = [0.0f64; 6];
        for v in vs.iter().chain(&probe) {
            let want = exact_coefficients(*v, dt);
            let got = t.coefficients(*v);
            for k in 0..6 {
                let bound = DV_MV.powi(4) / 1944.0 * (f4[k] * 1.01 + rounding_f4) + 2.2e-15;
                let err = (got[k] - want[k]).abs();
                worst[k] = worst[k].max(err);
                assert!(err <= bound, "V = {v}, k = {k}: {err:e} > {bound:e}");
            }
        }
        eprintln!("max |table − exact| (A_m, D_m, A_h, D_h, A_n, D_n): {worst:?}");
        // A step moves a gate by dt·k·|x∞ − x|, typically 1e-4…1e-2; the
        // table's error per step must be orders of magnitude below (the
        // previous linear table's 1.2·10⁻⁷, at least).
        assert!(worst.iter().all(|&e| e < 1e-8), "{worst:?}");
    }

    /// The cubic through four points reproduces them (and so is
    /// continuous from cell to cell: both cells meet a row's exact value).
    #[test]
    fn cubic_passes_through_its_nodes() {
        let f = [0.9, 0.93, 0.97, 0.99];
        let c = cubic_through(f);
        for (s, want) in [0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0].into_iter().zip(f) {
            assert!((horner(c, s) - want).abs() < 1e-15, "{s}");
        }
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
                    let mut cell = [CellOffset::default(); B];
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
        // The step loop masks the index by SLOTS − 1 and relies on locate
        // for the rest: no V reaches a padding slot.
        for v in [
            f64::NEG_INFINITY,
            -1e300,
            -500.0,
            V_MIN_MV,
            -65.0,
            V_MAX_MV,
            900.0,
            1e300,
        ]
        .into_iter()
        .chain([f64::INFINITY, f64::NAN])
        {
            let CellOffset(at) = locate(v).0;
            assert!(at < (CELLS * CELL_LEN) as u64, "V = {v}: offset {at}");
        }
        // The AVX2 path reads through a CellOffset unchecked: whatever the
        // index, it starts a cell inside the table.
        for index in [0, 1, CELLS as u64 - 1, CELLS as u64, SLOTS as u64, u64::MAX] {
            let CellOffset(at) = offset(index);
            assert_eq!(at % CELL_LEN as u64, 0, "index {index}");
            assert!(at <= ((SLOTS - 1) * CELL_LEN) as u64, "index {index}: {at}");
        }
    }
}
