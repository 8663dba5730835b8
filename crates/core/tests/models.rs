//! Models and synapses of the generic path against theory: Campbell's
//! theorem for conductance shot noise, the LIF's free membrane potential
//! and its firing rate against the Siegert formula, and the default path
//! left untouched.

mod common;

use common::{input, run, run_traced};
use spikemc_core::{
    DetectParams, HhParams, HhState, LifParams, Method, Neuron, PassiveParams, PoissonInput,
    Protocol, ProtocolSpec, SynapseKind, SynapseParams, TraubParams,
};

fn protocol(
    neuron: Neuron,
    synapse: SynapseParams,
    method: Method,
    duration_ms: f64,
    dt_ms: f64,
    v0: f64,
    inputs: &[PoissonInput],
) -> Protocol {
    const NAMES: [&str; 3] = ["exc", "inh", "extra"];
    Protocol::new(ProtocolSpec {
        params: HhParams::default(),
        method,
        duration_ms,
        dt_ms,
        detect: DetectParams::default(),
        initial: neuron.at_rest(v0),
        inputs: inputs
            .iter()
            .enumerate()
            .map(|(i, x)| (NAMES[i], x))
            .collect(),
    })
    .and_then(|p| p.with_model(neuron, synapse))
    .expect("valid protocol")
}

/// Mean and unbiased variance.
fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (n - 1.0);
    (m, v)
}

/// Campbell's theorem for exponential-conductance shot noise.
///
/// Continuous time: events at rate λ, each adding w to g, which decays with
/// τ: mean g = λwτ, variance λw²τ/2. On the grid the events of a step
/// arrive together at its end, so the sampled g_n = E·g_{n−1} + w·K_n with
/// E = e^(−dt/τ) and K_n ~ Poisson(λ·dt) i.i.d.; stationary
/// mean = wλdt/(1−E), variance = w²λdt/(1−E²), fourth cumulant
/// κ₄ = w⁴λdt/(1−E⁴) (cumulants of a sum of independent terms E^j·w·K add,
/// a Poisson variable has every cumulant λdt). These differ from the
/// continuous values by O(dt/τ): ×1.010 and ×1.020 at dt/τ = 0.02, which
/// the test can resolve (see below), so the exact discrete values are the
/// reference, and the continuous ones are checked to within that bias.
///
/// Samples: g at the end of M independent trials of 20τ started from g = 0
/// (the start is forgotten up to e^(−20) ≈ 2e−9 of the mean). M i.i.d.
/// samples: SE(mean) = σ/√M; SE(sample variance) = √((κ₄ + 2σ⁴)/M) (the
/// variance of s² is (μ₄ − σ⁴)/M + O(1/M²) with μ₄ = κ₄ + 3σ⁴). Bounds are
/// 5 SE (two-sided p ≈ 6e−7 each).
#[test]
fn campbell_theorem_for_exponential_conductance() {
    let (rate_hz, count, w, tau, dt) = (20.0, 100u32, 0.01, 5.0, 0.1);
    let syn = SynapseParams {
        kind: SynapseKind::ExpConductance,
        tau_exc_ms: tau,
        ..SynapseParams::default()
    };
    let duration = 20.0 * tau;
    let p = protocol(
        Neuron::Passive(PassiveParams::default()),
        syn,
        Method::RushLarsen,
        duration,
        dt,
        -65.0,
        &[input(count, rate_hz, 1.0, w)],
    );
    let n_steps = p.n_steps();
    let m = 4000u64;
    let samples: Vec<f64> = (0..m)
        .map(|k| {
            let (_, tr) = run_traced(&p, 71, k, n_steps).unwrap();
            assert_eq!(tr.t_ms.len(), 2);
            *tr.syn[0].last().unwrap()
        })
        .collect();
    let lam = count as f64 * rate_hz / 1000.0; // events per ms
    let e = (-dt / tau).exp();
    let mean_d = w * lam * dt / (1.0 - e);
    let var_d = w * w * lam * dt / (1.0 - e * e);
    let k4_d = w.powi(4) * lam * dt / (1.0 - e.powi(4));
    let (mean, var) = mean_var(&samples);
    eprintln!("Campbell: mean {mean:.6} (grid {mean_d:.6}), var {var:.4e} (grid {var_d:.4e})");
    let se_mean = (var_d / m as f64).sqrt();
    let se_var = ((k4_d + 2.0 * var_d * var_d) / m as f64).sqrt();
    assert!(
        (mean - mean_d).abs() < 5.0 * se_mean,
        "mean g {mean} vs {mean_d} ± {se_mean}"
    );
    assert!(
        (var - var_d).abs() < 5.0 * se_var,
        "var g {var} vs {var_d} ± {se_var}"
    );
    // Campbell's continuous values, within the grid's O(dt/τ) bias.
    let (mean_c, var_c) = (lam * w * tau, lam * w * w * tau / 2.0);
    assert!((mean - mean_c).abs() < 5.0 * se_mean + (mean_d - mean_c).abs());
    assert!((var - var_c).abs() < 5.0 * se_var + (var_d - var_c).abs());
}

/// Alpha synapses integrate to w·e·τ per event: mean g = λ·w·e·τ (the
/// exact discrete value is checked: with g sampled at step ends the
/// per-event sum Σ_n g(n·dt) = w·e/τ·Σ n·dt·E^n·dt = w·e·dt²·E/(τ(1−E)²)).
#[test]
fn alpha_conductance_mean_matches_its_integral() {
    let (rate_hz, count, w, tau, dt) = (20.0, 100u32, 0.01, 2.0, 0.1);
    let syn = SynapseParams {
        kind: SynapseKind::AlphaConductance,
        tau_exc_ms: tau,
        ..SynapseParams::default()
    };
    let duration = 30.0 * tau;
    let p = protocol(
        Neuron::Passive(PassiveParams::default()),
        syn,
        Method::RushLarsen,
        duration,
        dt,
        -65.0,
        &[input(count, rate_hz, 1.0, w)],
    );
    let n = p.n_steps();
    let m = 3000u64;
    let samples: Vec<f64> = (0..m)
        .map(|k| *run_traced(&p, 72, k, n).unwrap().1.syn[0].last().unwrap())
        .collect();
    let lam = count as f64 * rate_hz / 1000.0;
    let e = (-dt / tau).exp();
    // An event at a step end contributes w·e/τ·(n·dt)·E^n at n steps later
    // (n ≥ 0); its mean over the stationary process is λ·dt per step times
    // the sum over n.
    let mean_d = lam * dt * w * std::f64::consts::E / tau * dt * e / ((1.0 - e) * (1.0 - e));
    let (mean, var) = mean_var(&samples);
    let se = (var / m as f64).sqrt();
    assert!(
        (mean - mean_d).abs() < 5.0 * se,
        "{mean} vs {mean_d} ± {se}"
    );
    let mean_c = lam * w * std::f64::consts::E * tau;
    assert!((mean_d / mean_c - 1.0).abs() < 0.01);
}

/// The LIF's free membrane potential (threshold out of reach) with delta
/// input: E_L + τ_m·Σλᵢwᵢ in continuous time. Exact discrete value for
/// Rush–Larsen (exact for the LIF between events) with the jumps at step
/// ends: E_L + dt·Σλw/(1 − E), E = e^(−dt/τ) (×1.0025 of the drive at
/// dt/τ = 0.005); variance dt·Σλw²/(1 − E²). M i.i.d. end-of-trial
/// snapshots, 5 SE.
#[test]
fn lif_free_membrane_potential_matches_theory() {
    let lif = LifParams {
        v_threshold_mv: 1e6,
        ..LifParams::default()
    };
    let (tau, dt, e_l) = (lif.tau_m_ms, 0.1, lif.e_l_mv);
    let inputs = [input(1000, 10.0, 1.0, 0.1), input(250, 10.0, 1.0, -0.2)];
    let drive: f64 = inputs
        .iter()
        .map(|i| i.total_rate_hz() / 1000.0 * i.weight)
        .sum();
    let drive2: f64 = inputs
        .iter()
        .map(|i| i.total_rate_hz() / 1000.0 * i.weight * i.weight)
        .sum();
    let mean_c = e_l + tau * drive;
    let e = (-dt / tau).exp();
    let mean_d = e_l + dt * drive / (1.0 - e);
    let var_d = dt * drive2 / (1.0 - e * e);
    let p = protocol(
        Neuron::Lif(lif),
        SynapseParams::default(),
        Method::RushLarsen,
        10.0 * tau,
        dt,
        mean_c,
        &inputs,
    );
    let m = 2000u64;
    let n = p.n_steps();
    let v: Vec<f64> = (0..m)
        .map(|k| {
            let (out, tr) = run_traced(&p, 73, k, n).unwrap();
            assert!(out.spikes_ms.is_empty());
            *tr.v_mv.last().unwrap()
        })
        .collect();
    let (mean, var) = mean_var(&v);
    let se = (var_d / m as f64).sqrt();
    assert!(
        (mean - mean_d).abs() < 5.0 * se,
        "{mean} vs {mean_d} ± {se}"
    );
    // The variance: jumps are ±0.1/0.2 mV, so V is close to Gaussian and
    // SE(s²) ≈ σ²·√(2/M) (κ₄ is negligible: it is O(w²) smaller); 5 SE.
    assert!((var - var_d).abs() < 5.0 * var_d * (2.0 / m as f64).sqrt());
}

/// ∫ e^{u²}(1 + erf u) du over [a, b] by composite Simpson (the integrand
/// is smooth and the interval short: 4000 panels are exact to ~1e-12).
fn siegert_integral(a: f64, b: f64) -> f64 {
    let f = |u: f64| (u * u).exp() * statrs::function::erf::erfc(-u);
    let n = 4000;
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

/// Stationary LIF rate \[Hz\] under white noise (Siegert 1951; Brunel 2000
/// eq. 21): 1/ν = t_ref + τ√π ∫_{(V_r−μ)/σ}^{(θ−μ)/σ} e^{u²}(1+erf u) du,
/// μ = E_L + τΣλw, σ = √(τΣλw²).
pub fn siegert_hz(lif: &LifParams, mu: f64, sigma: f64, theta: f64) -> f64 {
    let i = siegert_integral((lif.v_reset_mv - mu) / sigma, (theta - mu) / sigma);
    1000.0 / (lif.t_ref_ms + lif.tau_m_ms * std::f64::consts::PI.sqrt() * i)
}

/// LIF firing rate in the diffusion regime vs the Siegert formula
/// (experiments/lif-siegert.toml runs the same experiment from the CLI).
///
/// Input: ±0.1 mV jumps at λ_e = 26.875, λ_i = 18.125 events/ms, so
/// μ = E_L + τ·0.1·(λ_e − λ_i) = −52.5 mV and σ = √(τ·0.01·(λ_e+λ_i)) = 3 mV
/// (θ − μ = 2.5 mV = 0.83σ: fluctuation-driven firing, about 20 Hz).
///
/// Tolerance. The diffusion limit is approached with two first-order
/// corrections, both shifts of the effective threshold: finite jumps
/// (a jump of w overshoots θ; the correction is at most one jump, |Δ| ≤ w,
/// Richardson & Swarbrick 2010 doi:10.1103/PhysRevLett.105.178102) and the
/// time grid (V is tested for θ only at step ends: the effective threshold
/// rises by |ζ(½)|/√2·σ·√(dt/τ) ≈ 1.03·σ√(dt/τ), Brette 2007
/// doi:10.1162/neco.2007.19.10.2604 / Hansel et al. 1998). So the measured
/// rate must lie in [ν(θ + Δ) , ν(θ − Δ)] with Δ = w + 1.03·σ√(dt/τ)
/// = 0.1 + 0.069 mV, widened by 5 SE of the estimate (SE from the
/// spread of per-trial counts across independent trials).
#[test]
fn lif_rate_matches_siegert_in_the_diffusion_regime() {
    let lif = LifParams::default();
    let (dt, w, tau) = (0.01, 0.1, lif.tau_m_ms);
    let (lam_e, lam_i) = (26.875, 18.125); // events per ms
    let inputs = [
        // 1000 inputs at λ Hz each: 1000·λ/1000 = λ events per ms.
        input(1000, lam_e, 1.0, w),
        input(1000, lam_i, 1.0, -w),
    ];
    let mu = lif.e_l_mv + tau * w * (lam_e - lam_i);
    let sigma = (tau * w * w * (lam_e + lam_i)).sqrt();
    assert!((mu + 52.5).abs() < 1e-12 && (sigma - 3.0).abs() < 1e-12);
    let duration = 2000.0;
    let p = protocol(
        Neuron::Lif(lif),
        SynapseParams::default(),
        Method::RushLarsen,
        duration,
        dt,
        lif.v_reset_mv,
        &inputs,
    );
    let m = 100u64;
    // Leave out the first 100 ms (start at V_reset): rates over [100, 2000).
    let counts: Vec<f64> = (0..m)
        .map(|k| {
            let out = run(&p, 74, k).unwrap();
            out.spikes_ms.iter().filter(|&&t| t >= 100.0).count() as f64
        })
        .collect();
    let (mean, var) = mean_var(&counts);
    let span_s = (duration - 100.0) / 1000.0;
    let rate = mean / span_s;
    let se = (var / m as f64).sqrt() / span_s;
    let delta = w + 1.03 * sigma * (dt / tau).sqrt();
    let theta = lif.v_threshold_mv;
    let (lo, hi) = (
        siegert_hz(&lif, mu, sigma, theta + delta),
        siegert_hz(&lif, mu, sigma, theta - delta),
    );
    let nu = siegert_hz(&lif, mu, sigma, theta);
    eprintln!("LIF rate {rate:.3} ± {se:.3} Hz; Siegert {nu:.3} Hz, bracket [{lo:.3}, {hi:.3}]");
    assert!(
        rate > lo - 5.0 * se && rate < hi + 5.0 * se,
        "LIF rate {rate} Hz ± {se}: Siegert {nu} Hz, bracket [{lo}, {hi}]"
    );
}

/// Every model and synapse kind runs with every method and is reproducible;
/// the default HH + delta protocol is unchanged by `with_model`.
#[test]
fn every_model_synapse_and_method_runs_and_replays() {
    let neurons = [
        Neuron::Hh(HhParams::default()),
        Neuron::TraubMiles(TraubParams::default()),
        Neuron::Lif(LifParams::default()),
        Neuron::Passive(PassiveParams::default()),
    ];
    for neuron in neurons {
        for kind in SynapseKind::ALL {
            for method in [Method::Euler, Method::Rk4, Method::RushLarsen] {
                let w = match kind {
                    SynapseKind::Delta => 1.0,
                    SynapseKind::ExpCurrent | SynapseKind::AlphaCurrent => 0.1,
                    _ => 0.05,
                };
                let p = protocol(
                    neuron,
                    SynapseParams {
                        kind,
                        ..SynapseParams::default()
                    },
                    method,
                    100.0,
                    0.01,
                    -65.0,
                    &[input(800, 10.0, 0.5, w), input(200, 10.0, 0.5, -w)],
                );
                let a = run(&p, 75, 0)
                    .unwrap_or_else(|e| panic!("{} {kind:?} {method:?}: {e}", neuron.name()));
                let b = run(&p, 75, 0).unwrap();
                assert_eq!(a.spikes_ms, b.spikes_ms);
                assert!(a.input_counts[0] > 0);
                let (c, tr) = run_traced(&p, 75, 0, 10).unwrap();
                assert_eq!(
                    a.spikes_ms,
                    c.spikes_ms,
                    "{} {kind:?} {method:?}",
                    neuron.name()
                );
                assert_eq!(tr.t_ms.len(), 1001);
                let want_cols = if kind == SynapseKind::Delta { 0 } else { 2 };
                assert_eq!(tr.syn.len(), want_cols);
                assert!(tr.v_mv.iter().all(|v| v.is_finite()));
            }
        }
    }
}

#[test]
fn default_protocol_is_unchanged_by_with_model() {
    let inputs = [input(800, 10.0, 0.5, 1.0), input(200, 10.0, 0.5, -4.0)];
    let p = common::protocol(
        HhParams::default(),
        Method::RushLarsen,
        200.0,
        0.01,
        common::QUESTION_INITIAL,
        &inputs,
    );
    let q = p
        .clone()
        .with_model(Neuron::Hh(HhParams::default()), SynapseParams::default())
        .unwrap();
    assert!(!q.is_generic());
    assert_eq!(q.method(), Method::RushLarsen);
    assert_eq!(
        run(&p, 76, 3).unwrap().spikes_ms,
        run(&q, 76, 3).unwrap().spikes_ms
    );
}

/// The Traub–Miles neuron with COBAHH's parameters fires tonically without
/// any input (its leak is too weak to hold V below the window of the
/// V_T-shifted sodium current; Brian2 users see the same, brian2 issue
/// #744): a regular train, equal ISIs. With inhibitory conductance input
/// (67 nS → 0.335 mS/cm², COBAHH's inhibitory weight) it falls silent.
#[test]
fn traub_miles_fires_tonically_without_input_and_is_silenced_by_inhibition() {
    let tm = TraubParams::default();
    let p = protocol(
        Neuron::TraubMiles(tm),
        SynapseParams::default(),
        Method::RushLarsen,
        500.0,
        0.01,
        -60.0,
        &[],
    );
    let out = run(&p, 77, 0).unwrap();
    assert!(out.spikes_ms.len() >= 4, "{:?}", out.spikes_ms);
    let isi: Vec<f64> = out.spikes_ms.windows(2).map(|w| w[1] - w[0]).collect();
    for w in isi.windows(2).skip(1) {
        assert!((w[1] / w[0] - 1.0).abs() < 1e-3, "{isi:?}");
    }
    let p = protocol(
        Neuron::TraubMiles(tm),
        SynapseParams {
            kind: SynapseKind::ExpConductance,
            ..SynapseParams::default()
        },
        Method::RushLarsen,
        500.0,
        0.01,
        -60.0,
        &[input(1000, 10.0, 1.0, -0.335)],
    );
    let out = run(&p, 77, 1).unwrap();
    assert!(
        out.spikes_ms.iter().all(|&t| t < 20.0),
        "{:?}",
        out.spikes_ms
    );
}

/// The generic path's Euler and RK4 integrate HH 1952 exactly as the
/// default path does when the synapses carry no current (weights 0): the
/// same scheme in the linear form C V' = A − G·V, equal up to rounding.
#[test]
fn generic_path_integrates_hh_like_the_default_path() {
    for method in [Method::Euler, Method::Rk4, Method::RushLarsenReference] {
        let inputs = [input(800, 10.0, 0.5, 0.0)];
        let d = common::protocol(
            HhParams::default(),
            method,
            50.0,
            0.01,
            common::QUESTION_INITIAL,
            &inputs,
        );
        let g = d
            .clone()
            .with_model(
                Neuron::Hh(HhParams::default()),
                SynapseParams {
                    kind: SynapseKind::ExpCurrent,
                    ..SynapseParams::default()
                },
            )
            .unwrap();
        assert!(g.is_generic());
        let (a, ta) = run_traced(&d, 78, 0, 10).unwrap();
        let (b, tb) = run_traced(&g, 78, 0, 10).unwrap();
        assert_eq!(a.input_counts, b.input_counts);
        assert_eq!(a.spikes_ms.len(), b.spikes_ms.len());
        for (x, y) in a.spikes_ms.iter().zip(&b.spikes_ms) {
            assert!((x - y).abs() < 1e-9, "{method:?}: {x} vs {y}");
        }
        for (x, y) in ta.v_mv.iter().zip(&tb.v_mv) {
            assert!((x - y).abs() < 1e-8, "{method:?}: {x} vs {y}");
        }
    }
}

#[test]
fn bad_model_parameters_name_key_unit_and_range() {
    let base = || {
        Protocol::new(ProtocolSpec {
            params: HhParams::default(),
            method: Method::RushLarsen,
            duration_ms: 10.0,
            dt_ms: 0.1,
            detect: DetectParams::default(),
            initial: HhState::at_rest(-65.0),
            inputs: vec![],
        })
        .unwrap()
    };
    let lif = LifParams {
        v_reset_mv: -40.0,
        ..LifParams::default()
    };
    let e = base()
        .with_model(Neuron::Lif(lif), SynapseParams::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("neuron.v_reset_mv") && e.contains("mV"), "{e}");
    let syn = SynapseParams {
        tau_inh_ms: -1.0,
        ..SynapseParams::default()
    };
    let e = base()
        .with_model(Neuron::Hh(HhParams::default()), syn)
        .unwrap_err()
        .to_string();
    assert!(e.contains("synapse.tau_inh_ms") && e.contains("> 0"), "{e}");
}

/// Per-population overrides: a population's own `tau_ms` sets its decay
/// (g after one event decays as e^(−t/τ') exactly), its own `reversal_mv`
/// sets its driving force (traces: i_syn = g·(E' − V) for a lone population).
#[test]
fn per_population_tau_and_reversal_override_the_class_defaults() {
    let syn = SynapseParams {
        kind: SynapseKind::ExpConductance,
        ..SynapseParams::default()
    };
    let p = protocol(
        Neuron::Passive(PassiveParams::default()),
        syn,
        Method::RushLarsen,
        50.0,
        0.1,
        -65.0,
        &[input(100, 20.0, 1.0, 0.01)],
    )
    .with_channel_overrides(&["exc"], &[(Some(2.0), Some(-20.0))])
    .unwrap();
    let (_, tr) = run_traced(&p, 79, 0, 1).unwrap();
    let (g, v, i) = (&tr.syn[0], &tr.v_mv, &tr.i_syn);
    let mut checked = 0;
    for k in 1..g.len() {
        assert!((i[k] - g[k] * (-20.0 - v[k])).abs() < 1e-12);
        // Where no event arrived in step k, g decayed by e^(−dt/τ').
        let ratio = g[k] / g[k - 1];
        if g[k - 1] > 0.0 && ratio < 1.0 {
            assert!((ratio - (-0.1f64 / 2.0).exp()).abs() < 1e-12, "{ratio}");
            checked += 1;
        }
    }
    assert!(checked > 10);
    let e = p
        .clone()
        .with_model(
            Neuron::Passive(PassiveParams::default()),
            SynapseParams::default(),
        )
        .unwrap()
        .with_channel_overrides(&["exc"], &[(Some(2.0), None)])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("inputs.exc.tau_ms") && e.contains("delta"),
        "{e}"
    );
}
