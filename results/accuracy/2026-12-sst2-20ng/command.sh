#!/bin/sh
# Table 2 on SST-2 and 20 Newsgroups (2026-12, seeds 1-3), run from the repository root. Each dataset is
# an experiment of 5 shards (one configuration, 3 seeds, each); /work/exp/worker.sh ran them one shard at
# a time per core (2 cores, binary of b2e03f8); a stopped shard resumes when its line is run again.
# Same model as ../2026-12-bbc6 (6 layers x 128, L_c 5); SST-2: first 64 tokens, 1 epoch, lr 3e-4 (at
# lr 1e-3, batch 16, an earlier 4-layer trial diverged for PF and C: dev accuracy 0.55 and 0.51);
# 20 Newsgroups: first 128 tokens (headers included), 2 epochs, lr 1e-3.
D="--data-dir ../shared/datasets --vocab ../shared/models/bert-base-uncased-vocab/vocab.txt"
M="--model bert-tiny --layers 6 --heads 4 --batch 16 --warmup 0.1 --threads 1 --lc 5 --seeds 1,2,3 --variants BERT,P,PF,C,PFC"
for i in 1 2 3 4 5; do
    build/ptc experiment --data sst2 --max-len 64 --epochs 1 --lr 3e-4 $D $M --out /work/exp/sst2 --work /work/exp/work-sst2 --shard $i/5
    build/ptc experiment --data 20ng --max-len 128 --epochs 2 --lr 1e-3 $D $M --out /work/exp/20ng --work /work/exp/work-20ng --shard $i/5
done
OUT=results/accuracy/2026-12-sst2-20ng
build/ptc merge /work/exp/sst2 /work/exp/20ng --out $OUT
for k in table2 tests; do build/ptc table --kind $k --paper $OUT; done
build/ptc plot $OUT --out $OUT/plots
