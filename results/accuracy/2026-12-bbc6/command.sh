#!/bin/sh
# The 2026-12 BBC reference experiment at 6 layers (Tables 2, 4, 5 and 6 on BBC, seeds 1-3), run from the
# repository root as two shards, one per core, then merged. A stopped shard continues where it stopped
# when the same line is run again (a shard always resumes its folder). The runs of this folder were made
# by the binary of commit 49d1594 (shards) and merged and rendered at the commit that added this folder.
D="--data-dir ../shared/datasets --vocab ../shared/models/bert-base-uncased-vocab/vocab.txt"
M="--model bert-tiny --layers 6 --heads 4 --batch 16 --lr 1e-3 --warmup 0.1 --threads 1"
S="--variants BERT,P,PF,C,PFC --p-sweep 0.95,0.9,0.85,0.8,0.75,0.7,0.65,0.6 --lc-sweep 1,2,3,4,5 --m-sweep 4,8,16,32,64"
for i in 1 2; do
    taskset -c $((i - 1)) build/ptc experiment --data bbc --max-len 256 --epochs 4 --lc 5 --seeds 1,2,3 $D $M $S \
        --out /work/exp/bbc6 --work /work/exp/work$i --shard $i/2 &
done
wait
OUT=results/accuracy/2026-12-bbc6
# /work/exp/bbc6-extra: the seed-3 rows (and predictions) of PF p 0.9 and PFC L5 from ../2026-12-bbc6-methods
build/ptc merge /work/exp/bbc6 /work/exp/bbc6-extra --out $OUT
for k in table2 tests table4 table5 table6; do build/ptc table --kind $k --paper $OUT; done
build/ptc plot $OUT --out $OUT/plots
