//! Synthetic spike trains with known statistics, generated from fixed seeds.

use rand::RngExt;
use rand_distr::{Distribution, Exp, Gamma};
use rand_xoshiro::Xoshiro256PlusPlus;

pub type Rng = Xoshiro256PlusPlus;

/// Renewal train on `[0, t_stop)` ms: first spike at `first`, then i.i.d. ISIs.
fn renewal(rng: &mut Rng, t_stop: f64, first: f64, isi: impl Fn(&mut Rng) -> f64) -> Vec<f64> {
    let mut spikes = Vec::new();
    let mut t = first;
    while t < t_stop {
        spikes.push(t);
        t += isi(rng);
    }
    spikes
}

/// Homogeneous Poisson train of `rate_hz` on `[0, t_stop)` ms (memoryless, so stationary).
pub fn poisson(rng: &mut Rng, rate_hz: f64, t_stop: f64) -> Vec<f64> {
    let exp = Exp::new(rate_hz / 1000.0).unwrap();
    let first = exp.sample(rng);
    renewal(rng, t_stop, first, |r| exp.sample(r))
}

/// Gamma renewal train of shape `k` and mean rate `rate_hz`, started at an ISI draw
/// (not stationary: use for ISI statistics only).
pub fn gamma_renewal(rng: &mut Rng, k: f64, rate_hz: f64, t_stop: f64) -> Vec<f64> {
    // Mean ISI k·scale = 1000/rate.
    let g = Gamma::new(k, 1000.0 / rate_hz / k).unwrap();
    let first = g.sample(rng);
    renewal(rng, t_stop, first, |r| g.sample(r))
}

/// Stationary (equilibrium) gamma renewal train of shape 2 and rate `rate_hz`.
///
/// An ISI is two exponential phases of rate λ = 2·rate. In equilibrium the process is in
/// either phase with probability ½, so the time to the first spike is Exp(λ) (second
/// phase) or Gamma(2, 1/λ) (first phase), each with probability ½ — the forward
/// recurrence density (1 − F(t))/μ of the Erlang-2 law.
pub fn gamma2_stationary(rng: &mut Rng, rate_hz: f64, t_stop: f64) -> Vec<f64> {
    let lambda = 2.0 * rate_hz / 1000.0;
    let phase = Exp::new(lambda).unwrap();
    let first = if rng.random::<bool>() {
        phase.sample(rng)
    } else {
        phase.sample(rng) + phase.sample(rng)
    };
    renewal(rng, t_stop, first, |r| phase.sample(r) + phase.sample(r))
}

/// Stationary Poisson train of rate `lambda_hz` with absolute dead time `dead_ms` after
/// every spike: ISI = dead + Exp(λ), mean μ = dead + 1/λ.
///
/// Forward recurrence density (1 − F(t))/μ: uniform 1/μ on [0, dead), then
/// e^(−λ(t−dead))/μ. So with probability dead/μ the first spike is U(0, dead), otherwise
/// dead + Exp(λ).
pub fn dead_time_stationary(rng: &mut Rng, lambda_hz: f64, dead_ms: f64, t_stop: f64) -> Vec<f64> {
    let lambda = lambda_hz / 1000.0;
    let exp = Exp::new(lambda).unwrap();
    let mean = dead_ms + 1.0 / lambda;
    let first = if rng.random::<f64>() < dead_ms / mean {
        rng.random::<f64>() * dead_ms
    } else {
        dead_ms + exp.sample(rng)
    };
    renewal(rng, t_stop, first, |r| dead_ms + exp.sample(r))
}
