//! Continuous random variates for the input processes, written out so the
//! draws (and so every trial) stay the same whatever crate versions are
//! used. Each consumes whole `u64`s from the stream.

use rand::Rng;

/// Uniform in [0, 1) from the top 53 bits of one `u64`.
#[inline(always)]
pub(crate) fn uniform<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Exp(1) by inversion: −ln(1 − U), one `u64`.
#[inline(always)]
pub(crate) fn exponential<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    -(1.0 - uniform(rng)).ln()
}

/// Standard normal by Box–Muller (one of the pair), two `u64`s.
#[inline]
fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1 = 1.0 - uniform(rng); // (0, 1]
    let u2 = uniform(rng);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Gamma(shape, 1) by Marsaglia & Tsang (2000), doi:10.1145/358407.358414;
/// shape < 1 via Gamma(shape + 1)·U^(1/shape).
pub(crate) fn gamma<R: Rng + ?Sized>(rng: &mut R, shape: f64) -> f64 {
    if shape < 1.0 {
        let g = gamma(rng, shape + 1.0);
        let u = 1.0 - uniform(rng);
        return g * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = uniform(rng);
        if u < 1.0 - 0.0331 * (x * x) * (x * x)
            || (u > 0.0 && u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()))
        {
            return d * v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Gamma(k) has mean k and variance k: 5 SE over n draws
    /// (SE(mean) = √(k/n); SE(var) = √((μ₄ − σ⁴)/n) with μ₄ = 3k² + 6k).
    #[test]
    fn gamma_moments() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let n = 200_000;
        for k in [0.3, 1.0, 2.5, 10.0] {
            let x: Vec<f64> = (0..n).map(|_| gamma(&mut rng, k)).collect();
            let m = x.iter().sum::<f64>() / n as f64;
            let v = x.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (n - 1) as f64;
            let se_m = (k / n as f64).sqrt();
            let se_v = ((3.0 * k * k + 6.0 * k - k * k) / n as f64).sqrt();
            assert!((m - k).abs() < 5.0 * se_m, "k {k}: mean {m}");
            assert!((v - k).abs() < 5.0 * se_v, "k {k}: var {v}");
        }
    }
}
