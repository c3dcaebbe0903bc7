#!/bin/sh
# The reference accuracy experiments of results/accuracy/2026-12-reference/README.md, run from the
# repository root. Data: PTC_DATA or --data-dir (shared/datasets layout); vocab: bert-base-uncased.
# Each experiment writes its rows the moment a run ends; rerun the same line with --resume after a stop.
D="--data-dir ../shared/datasets --vocab ../shared/models/bert-base-uncased-vocab/vocab.txt"
M="--model bert-tiny --layers 4 --heads 4 --batch 16 --lr 1e-3 --warmup 0.1 --threads 1 --variants BERT,P,PF,C,PFC"
OUT=results/accuracy/2026-12-reference
# Table 2 on BBC: seeds 1,2 and seed 3 ran as two experiments, one per core (taskset -c 0 / -c 1)
build/ptc experiment --data bbc --max-len 256 --epochs 4 --lc 3 --seeds 1,2 $D $M --out $OUT/bbc-t2-s12 --work /tmp/ptc-work
build/ptc experiment --data bbc --max-len 256 --epochs 4 --lc 3 --seeds 3 $D $M --out $OUT/bbc-t2-s3 --work /tmp/ptc-work
# Table 2 on SST-2 (sentences: 64 tokens, 2 epochs), seed 1
build/ptc experiment --data sst2 --max-len 64 --epochs 2 --lc 3 --seeds 1 $D $M --out $OUT/sst2-t2-s1 --work /tmp/ptc-work
# 6 layers with L_c 5, so that PFC prunes (layers 3 and 4 attend over pruned keys), seed 1
build/ptc experiment --data bbc --max-len 256 --epochs 4 --lc 5 --seeds 1 $D --model bert-tiny --layers 6 \
    --heads 4 --batch 16 --lr 1e-3 --warmup 0.1 --threads 1 --variants BERT,PFC --out $OUT/bbc6-t2-s1 --work /tmp/ptc-work
# Table 4 at inference: the seed-1 BERT checkpoint pruned at every p with both rules
build/ptc eval --run /tmp/ptc-work/ptc-experiment-*/bbc-baseline-p0-lc0-m8-s1 $D --variant PF \
    --p 1,0.95,0.9,0.85,0.8,0.75,0.7,0.65,0.6 --rule clamp,topk --threads 1 \
    --rows $OUT/bbc-t4-infer/rows.jsonl --predictions $OUT/bbc-t4-infer/pred.tsv
# tables and plots
build/ptc table --kind table2 --paper $OUT/bbc-t2-s12 $OUT/bbc-t2-s3 $OUT/sst2-t2-s1
build/ptc table --kind tests $OUT/bbc-t2-s12 $OUT/bbc-t2-s3 $OUT/sst2-t2-s1
build/ptc table --kind table4 --paper $OUT/bbc-t4-infer
build/ptc plot --out $OUT/plots $OUT/bbc-t2-s12 $OUT/bbc-t2-s3 $OUT/bbc-t4-infer $OUT/sst2-t2-s1
