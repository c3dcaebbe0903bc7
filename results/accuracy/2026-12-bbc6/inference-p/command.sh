#!/bin/sh
# Table 4 at inference: p swept on the three trained BERT checkpoints of the BBC 6-layer experiment
# (../command.sh; runs in its --work folders), with both pruning rules, run from the repository root.
# Made by the binary of main 6f7436a; the checkpoints are not committed (runs/work folders of the shards).
D="--data-dir ../shared/datasets --vocab ../shared/models/bert-base-uncased-vocab/vocab.txt"
OUT=results/accuracy/2026-12-bbc6/inference-p
for s in 1 2 3; do
    build/ptc eval --run "$(ls -d /work/exp/work2/*/bbc-baseline-p0-lc0-m8-s$s)" $D --variant PF \
        --p 1,0.95,0.9,0.85,0.8,0.75,0.7,0.65,0.6 --rule clamp,topk \
        --rows $OUT/rows.jsonl --predictions $OUT/pred-s$s.tsv
done
build/ptc table --kind accuracy $OUT
