#!/usr/bin/env bash
# B5000 side by side: spikemc vs Brian2 cpp_standalone (exponential Euler), same
# model, same number of threads, in one go. Prints both throughputs (neuron-steps
# per second of wall time and per CPU-second), their ratio, and both runs' rate,
# ISI CV and Fano factor.
#
# B5000 (docs/performance.md): HH, delta synapses J = 1 mV, K = 4, N = 5000
# (4000 exc / 1000 inh), 10 Hz, p = 0.5, I_app = 3 uA/cm^2, dt = 0.01 ms,
# 1000 trials x 1 s, 2 threads.
#
# Usage: scripts/compare-brian2.sh [--trials M] [--threads T] [--N N] [--method M] [--repeats R]
#   --trials M    trials (default 1000; fewer for a quick look)
#   --repeats R   timed runs of each (default 3): spikemc's split before and after
#                 Brian2's (which re-runs its compiled binary R times), so drift in
#                 the machine's load hits both; medians and their ratio are printed
#   --threads T   threads for both (default 2)
#   --N N         inputs (default 5000; 80 % excitatory)
#   --method M    spikemc method (default rush-larsen)
# Environment: SPIKEMC (binary; default: build target/release/spikemc),
#   VENV (default .venv-brian2, created with Brian2 on first use).
#
# Spike detection: Brian2's threshold='v>0*mV', refractory='v>0*mV' tests V after
# the state update and before PoissonInput's kick, and re-arms once V <= 0 mV, so
# it counts re-crossings inside one action potential. spikemc counts each action
# potential once (hysteresis, re-arm below -30 mV). The script therefore runs
# spikemc twice: with its default detector (timed) and with Brian2's rule
# (detect.rule = "pre-kick", detect.rearm_mv = 0), whose statistics must agree
# with Brian2's: the rate difference is printed in standard errors (z) and the
# Fano factors with spikemc's 95 % interval.
set -euo pipefail
cd "$(dirname "$0")/.."

TRIALS=1000 THREADS=2 N=5000 METHOD=rush-larsen REPEATS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) TRIALS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --N) N="$2"; shift 2 ;;
    --method) METHOD="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

VENV="${VENV:-.venv-brian2}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "# creating $VENV (Brian2, numpy<2.4, cython, setuptools, pyarrow)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "numpy<2.4" brian2 cython setuptools pyarrow
fi
"$VENV/bin/python" -c "import pyarrow" 2>/dev/null || "$VENV/bin/pip" install -q pyarrow

SPIKEMC="${SPIKEMC:-}"
if [ -z "$SPIKEMC" ]; then
  cargo build --release -q
  SPIKEMC="${CARGO_TARGET_DIR:-target}/release/spikemc"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/b5000.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
NE=$(( (N * 4 + 2) / 5 )); NI=$(( N - NE ))
SETS=(--set "method=$METHOD" --set dt_ms=0.01 --set duration_ms=1000
      --set neuron.i_app=3.0 --set inputs.exc.count=$NE --set inputs.inh.count=$NI
      --set inputs.exc.weight=1.0 --set inputs.inh.weight=-4.0
      --set inputs.exc.rate_hz=10.0 --set inputs.inh.rate_hz=10.0
      --set inputs.exc.p_transmit=0.5 --set inputs.inh.p_transmit=0.5)

echo "# B5000: N=$N ($NE/$NI), $TRIALS trials x 1 s, dt 0.01 ms, $THREADS thread(s)" >&2
timed_spikemc() { # run index
  echo "# spikemc ($METHOD), timed run $1..." >&2
  rm -rf "$WORK/sm"
  /usr/bin/time -f "%U %S %e" -o "$WORK/spikemc.time.$1" \
    "$SPIKEMC" run experiments/inputs-5000.toml -o "$WORK/sm" --trials "$TRIALS" \
    --threads "$THREADS" "${SETS[@]}" -q >/dev/null
}
BEFORE=$(( (REPEATS + 1) / 2 ))
for r in $(seq 1 "$BEFORE"); do timed_spikemc "$r"; done
echo "# spikemc, detector matched to Brian2's..." >&2
"$SPIKEMC" run experiments/inputs-5000.toml -o "$WORK/sm-matched" --trials "$TRIALS" \
  --threads "$THREADS" "${SETS[@]}" --set 'detect.rule="pre-kick"' --set detect.rearm_mv=0 -q >/dev/null

echo "# Brian2 cpp_standalone (first run compiles; the second, timed, re-runs the binary)..." >&2
BTHREADS=$THREADS; [ "$THREADS" = 1 ] && BTHREADS=0
"$VENV/bin/python" scripts/peers/brian2_ensemble.py --target cpp_standalone \
  --method exponential_euler --M "$TRIALS" --N "$N" --T 1000 --dt 0.01 --Je 1 --K 4 \
  --rate 10 --p 0.5 --Iapp 3 --runs $(( REPEATS + 1 )) --threads "$BTHREADS" --spike-times \
  --build-dir "$WORK/brian2" > "$WORK/brian2.jsonl"
for r in $(seq $(( BEFORE + 1 )) "$REPEATS"); do timed_spikemc "$r"; done

"$VENV/bin/python" - "$WORK" "$TRIALS" "$THREADS" "$REPEATS" <<'PY'
import json, sys, statistics, pyarrow.parquet as pq
work, trials, threads, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
steps = trials * 100_000
sm_runs = [tuple(map(float, open(f"{work}/spikemc.time.{r}").read().split()))
           for r in range(1, repeats + 1)]
e = statistics.median(w for _, _, w in sm_runs)
cpu_sm = statistics.median(u + s for u, s, _ in sm_runs)
def row(d):
    return pq.read_table(f"{work}/{d}/summary.parquet").to_pylist()[0]
def summary(d):
    r = row(d)
    return r["rate_mean_hz"], r["isi_cv_mean"], r["fano_main"]
sm, smm = summary("sm"), summary("sm-matched")
matched = row("sm-matched")
b_runs = [json.loads(l) for l in open(f"{work}/brian2.jsonl") if l.startswith("{")]
b_runs = [r for r in b_runs if r["run"] >= 2]  # run 1 includes code generation
b = b_runs[-1]
b_wall = statistics.median(r["binary_s"] for r in b_runs)
b_cpu = statistics.median(r["cpu_children_s"] + r["cpu_self_s"] for r in b_runs)
print(f"timed runs (wall s / cpu s), in order: spikemc "
      + ", ".join(f"{w:.2f}/{u + s:.2f}" for u, s, w in sm_runs[:(repeats + 1) // 2])
      + " | Brian2 " + ", ".join(f"{r['binary_s']:.2f}/{r['cpu_children_s'] + r['cpu_self_s']:.2f}" for r in b_runs)
      + " | spikemc " + ", ".join(f"{w:.2f}/{u + s:.2f}" for u, s, w in sm_runs[(repeats + 1) // 2:]))
rows = [
    ("spikemc (own detector)", e, cpu_sm, *sm),
    ("spikemc (Brian2's detector)", float("nan"), float("nan"), *smm),
    ("Brian2 cpp_standalone", b_wall, b_cpu, b["mean_rate_hz"], b.get("isi_cv_mean", float("nan")),
     b.get("fano_ddof1", b["fano"])),
]
print(f"B5000: {trials} trials x 1 s = {steps:.3g} neuron-steps, {threads} thread(s), "
      f"medians of {repeats} timed runs each")
print(f"{'run':30s} {'wall s':>8s} {'cpu s':>8s} {'steps/s':>10s} {'steps/cpu-s':>12s} {'rate Hz':>8s} {'CV':>7s} {'Fano':>7s}")
for name, w, c, r, cv, f in rows:
    print(f"{name:30s} {w:8.2f} {c:8.2f} {steps / w:10.3g} {steps / c:12.3g} {r:8.3f} {cv:7.4f} {f:7.4f}")
print(f"ratio spikemc / Brian2 (medians): {b_wall / e:.2f}x per wall second, "
      f"{b_cpu / cpu_sm:.2f}x per CPU-second")
# Like for like (same detection rule): rate difference in standard errors of the
# difference (independent ensembles: se^2 = sd1^2/n + sd2^2/n), Fano against
# spikemc's 95 % interval.
import math
se = math.hypot(matched["rate_sd_hz"], b.get("rate_sd_hz", float("nan"))) / math.sqrt(trials)
z = (matched["rate_mean_hz"] - b["mean_rate_hz"]) / se
fb = b.get("fano_ddof1", b["fano"])
print(f"matched detection: rate {matched['rate_mean_hz']:.3f} vs {b['mean_rate_hz']:.3f} Hz, "
      f"z = {z:+.2f}; Fano {matched['fano_main']:.4f} "
      f"[{matched['fano_main_ci_low']:.4f}, {matched['fano_main_ci_high']:.4f}] vs {fb:.4f}")
PY
