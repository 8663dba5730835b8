#!/usr/bin/env python3
"""Brian2 peer baseline: M independent Hodgkin-Huxley neurons ("trials"), each driven by
its own independent Poisson input, same HH model/parameters as the user's original script.

(Copy of ../shared/peers/brian2_ensemble.py used by scripts/compare-brian2.sh; the only
addition is --spike-times, which reports ISI CV and Fano as spikemc defines them.)

Model (per unit membrane area, as in the original):
    C_m dv/dt = I_app - g_Na m^3 h (v - E_Na) - g_K n^4 (v - E_K) - g_L (v - E_L)
    dx/dt = alpha_x(v) (1 - x) - beta_x(v) x          for x in m, h, n
    C_m = 1 uF/cm^2, g_Na = 120, g_K = 36, g_L = 0.3 mS/cm^2,
    E_Na = 50, E_K = -77, E_L = -54.387 mV, I_app = 3 uA/cm^2,
    v(0) = -65 mV, m(0) = 0.05, h(0) = 0.6, n(0) = 0.32.
    alpha/beta exactly the original's (--rates raw, default); with --rates exprel the two removable
    0/0 singularities (alpha_m at v=-40, alpha_n at v=-55) are written with Brian2's
    exprel(), which is the same function mathematically:
        0.1 (v+40)/(1-exp(-(v+40)/10)) = 1/exprel(-(v+40)/10)
        0.01(v+55)/(1-exp(-(v+55)/10)) = 0.1/exprel(-(v+55)/10)
    (Brian2's own HH example style). Both are the same functions.

Input (per neuron, independent across neurons): two brian2 PoissonInput objects on v,
    excitatory: N_e = 0.8 N sources, rate r*p, weight +J_e
    inhibitory: N_i = N - N_e sources, rate r*p, weight -K*J_e
with r = 10 Hz, p = 0.5, K = 4, J_e = 1 mV (delta synapses = instantaneous jumps of v).

Why rate*p is equivalent to "each spike transmitted with probability p": independent
Bernoulli(p) thinning of a Poisson process of rate r is a Poisson process of rate r*p;
on the dt grid, P(source spikes AND is transmitted in a step) = (r dt) p = (r p) dt,
independently per source, per step and per neuron, so the number of transmitted events
per step is Binomial(N_e, r p dt), which is exactly what PoissonInput samples. (This
holds because the untransmitted spikes are not used for anything else, and every trial
gets fresh input trains; it would NOT hold for "frozen" input trains shared across
trials with only the transmission noise redrawn.)

Output spikes: threshold 'v > 0*mV' with refractory 'v > 0*mV' = upward crossings of
0 mV (same counting as seed_original.py). Reported: wall time of first and second run
in the same process (first includes code generation / compilation), throughput in
neuron-steps/s = M*(T/dt)/wall, mean output rate (spikes/s/neuron) and the Fano factor
(var/mean) of the spike counts across the M neurons.
"""
import argparse
import gc
import json
import os
import shutil
import sys
import time


def parse():
    ap = argparse.ArgumentParser(
        description="Brian2 ensemble of M independent HH neurons with PoissonInput "
                    "(reference baseline). Prints one JSON line per run.")
    ap.add_argument("--M", type=int, default=1000, help="number of independent neurons/trials (default 1000)")
    ap.add_argument("--N", type=int, default=100, help="number of input sources per neuron, 80%% exc (default 100)")
    ap.add_argument("--T", type=float, default=1000.0, help="simulated time in ms (default 1000)")
    ap.add_argument("--dt", type=float, default=0.01, help="time step in ms (default 0.01)")
    ap.add_argument("--Je", type=float, default=1.0, help="excitatory jump of v per transmitted spike, mV (default 1.0; "
                                                          "the original script's effective jump is dt*G_ex = 0.01)")
    ap.add_argument("--K", type=float, default=4.0, help="inhibitory/excitatory weight ratio (default 4)")
    ap.add_argument("--rate", type=float, default=10.0, help="input rate per source, Hz (default 10)")
    ap.add_argument("--p", type=float, default=0.5, help="transmission probability, folded into rate (default 0.5)")
    ap.add_argument("--Iapp", type=float, default=3.0, help="applied current, uA/cm^2 (default 3)")
    ap.add_argument("--method", default="exponential_euler",
                    help="Brian2 integration method: exponential_euler (default), rk4, euler, ...")
    ap.add_argument("--rates", choices=["exprel", "raw"], default="raw",
                    help="alpha_m/alpha_n as the original literal formula (raw, default) or via Brian2 exprel() "
                         "(note: exprel is very slow on the numpy target, see README)")
    ap.add_argument("--target", choices=["numpy", "cython", "cpp_standalone"], default="cython",
                    help="code generation target (default cython)")
    ap.add_argument("--runs", type=int, default=2,
                    help="repetitions in the same process (default 2: first includes codegen/compile)")
    ap.add_argument("--seed", type=int, default=None, help="Brian2 seed (default: random)")
    ap.add_argument("--clear-cache", action="store_true",
                    help="cython: delete Brian2's on-disk Cython cache first (cold compile); "
                         "cpp_standalone: delete the build directory first")
    ap.add_argument("--build-dir", default="build/brian2_standalone_hh",
                    help="cpp_standalone project directory (default build/brian2_standalone_hh)")
    ap.add_argument("--spike-times", action="store_true",
                    help="record spike times and also report the mean per-trial ISI CV "
                         "(ddof 0, trials with >= 2 ISIs) and the Fano factor with ddof 1, "
                         "as spikemc defines them (spikemc addition)")
    ap.add_argument("--threads", type=int, default=0,
                    help="cpp_standalone OpenMP threads (default 0 = no OpenMP, single thread)")
    return ap.parse_args()


EQS_COMMON = """
dv/dt = (I_app - gNa*m**3*h*(v - ENa) - gK*n**4*(v - EK) - gL*(v - EL)) / Cm : volt
dm/dt = alpha_m*(1 - m) - beta_m*m : 1
dh/dt = alpha_h*(1 - h) - beta_h*h : 1
dn/dt = alpha_n*(1 - n) - beta_n*n : 1
beta_m = 4.0*exp(-(v + 65*mV)/(18*mV))/ms : Hz
alpha_h = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz
beta_h = 1.0/(1.0 + exp(-(v + 35*mV)/(10*mV)))/ms : Hz
beta_n = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz
"""
EQS_EXPREL = """
alpha_m = 1.0/exprel(-(v + 40*mV)/(10*mV))/ms : Hz
alpha_n = 0.1/exprel(-(v + 55*mV)/(10*mV))/ms : Hz
"""
EQS_RAW = """
alpha_m = 0.1*(v/mV + 40.0)/(1.0 - exp(-(v + 40*mV)/(10*mV)))/ms : Hz
alpha_n = 0.01*(v/mV + 55.0)/(1.0 - exp(-(v + 55*mV)/(10*mV)))/ms : Hz
"""


def build(b2, a):
    """Create the network objects (in the current device). Returns (net, group, spikemon)."""
    from brian2 import (NeuronGroup, PoissonInput, SpikeMonitor, Network, mV, ms, Hz,
                        uF, cm, msiemens, uA)
    ns = dict(Cm=1.0 * uF / cm ** 2, gNa=120.0 * msiemens / cm ** 2, gK=36.0 * msiemens / cm ** 2,
              gL=0.3 * msiemens / cm ** 2, ENa=50.0 * mV, EK=-77.0 * mV, EL=-54.387 * mV,
              I_app=a.Iapp * uA / cm ** 2)
    eqs = EQS_COMMON + (EQS_EXPREL if a.rates == "exprel" else EQS_RAW)
    # Fixed object names (PoissonInput takes no name; its auto names are freed by gc between
    # repetitions): the generated code, and so Brian2's Cython cache key, is then identical
    # for every repetition, so run 2 measures the cached, compiled path.
    G = NeuronGroup(a.M, eqs, threshold="v > 0*mV", refractory="v > 0*mV",
                    method=a.method, namespace=ns, name="hh")
    G.v = -65.0 * mV
    G.m = 0.05
    G.h = 0.6
    G.n = 0.32
    N_e = int(round(0.8 * a.N))
    N_i = a.N - N_e
    objs = [G]
    if N_e > 0:
        objs.append(PoissonInput(G, "v", N_e, a.rate * a.p * Hz, weight=a.Je * mV))
    if N_i > 0:
        objs.append(PoissonInput(G, "v", N_i, a.rate * a.p * Hz, weight=-a.K * a.Je * mV))
    S = SpikeMonitor(G, record=bool(getattr(a, "spike_times", False)), name="spikemon")
    objs.append(S)
    net = Network(*objs, name="net")
    return net, G, S, N_e, N_i


def cpu_now():
    """(own user+sys CPU s, waited-for children's user+sys CPU s): gcc and the standalone
    binary run as child processes."""
    t = os.times()
    return t.user + t.system, t.children_user + t.children_system


def cpu_since(c0):
    c1 = cpu_now()
    return dict(cpu_self_s=round(c1[0] - c0[0], 3), cpu_children_s=round(c1[1] - c0[1], 3))


def train_stats(S, a):
    """spikemc's definitions: mean per-trial ISI CV (ddof 0, >= 2 ISIs), Fano ddof 1."""
    import numpy as np
    if not getattr(a, "spike_times", False):
        return {}
    from brian2 import ms
    cvs = []
    for t in S.spike_trains().values():
        isi = np.diff(np.asarray(t / ms))
        if len(isi) >= 2 and isi.mean() > 0:
            cvs.append(isi.std() / isi.mean())
    c = np.asarray(S.count[:], dtype=float)
    return dict(isi_cv_mean=round(float(np.mean(cvs)), 4) if cvs else float("nan"),
                rate_sd_hz=round(float(c.std(ddof=1) / (a.T / 1000.0)), 4) if len(c) > 1 else float("nan"),
                fano_ddof1=round(float(c.var(ddof=1) / c.mean()), 4) if c.mean() > 0 else float("nan"))


def stats(counts, a, wall, extra):
    import numpy as np
    counts = np.asarray(counts, dtype=float)
    steps = int(round(a.T / a.dt))
    mean = counts.mean()
    fano = counts.var() / mean if mean > 0 else float("nan")
    out = dict(target=a.target, method=a.method, rates=a.rates, M=a.M, N=a.N, T_ms=a.T, dt_ms=a.dt,
               Je_mV=a.Je, steps=steps, wall_s=round(wall, 3),
               neuron_steps_per_s=float(f"{a.M * steps / wall:.4g}"),
               mean_rate_hz=round(mean / (a.T / 1000.0), 4), fano=round(fano, 4),
               total_spikes=int(counts.sum()))
    out.update(extra)
    return out


def main():
    a = parse()
    t0 = time.perf_counter()
    import brian2 as b2
    import numpy as np
    from brian2 import prefs, ms, defaultclock, seed, set_device, device
    t_import = time.perf_counter() - t0
    b2.BrianLogger.log_level_warn()

    if a.target == "cpp_standalone":
        if a.clear_cache and os.path.isdir(a.build_dir):
            shutil.rmtree(a.build_dir)
        if a.threads > 0:
            prefs.devices.cpp_standalone.openmp_threads = a.threads
        set_device("cpp_standalone", directory=a.build_dir, build_on_run=False)
        defaultclock.dt = a.dt * ms
        if a.seed is not None:
            seed(a.seed)
        net, G, S, N_e, N_i = build(b2, a)
        net.run(a.T * ms)
        t1 = time.perf_counter()
        c0 = cpu_now()
        device.build(directory=a.build_dir, compile=True, run=True, with_output=False)
        total = time.perf_counter() - t1
        cpu = cpu_since(c0)
        make = device.timers["compile"]["make"]
        binary = device.timers["run_binary"]
        sim = getattr(device, "_last_run_time", float("nan"))
        print(json.dumps(stats(S.count[:], a, binary,
                               dict(run=1, N_e=N_e, N_i=N_i, first_total_s=round(total, 3),
                                    make_s=round(make or 0, 3), binary_s=round(binary, 3),
                                    sim_loop_s=round(sim, 3), import_s=round(t_import, 3),
                                    threads=a.threads, **cpu, **train_stats(S, a),
                                    note="wall_s = running the compiled binary (incl. its I/O); "
                                         "first_total_s = codegen+compile+binary; cpu_* cover "
                                         "first_total_s"))), flush=True)
        for r in range(2, a.runs + 1):
            t1 = time.perf_counter()
            c0 = cpu_now()
            device.run(with_output=False)  # re-run the compiled binary, no recompilation
            tot = time.perf_counter() - t1
            cpu = cpu_since(c0)
            binary = device.timers["run_binary"]
            sim = getattr(device, "_last_run_time", float("nan"))
            print(json.dumps(stats(S.count[:], a, binary,
                                   dict(run=r, N_e=N_e, N_i=N_i, total_s=round(tot, 3),
                                        binary_s=round(binary, 3), sim_loop_s=round(sim, 3),
                                        threads=a.threads, **cpu, **train_stats(S, a)))), flush=True)
        return

    prefs.codegen.target = a.target
    if a.target == "cython" and a.clear_cache:
        try:
            b2.clear_cache("cython")
        except Exception as e:  # empty cache
            print(f"# clear_cache: {e}", file=sys.stderr)
    defaultclock.dt = a.dt * ms
    if a.seed is not None:
        seed(a.seed)
    for r in range(1, a.runs + 1):
        t1 = time.perf_counter()
        c0 = cpu_now()
        net, G, S, N_e, N_i = build(b2, a)
        t2 = time.perf_counter()
        net.run(a.T * ms)
        t3 = time.perf_counter()
        cpu = cpu_since(c0)
        print(json.dumps(stats(S.count[:], a, t3 - t1,
                               dict(run=r, N_e=N_e, N_i=N_i, setup_s=round(t2 - t1, 3),
                                    net_run_s=round(t3 - t2, 3), import_s=round(t_import, 3), **cpu,
                                    note="wall_s = object construction + net.run (run 1 includes "
                                         "code generation/compilation)"))), flush=True)
        del net, G, S
        gc.collect()  # frees the auto-generated names (poissoninput, poissoninput_1) for reuse


if __name__ == "__main__":
    main()
