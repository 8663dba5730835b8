#!/usr/bin/env bash
# A/B timing of two spikemc binaries on one job: both run at the same time, one
# thread each, K times (the machine's load then hits both alike; on a 2-core VM
# this is steadier than timing them one after the other). Prints each pair's
# user CPU seconds and the means, and the ratio A/B (> 1: B is faster).
#
# Usage: scripts/ab-spikemc.sh K BINARY_A BINARY_B [spikemc run arguments...]
# Example (the narrow Poisson window, table mode):
#   scripts/ab-spikemc.sh 6 /tmp/spikemc-old target/release/spikemc \
#     run experiments/inputs-5000.toml --set 'method="rush-larsen-table"'
# The script adds `-o DIR -q --threads 1` to each run.
set -euo pipefail
if [ $# -lt 4 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then sed -n '2,11p' "$0"; exit 0; fi
k=$1 a=$2 b=$3; shift 3
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ab.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
for _ in $(seq "$k"); do
  rm -rf "$WORK/a" "$WORK/b"
  /usr/bin/time -o "$WORK/ta" -f "%U" "$a" "$@" -o "$WORK/a" -q --threads 1 >/dev/null 2>&1 &
  /usr/bin/time -o "$WORK/tb" -f "%U" "$b" "$@" -o "$WORK/b" -q --threads 1 >/dev/null 2>&1 &
  wait
  echo "$(cat "$WORK/ta") $(cat "$WORK/tb")"
done | awk '{a += $1; b += $2; print} END {printf "mean A %.3f s, B %.3f s, ratio A/B %.3f\n", a/NR, b/NR, a/b}'
