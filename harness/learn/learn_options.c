/*
 * harness/learn/learn_options.c — the options of the learn commands, one table of
 * rows per group (harness/learn/train.h): the groups `ptc train` takes whole and
 * eval, predict and experiment take in part, the rows of eval, predict and
 * experiment themselves; the defaults, the sibling commands' rows (`others`), a
 * stored train argv read back, the checks between options. The defaults are in
 * the rows.
 */
#include "learn/eval.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define F(field) offsetof(ptc_run_opts, field)

static const ptc_option data_rows[] = {
    {"data", PTC_OPT_STR, F(data), "NAME", "imdb bbc 20ng sst2 r8 r52 hyperpartisan agnews-test synthetic"},
    {"data-dir", PTC_OPT_STR, F(data_dir), "DIR", "folder of the named datasets (or $PTC_DATA)"},
    {"train", PTC_OPT_STR, F(train), "F", "label<TAB>text files instead of --data (with --labels)"},
    {"dev", PTC_OPT_STR, F(dev), "F", "validation file"},
    {"test", PTC_OPT_STR, F(test), "F", "test file"},
    {"cache-dir", PTC_OPT_STR, F(cache_dir), "DIR", "tokenized-dataset cache"},
    {"skip-bad-lines", PTC_OPT_FLAG, F(skip_bad_lines), NULL, "skip malformed lines (counted)"},
    {"split-seed", PTC_OPT_U64, F(split_seed), "N", "seed of derived splits and the synthetic set", "20231"},
    {"synthetic-train", PTC_OPT_SIZE, F(synth_train), "N", "synthetic training documents", NULL, 1, 0},
    {"synthetic-dev", PTC_OPT_SIZE, F(synth_dev), "N", "synthetic validation documents", NULL, 1, 0},
    {"synthetic-test", PTC_OPT_SIZE, F(synth_test), "N", "synthetic test documents", NULL, 1, 0},
    {"synthetic-classes", PTC_OPT_SIZE, F(synth_classes), "N", "synthetic classes", NULL, 2, 0},
    {NULL},
};
static const ptc_option text_rows[] = {
    {"vocab", PTC_OPT_STR, F(vocab), "F", "WordPiece vocab.txt (or $PTC_VOCAB)"},
    {"labels", PTC_OPT_STR, F(labels), "F", "labels.txt, one class name a line"},
    {"max-len", PTC_OPT_SIZE, F(max_len), "N", "tokens per document at most", "512", 2, 0},
    {NULL},
};
static const ptc_option shape_rows[] = {
    {"model", PTC_OPT_MODEL, F(model), "NAME", "preset: bert-base bert-medium bert-small bert-mini bert-tiny", PTC_MODEL_PRESET_DEFAULT},
    {"hidden", PTC_OPT_SIZE, F(hidden), "N", "hidden size instead of the preset's", NULL, 1, 0},
    {"layers", PTC_OPT_SIZE, F(layers), "N", "layers instead of the preset's", NULL, 1, 0},
    {"heads", PTC_OPT_SIZE, F(heads), "N", "attention heads instead of the preset's", NULL, 1, 0},
    {"ffn", PTC_OPT_SIZE, F(ffn), "N", "feed-forward size instead of the preset's", NULL, 1, 0},
    {NULL},
};
static const ptc_option variant_rows[] = {
    {"variant", PTC_OPT_VARIANT, F(variant), "NAME", "BERT|baseline P PF|prune C|combine PFC|combined TopK LTP ToMe", "BERT"},
    {"rule", PTC_OPT_RULE, F(rule), "NAME", "pruning rule topk clamp within (P: topk, else clamp)"},
    {"p", PTC_OPT_DOUBLE, F(p), "X", "fraction of keys kept per layer, in (0, 1]", "0.9", 0, 1, true},
    {"lc", PTC_OPT_SIZE, F(lc), "N", "combining layer L_c of C and PFC (layers - 1)", NULL, 1, 0},
    {"m", PTC_OPT_SIZE, F(m), "N", "combination tokens of C and PFC (8)", NULL, 1, 0},
    {"pad-mode", PTC_OPT_PAD, F(pad_mode), "MODE", "length-aware padded", "length-aware"},
    {"keep-ratios", PTC_OPT_DOUBLES, F(keep_ratios), "LIST", "TopK: tokens kept by each removing layer in order (layers 2..L-1; the last repeats; p); others ignore it", NULL, 0, 1, true},
    {"ltp-temperature", PTC_OPT_DOUBLE, F(ltp_temperature), "X", "LTP: temperature T of the training mask sigmoid((s - theta) / T)", "0.05", 0, 0, true},
    {"ltp-lambda", PTC_OPT_DOUBLE, F(ltp_lambda), "X", "LTP: weight of the mask regularizer (pushes the thresholds up)", "0.01", 0, 0},
    {"ltp-threshold-init", PTC_OPT_DOUBLE, F(ltp_threshold_init), "X", "LTP: initial thresholds rise linearly to X (importance averages 1)", "0.5", 0, 0},
    {"tome-r", PTC_OPT_SIZE, F(tome_r), "N", "ToMe: tokens merged away by each merging layer (layers 2..L-1)", "8", 0, 0},
    {"dropout", PTC_OPT_DOUBLE, F(dropout), "X", "dropout probability in [0, 1) (the preset's 0.1)", NULL, 0, 0.999999},
    {NULL},
};
static const ptc_option train_rows[] = {
    {"epochs", PTC_OPT_SIZE, F(epochs), "N", "passes over the training split", "3", 1, 0},
    {"lr", PTC_OPT_DOUBLE, F(lr), "X", "peak learning rate", "1e-4", 0, 0, true},
    {"warmup", PTC_OPT_DOUBLE, F(warmup), "X", "warm-up: fraction of the steps if < 1, else steps", "0.1", 0, 0},
    {"weight-decay", PTC_OPT_DOUBLE, F(weight_decay), "X", "AdamW weight decay", "0.01", 0, 0},
    {"seed", PTC_OPT_U64, F(seed), "N", "weights, order, dropout", "1"},
    {"out", PTC_OPT_STR, F(out), "DIR", "run folder"},
    {"resume", PTC_OPT_FLAG, F(resume), NULL, "continue the run in --out from last.*"},
    {"max-steps", PTC_OPT_SIZE, F(max_steps), "N", "stop after N steps", NULL, 1, 0},
    {"save-every", PTC_OPT_SIZE, F(save_every), "N", "checkpoint every N steps", NULL, 1, 0},
    {"no-progress", PTC_OPT_FLAG, F(no_progress), NULL, "no progress line"},
    {"quiet", PTC_OPT_FLAG, F(quiet), NULL, "no per-epoch lines"},
    {NULL},
};
static const ptc_option batch_rows[] = {
    {"batch", PTC_OPT_SIZE, F(batch), "N", "documents per batch", "16", 1, 0},
    {"eval-batch", PTC_OPT_SIZE, F(eval_batch), "N", "documents per evaluation batch (--batch)", NULL, 1, 0},
    {NULL},
};
static const ptc_option compute_rows[] = {
    {"isa", PTC_OPT_ISA, F(isa), "NAME", "ops table: best or ref avx2 avx512 neon (or $PTC_ISA)"},
    {"threads", PTC_OPT_INT, F(threads), "N", "OpenMP threads (OpenMP's default)", NULL, 1, 4096},
    {NULL},
};
#undef F

ptc_opt_group ptc_learn_group_of(ptc_learn_group which, ptc_run_opts *o)
{
    static const struct {
        const char *title;
        const ptc_option *rows;
    } g[PTC_LEARN_NGROUPS] = {
        [PTC_LEARN_DATA] = {"data", data_rows},       [PTC_LEARN_TEXT] = {"text", text_rows},
        [PTC_LEARN_SHAPE] = {"model", shape_rows},    [PTC_LEARN_VARIANT] = {"variant", variant_rows},
        [PTC_LEARN_TRAIN] = {"training", train_rows}, [PTC_LEARN_BATCH] = {"batches", batch_rows},
        [PTC_LEARN_COMPUTE] = {"computation", compute_rows},
    };
    return (ptc_opt_group){g[which].title, g[which].rows, o};
}

void ptc_learn_groups_all(ptc_opt_group g[PTC_LEARN_NGROUPS], ptc_run_opts *o)
{
    for (int i = 0; i < PTC_LEARN_NGROUPS; i++)
        g[i] = ptc_learn_group_of((ptc_learn_group)i, o);
}

void ptc_learn_others(ptc_opt_group g[PTC_LEARN_NOTHERS])
{
    ptc_learn_groups_all(g, NULL);
    g[PTC_LEARN_NGROUPS] = (ptc_opt_group){"eval", ptc_eval_rows, NULL};
    g[PTC_LEARN_NGROUPS + 1] = (ptc_opt_group){"predict", ptc_predict_rows, NULL};
    g[PTC_LEARN_NGROUPS + 2] = (ptc_opt_group){"experiment", ptc_experiment_rows, NULL};
}

static void all_spec(ptc_command_spec *c, ptc_opt_group g[PTC_LEARN_NGROUPS], ptc_run_opts *o,
                     const char *prog)
{
    ptc_learn_groups_all(g, o);
    *c = (ptc_command_spec){.prog = prog, .usage = prog, .groups = g, .n_groups = PTC_LEARN_NGROUPS};
}

void ptc_run_opts_default(ptc_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->dropout = -1.0;
    ptc_opt_group g[PTC_LEARN_NGROUPS];
    ptc_command_spec c;
    all_spec(&c, g, o, "ptc");
    ptc_opts_defaults(&c);
}

int ptc_run_opts_from_argv(ptc_run_opts *o, int argc, char **argv, char *err, size_t err_len)
{
    ptc_opt_group g[PTC_LEARN_NGROUPS];
    ptc_command_spec c;
    all_spec(&c, g, o, "run.json argv");
    fflush(stderr);
    if (ptc_opts_parse(&c, argc, argv, 1, NULL) != 0) {
        snprintf(err, err_len, "its stored options do not parse (message above)");
        return -1;
    }
    return 0;
}

int ptc_run_opts_check(const ptc_run_opts *o, const ptc_opt_seen *seen, const char *prog)
{
    static const char *const files[] = {"train", "dev", "test"};
    for (size_t i = 0; i < 3; i++)
        if (ptc_opts_given(seen, "data") && ptc_opts_given(seen, files[i])) {
            fprintf(stderr, "%s: --data %s and --%s conflict: give a named dataset or files\n", prog,
                    o->data, files[i]);
            return 2;
        }
    return 0;
}

/* ---- eval and predict (eval.c) ---------------------------------------------------- */
#define E(field) offsetof(eval_args, field)
#define EVAL_VARIANT_ROWS                                                                              \
    {"variant", PTC_OPT_VARIANT, E(variant), "NAME", "variant at inference (the checkpoint's): P/PF/TopK/ToMe on any, C/PFC on a combining one, LTP on an LTP one"}, \
    {"p", PTC_OPT_DOUBLES, E(p_list), "LIST", "p at inference, in (0, 1] (TopK: keep ratio of every removing layer); a list sweeps", NULL, 0, 1, true}, \
    {"rule", PTC_OPT_STR, E(rule_list), "LIST", "pruning rules at inference: topk clamp within; a list sweeps"}, \
    {"lc", PTC_OPT_SIZES, E(lc_list), "LIST", "L_c at inference (C, PFC); a list sweeps", NULL, 1, 0}, \
    {"keep-ratios", PTC_OPT_STR, E(keep_list), "LISTS", "TopK keep ratios at inference by removing layer (2..L-1, the last repeats); ';' between lists sweeps: 0.9,0.8;0.7"}, \
    {"tome-r", PTC_OPT_SIZES, E(tome_r_list), "LIST", "ToMe r at inference (tokens merged away per merging layer); a list sweeps", NULL, 1, 0}, \
    {"pad-mode", PTC_OPT_PAD, E(pad_mode), "MODE", "length-aware padded (the checkpoint's)"}
const ptc_option ptc_eval_rows[] = {
    {"run", PTC_OPT_STR, E(run), "DIR", "a `ptc train` run folder: its options, best.safetensors"},
    {"checkpoint", PTC_OPT_STR, E(checkpoint), "F", "a safetensors checkpoint instead of --run"},
    {"split", PTC_OPT_STR, E(split), "NAME", "test dev train", "test"},
    {"json", PTC_OPT_STR, E(json), "F", "write the metrics as JSON (an array for a sweep)"},
    {"rows", PTC_OPT_STR, E(rows), "F.jsonl", "append one ptc.row/1 row per point (flushed, fsync'd)"},
    {"predictions", PTC_OPT_STR, E(predictions), "F.tsv", "per-document predictions (one file per point)"},
    EVAL_VARIANT_ROWS,
    {NULL},
};
const ptc_option ptc_predict_rows[] = {
    {"run", PTC_OPT_STR, E(run), "DIR", "a `ptc train` run folder: its options, best.safetensors"},
    {"checkpoint", PTC_OPT_STR, E(checkpoint), "F", "a safetensors checkpoint instead of --run"},
    {"input", PTC_OPT_STR, E(input), "F.tsv", "one text per line, or label<TAB>text"},
    {"output", PTC_OPT_STR, E(output), "F", "the predictions TSV (stdout)"},
    EVAL_VARIANT_ROWS,
    {NULL},
};
#undef EVAL_VARIANT_ROWS
#undef E

/* ---- experiment (experiment.c) ------------------------------------------------------ */
#define X(field) offsetof(ptc_experiment_opts, field)
static const char *const checkpoint_choices[] = {"keep", "remove", NULL};
const ptc_option ptc_experiment_rows[] = {
    {"seeds", PTC_OPT_SIZES, X(seeds), "LIST", "training seeds, e.g. 1,2,3", "1"},
    {"variants", PTC_OPT_VARIANTS, X(variants), "LIST", "variants to train", "BERT,P,PF,C,PFC"},
    {"p-sweep", PTC_OPT_DOUBLES, X(p_sweep), "LIST", "PF runs at these p, in (0, 1]", NULL, 0, 1, true},
    {"lc-sweep", PTC_OPT_SIZES, X(lc_sweep), "LIST", "PFC runs at these L_c", NULL, 1, 0},
    {"m-sweep", PTC_OPT_SIZES, X(m_sweep), "LIST", "PFC runs with these m", NULL, 1, 0},
    {"work", PTC_OPT_STR, X(work), "DIR", "folder of the runs' checkpoints and logs", "/tmp"},
    {"shard", PTC_OPT_STR, X(shard), "I/N", "run shard I of N (trainings split by config id) into "
     "OUT/shard-I-of-N, resumed; default from SLURM_ARRAY_TASK_ID/COUNT (harness/cluster/shard.h)"},
    {"shards", PTC_OPT_SIZE, X(shards), "N", "shard count for JOB_COMPLETION_INDEX (Kubernetes)", NULL, 1,
     100000},
    {"dry-run", PTC_OPT_FLAG, X(dry_run), NULL, "print the trainings' keys (of this shard), run nothing"},
    {"checkpoints", PTC_OPT_CHOICE, X(checkpoints), "WHAT", "keep or remove a run's checkpoints once its rows are written", "keep", .choices = checkpoint_choices},
    {NULL},
};
#undef X
