#!/bin/sh
# Issue 17's comparison on BBC at the 6-layer scale of ../2026-12-bbc6 (same options): BERT, PF, PFC L5,
# cascade top-k (TopK), token merging (ToMe) and learned-threshold pruning (LTP), 3 seeds, at matched FLOPs
# ratios (~0.69, PFC L5's): TopK keep ratio 0.80 per removing layer, ToMe r = 44 merges per merging layer,
# LTP threshold init 1.35 (learned: its FLOPs come out of training; calibration in TABLE.md). Run from the
# repository root, one core; the runs of this folder were made by the binary of 6f7436a and merged,
# tabulated and plotted at the commit that added this folder. A stopped line resumes with --resume.
D="--data-dir ../shared/datasets --vocab ../shared/models/bert-base-uncased-vocab/vocab.txt"
M="--model bert-tiny --layers 6 --heads 4 --batch 16 --lr 1e-3 --warmup 0.1 --threads 1"
X="--data bbc --max-len 256 --epochs 4 --lc 5 --seeds 1,2,3 --keep-ratios 0.80 --tome-r 44"
W=/tmp/ptc-methods
taskset -c 1 build/ptc experiment $X $D $M --variants BERT,PF,PFC,TopK,ToMe --out $W/main --work $W/work-main
taskset -c 1 build/ptc experiment $X $D $M --variants LTP --ltp-threshold-init 1.35 --out $W/ltp135 --work $W/work-ltp135
taskset -c 1 build/ptc experiment $X $D $M --variants LTP --ltp-threshold-init 1.25 --out $W/ltp125 --work $W/work-ltp125
OUT=results/accuracy/2026-12-bbc6-methods
build/ptc merge $W/main $W/ltp135 --out $OUT
build/ptc merge $W/ltp125 --out $OUT/ltp-init-1.25
build/ptc plot $OUT --out $OUT/plots
# speed and memory, interleaved (random weights; LTP with one fixed threshold 1, not the learned ones):
taskset -c 1 build/ptc bench --level encoder --model 128,6,4,512 --seq 256 --batch 16 \
    --variant BERT,PF,PFC,TopK,ToMe,LTP --lc 5 --keep-ratios 0.8 --tome-r 44 --ltp-thresholds 1 \
    --phase infer,train --threads 1 --reps 9 --warmup 1 --name methods-bbc6 --out $W/bench
for k in accuracy tests; do build/ptc table --kind $k $OUT; done
build/ptc table $OUT/bench
