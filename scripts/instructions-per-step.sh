#!/usr/bin/env bash
# Instructions per neuron-step of spikemc on B5000 at N = 100 / 5000 / 100 000,
# counted by valgrind's callgrind: a count, not a time, so it is the same on a
# quiet and on a loaded machine (timings on a shared VM move by +-10-30 %), and
# small engine changes can be compared exactly. Each N runs twice, 64 trials of
# 0.2 s and of 0.4 s, one thread; the difference divided by the extra
# 64 x 20 000 neuron-steps is the marginal cost of a step (start-up, the table
# build and the Parquet writer cancel out). No trial is traced (B5000 records
# trial 0's trace, which runs one trial alone), so every step is a block step.
# Valgrind does not emulate AVX-512 and hides it from the program, so this
# counts the AVX2 copy of the lanes engine on any machine.
#
# Usage: scripts/instructions-per-step.sh [--method M]
#   --method M   spikemc method (default rush-larsen)
# Environment: SPIKEMC (binary; default: build target/release/spikemc).
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."

METHOD=rush-larsen
while [ $# -gt 0 ]; do
  case "$1" in
    --method) METHOD="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 2; }

SPIKEMC="${SPIKEMC:-}"
if [ -z "$SPIKEMC" ]; then
  cargo build --release -q
  SPIKEMC="${CARGO_TARGET_DIR:-target}/release/spikemc"
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ips.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

count() { # N duration_ms -> instructions
  rm -rf "$WORK/out"
  valgrind --tool=callgrind --callgrind-out-file="$WORK/cg" "$SPIKEMC" run \
    experiments/inputs-5000.toml -o "$WORK/out" -q --threads 1 --trials 64 \
    --set "method=\"$METHOD\"" --set duration_ms="$2" --set 'record.trials=[]' \
    --set inputs.exc.count=$(($1 * 4 / 5)) --set inputs.inh.count=$(($1 / 5)) \
    >/dev/null 2>"$WORK/log"
  sed -n 's/.*I *refs: *//p' "$WORK/log" | tr -d ','
}

echo "# instructions per neuron-step, method $METHOD (callgrind, 64 trials, 0.4 s minus 0.2 s)"
for n in 100 5000 100000; do
  short=$(count "$n" 200)
  long=$(count "$n" 400)
  awk -v n="$n" -v a="$short" -v b="$long" \
    'BEGIN { printf "N=%-7s %6.1f instructions per neuron-step\n", n, (b - a) / (64 * 20000) }'
done
