#!/bin/sh
# Reproduces this folder (AMD EPYC Zen 3, AVX2, 1 thread; the CPU decides the figures):
# ptc's four variants at seq 512 / 1024 / 2048, then PyTorch's encoder at the same shapes.
set -e
OUT=${1:-results}
build/ptc bench --level encoder --seq 512,1024,2048 --threads 1 --reps 5 --name long-docs-avx2 --out "$OUT"
/usr/bin/python3 scripts/bench_peers.py --out "$OUT" --seqs 512,1024,2048 --threads 1 --reps 5 --ptc build/ptc
