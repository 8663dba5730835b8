mod common;
use common::*;
use spikemc_core::*;

fn spikes(method: Method, dt: f64, i_app: f64, dur: f64) -> Vec<f64> {
    let p = HhParams { i_app, ..HhParams::default() };
    let pr = protocol(p, method, dur, dt, HhState::at_rest(-65.0), &[]);
    run(&pr, 0, 0).unwrap().spikes_ms
}

#[test]
fn explore_convergence() {
    let reference = spikes(Method::Rk4, 0.0005, 10.0, 50.0);
    let reference2 = spikes(Method::Rk4, 0.00025, 10.0, 50.0);
    eprintln!("ref {:?}", reference);
    eprintln!("ref2-ref {:?}", reference.iter().zip(&reference2).map(|(a,b)| a-b).collect::<Vec<_>>());
    for m in [Method::Rk4, Method::RushLarsen, Method::Euler] {
        let mut prev = f64::NAN;
        for dt in [0.04, 0.02, 0.01, 0.005] {
            let s = spikes(m, dt, 10.0, 50.0);
            let e = s.iter().zip(&reference).map(|(a,b)| (a-b).abs()).fold(0.0, f64::max);
            eprintln!("{:?} dt {dt} n {} err {e:.3e} order {:.3} errs {:?}", m, s.len(), (prev/e).log2(), s.iter().zip(&reference).map(|(a,b)| a-b).collect::<Vec<_>>());
            prev = e;
        }
    }
}

#[test]
fn explore_rest() {
    let p = HhParams { i_app: 0.0, ..HhParams::default() };
    let vr = resting_potential(&p, -70.0, -60.0);
    eprintln!("rest {vr}");
    for m in Method::ALL {
        let pr = protocol(p, m, 1000.0, 0.01, HhState::at_rest(-65.0), &[]);
        let (out, tr) = run_traced(&pr, 0, 0, 1).unwrap();
        let mx = tr.v_mv.iter().map(|v| (v + 65.0).abs()).fold(0.0, f64::max);
        eprintln!("{m:?} spikes {} maxdev {mx} final {} diff {:e}", out.spikes_ms.len(), tr.v_mv.last().unwrap(), tr.v_mv.last().unwrap() - vr);
        // when within 1e-6
        let k = tr.v_mv.iter().rposition(|v| (v - vr).abs() > 1e-6);
        eprintln!("  last > 1e-6 at {:?}", k.map(|k| tr.t_ms[k]));
    }
}

#[test]
fn explore_blowup() {
    let inp = exc_inh(5000, 1.0, -4.0);
    for m in Method::ALL {
        for dt in [0.05, 0.1, 0.2] {
            let pr = protocol(HhParams::default(), m, 1000.0, dt, HhState::at_rest(-65.0), &inp);
            for s in 0..3 {
                match run(&pr, 1, s) {
                    Ok(o) => eprintln!("{m:?} dt {dt} ok spikes {}", o.spikes_ms.len()),
                    Err(e) => eprintln!("{m:?} dt {dt} err {e}"),
                }
            }
        }
    }
}
