#!/bin/sh
# The reference experiment of results/README.md ("Accuracy on BBC"), run from the repository root.
# Needs the data (PTC_DATA or ../shared/datasets) and the bert-base-uncased vocab (PTC_VOCAB or ../shared/models/...).
build/ptc experiment --data bbc --model bert-tiny --layers 4 --heads 4 --max-len 256 \
  --batch 16 --epochs 4 --lr 1e-3 --warmup 0.1 --lc 4 --threads 1 --seeds 1 \
  --cache-dir /tmp/ptc-cache --out results/accuracy/bbc-reference --work /tmp
