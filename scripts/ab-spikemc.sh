#!/usr/bin/env bash
# A/B timing of two spikemc binaries on one job: both run at the same time, one
# thread each, K times (the machine's load then hits both alike; on a 2-core VM
# this is steadier than timing them one after the other). Prints each pair's
# user CPU seconds and the means, and the ratio A/B (> 1: B is faster).
#
# With --interleaved T (for changes that only show with several threads, such
# as the runner's scheduling): A and B run one after the other, T threads each,
# K rounds; prints each round's wall and CPU seconds, both binaries' median and
# fastest wall time and the ratio of the medians A/B.
#
# Usage: scripts/ab-spikemc.sh [--interleaved T] K BINARY_A BINARY_B [spikemc run arguments...]
# Example (the narrow Poisson window, table mode):
#   scripts/ab-spikemc.sh 6 /tmp/spikemc-old target/release/spikemc \
#     run experiments/inputs-5000.toml --set 'method="rush-larsen-table"'
# The script adds `-o DIR -q --threads 1` (or `--threads T`) to each run.
set -euo pipefail
if [ $# -lt 4 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then sed -n '2,17p' "$0"; exit 0; fi
threads=""
if [ "$1" = "--interleaved" ]; then threads=$2; shift 2; fi
k=$1 a=$2 b=$3; shift 3
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ab.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
if [ -n "$threads" ]; then
  for _ in $(seq "$k"); do
    for side in a b; do
      bin=$a; [ "$side" = b ] && bin=$b
      rm -rf "$WORK/out"
      /usr/bin/time -o "$WORK/t" -f "%e %U %S" "$bin" "$@" -o "$WORK/out" -q --threads "$threads" >/dev/null 2>&1
      read -r wall user sys < "$WORK/t"
      echo "$side $wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')"
    done
  done | tee "$WORK/runs"
  python3 - "$WORK/runs" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
med = {}
for side in "ab":
    wall = [float(r[1]) for r in rows if r[0] == side]
    cpu = [float(r[2]) for r in rows if r[0] == side]
    med[side] = st.median(wall)
    print(f"{side.upper()}: median wall {med[side]:.3f} s, fastest {min(wall):.3f} s, median cpu {st.median(cpu):.3f} s")
print(f"ratio of median walls A/B {med['a'] / med['b']:.3f} (> 1: B is faster)")
PY
  exit 0
fi
for _ in $(seq "$k"); do
  rm -rf "$WORK/a" "$WORK/b"
  /usr/bin/time -o "$WORK/ta" -f "%U" "$a" "$@" -o "$WORK/a" -q --threads 1 >/dev/null 2>&1 &
  /usr/bin/time -o "$WORK/tb" -f "%U" "$b" "$@" -o "$WORK/b" -q --threads 1 >/dev/null 2>&1 &
  wait
  echo "$(cat "$WORK/ta") $(cat "$WORK/tb")"
done | awk '{a += $1; b += $2; print} END {printf "mean A %.3f s, B %.3f s, ratio A/B %.3f\n", a/NR, b/NR, a/b}'
