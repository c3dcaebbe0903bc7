#!/usr/bin/env python3
"""tests/harness/data/make_fixture_rows.py — writes the ptc.row/1 fixture rows the
report tests (tests/harness/test_report*.c) read. Deterministic (fixed seed); the
committed .jsonl files are its output, regenerate with
    python3 tests/harness/data/make_fixture_rows.py tests/harness/data

Values are made up but shaped like a real `ptc bench` run of bert-base on one
x86 core: times from a FLOPs model at a plausible GFLOP/s, ratios near the
paper's Table 3-5, bootstrap CIs from the repetitions.

  rows_main.jsonl      run A: 2 ISAs x 3 seq x 6 variants (+1 error row)
  rows_sweep.jsonl     run S: p sweep (PF) and L_c sweep (PFC) at seq 512, avx2
  rows_b.jsonl         run B: run A's avx2 rows on a later commit, one row
                       missing, one extra (seq 1024 BERT), PFC L7 slower
  rows_malformed.jsonl 3 good rows, 1 malformed line, 1 row of another schema
"""
import json, math, random, sys, os

H, L, HEADS, FFN = 768, 12, 12, 3072
CPU = "AMD EPYC 9R14 96-Core Processor"
SLUG = "amd-epyc-9r14-96-core-processor"
CAL = {"avx2": {"peak_gflops": 88.5, "bandwidth_gbps": 21.3},
       "avx512": {"peak_gflops": 161.2, "bandwidth_gbps": 21.3}}
RATE = {"avx2": 61.0, "avx512": 97.0}           # GFLOP/s the model achieves

# label -> (variant, rule, p, lc, flops factor, memory factor, extra speed factor)
VARIANTS = [
    ("BERT",     "baseline", None,    None, None, 1.000, 1.00, 1.00),
    ("P",        "prune",    "topk",  0.9,  None, 0.975, 0.88, 1.00),
    ("PF",       "prune",    "clamp", 0.9,  None, 0.980, 0.88, 0.99),
    ("C L7",     "combine",  None,    None, 7,    0.544, 0.62, 1.00),
    ("PFC L7",   "combined", "clamp", 0.9,  7,    0.532, 0.61, 0.99),
    ("PFC L11",  "combined", "clamp", 0.9,  11,   0.870, 0.80, 0.99),
]

def flops_base(n):
    lin = 2 * n * (4 * H * H + 2 * H * FFN) * L
    att = 4 * n * n * H * L
    soft = 5 * n * n * HEADS * L
    norm = 2 * 8 * n * H * L
    return lin, att, soft, norm

def stats(reps, rng):
    s = sorted(reps)
    k = len(s)
    med = s[k // 2] if k % 2 else 0.5 * (s[k // 2 - 1] + s[k // 2])
    mean = sum(s) / k
    sd = math.sqrt(sum((x - mean) ** 2 for x in s) / (k - 1))
    return {"median": med, "mean": mean, "stddev": sd, "min": s[0], "max": s[-1],
            "cv": sd / mean, "n": k, "reps": reps}

def median(v):
    s = sorted(v); k = len(s)
    return s[k // 2] if k % 2 else 0.5 * (s[k // 2 - 1] + s[k // 2])

def boot_ci(base, this, rng, B=400):
    r = []
    for _ in range(B):
        b = [rng.choice(base) for _ in base]
        t = [rng.choice(this) for _ in this]
        r.append(median(b) / median(t))
    r.sort()
    return r[int(0.025 * B)], r[int(0.975 * B) - 1]

def config_id(d):
    keys = ["level", "variant", "rule", "p", "lc", "m", "model", "seq", "batch", "isa",
            "threads", "pad_mode", "project_kept"]
    def s(v):
        if v is None: return "null"
        if isinstance(v, bool): return "true" if v else "false"
        return str(v)
    return ";".join(f"{k}={s(d[k])}" for k in keys)

def kept_arrays(n, p, lc, rule):
    layers = L if lc is None else lc
    toks, kmin, kmean, kmax = [], [], [], []
    keys = float(n)
    for l in range(layers):
        if p is not None and l > 0:
            keys = keys * (p if rule == "topk" else p + 0.35 * (1 - p))
        toks.append(float(n + (8 if lc else 0)))
        kmean.append(round(keys, 2))
        kmin.append(math.floor(keys * 0.93))
        kmax.append(min(n, math.ceil(keys * 1.05)))
    return {"tokens_mean": toks, "keys_min": kmin, "keys_mean": kmean, "keys_max": kmax}

def make_row(run, commit, isa, n, lab, rng, stamp, base_reps=None, slow=1.0, status="ok"):
    label, variant, rule, p, lc, ff, mf, sf = lab
    lin, att, soft, norm = flops_base(n)
    total = (lin + att + soft + norm) * ff
    d = {"schema": "ptc.row/1", "run": run, "status": status,
         "level": "encoder", "variant": variant, "label": label, "rule": rule, "p": p,
         "lc": lc, "m": 8 if lc else None, "pad_mode": "length-aware", "project_kept": True,
         "model": "bert-base", "hidden": H, "layers": L, "heads": HEADS, "ffn": FFN,
         "seq": n, "batch": 1, "isa": isa, "threads": 1, "binding": "pu:0",
         "binding_verified": True, "cpu": CPU, "cpu_slug": SLUG}
    d["config_id"] = config_id(d)
    if status == "error":
        d["error"] = "arena of 3.2 GiB exceeds --max-memory 2 GiB"
        d.update({"commit": commit, "dirty": False, "timestamp": stamp})
        return d
    t0 = total / (RATE[isa] * 1e9) / sf * slow
    reps = [round(t0 * (1 + rng.gauss(0, 0.015)), 6) for _ in range(7)]
    st = stats(reps, rng)
    d["time_s"] = st
    if base_reps is None:
        d["speedup"] = {"median": 1, "ci_low": 1, "ci_high": 1, "baseline_config_id": d["config_id"]}
    else:
        lo, hi = boot_ci(base_reps[0], reps, rng)
        d["speedup"] = {"median": base_reps[1] / st["median"], "ci_low": lo, "ci_high": hi,
                        "baseline_config_id": base_reps[2]}
    d["flops"] = {"total": total, "linear": lin * ff, "attention": att * ff, "softmax": soft * ff,
                  "norm": norm * ff, "scoring": (n * n * HEADS * L if p else 0),
                  "selection": (n * HEADS * L * 4 if p else 0),
                  "combining": (4 * n * 8 * H if lc else 0),
                  "total_no_attention": total - att * ff}
    d["flops_ratio"] = ff if variant != "baseline" else 1
    d["gflops"] = total / st["median"] / 1e9
    d["pct_peak"] = 100 * d["gflops"] / CAL[isa]["peak_gflops"]
    acts = int(L * (10 * n * H + 2 * n * FFN + HEADS * n * n) * 4 * mf)
    d["memory"] = {"activations": acts, "kv": int(2 * L * n * H * 4 * mf),
                   "scores": int(L * HEADS * n * n * 4 * mf), "workspace": int(acts * 0.2),
                   "peak_rss": int(520e6 + acts * 0.3)}
    d["memory_ratio"] = mf if variant != "baseline" else 1
    d["rss_ratio"] = (520e6 + acts * 0.3) / (520e6 + acts / mf * 0.3)
    d["kept"] = kept_arrays(n, p, lc, rule)
    d["calibration"] = dict(CAL[isa], file=f"results/{SLUG}/calibration.json")
    d.update({"commit": commit, "dirty": False, "timestamp": stamp})
    return d

def run_set(run, commit, isas, seqs, labs, rng, day, skip=(), slow=None, extra=()):
    rows = []
    minute = 0
    for isa in isas:
        for n in seqs:
            base = None
            for lab in labs:
                if (isa, n, lab[0]) in skip:
                    continue
                minute += 1
                stamp = f"{day}T02:{minute:02d}:00Z"
                f = (slow or {}).get(lab[0], 1.0)
                if base is None and lab[1] != "baseline":
                    raise SystemExit("baseline first")
                r = make_row(run, commit, isa, n, lab, rng, stamp, base, f)
                if lab[1] == "baseline":
                    base = (r["time_s"]["reps"], r["time_s"]["median"], r["config_id"])
                rows.append(r)
    return rows

def write(path, rows, extra_lines=()):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
        for x in extra_lines:
            f.write(x + "\n")

def main(out):
    rng = random.Random(20231206)
    A = "20260301-020000-fixture-a"
    main_rows = run_set(A, "1111111aaaaaaa", ["avx2", "avx512"], [128, 256, 512], VARIANTS, rng,
                        "2026-03-01")
    err = make_row(A, "1111111aaaaaaa", "avx2", 1024, VARIANTS[4], rng, "2026-03-01T02:59:00Z",
                   status="error")
    write(os.path.join(out, "rows_main.jsonl"), main_rows + [err])

    S = "20260302-020000-fixture-sweep"
    labs = [VARIANTS[0]]
    for p, mf, sf in [(0.95, 0.99, 1.00), (0.9, 0.88, 0.99), (0.85, 0.79, 1.00), (0.8, 0.75, 1.01),
                      (0.75, 0.71, 1.02), (0.7, 0.69, 1.03), (0.65, 0.68, 1.03), (0.6, 0.67, 1.03)]:
        labs.append(("PF", "prune", "clamp", p, None, 1 - 0.2 * (1 - p), mf, sf))
    for lc in range(5, 13):
        frac = lc / 12
        labs.append((f"PFC L{lc}", "combined", "clamp", 0.9, lc, 0.02 + 0.98 * frac,
                     0.1 + 0.86 * frac, 1.0))
    sweep = run_set(S, "1111111aaaaaaa", ["avx2"], [512], labs, rng, "2026-03-02")
    write(os.path.join(out, "rows_sweep.jsonl"), sweep)

    B = "20260305-020000-fixture-b"
    rng_b = random.Random(7)
    rows_b = run_set(B, "2222222bbbbbbb", ["avx2"], [128, 256, 512], VARIANTS, rng_b, "2026-03-05",
                     skip={("avx2", 128, "C L7")}, slow={"PFC L7": 1.10})
    rows_b += run_set(B, "2222222bbbbbbb", ["avx2"], [1024], VARIANTS[:1], rng_b, "2026-03-05")
    write(os.path.join(out, "rows_b.jsonl"), rows_b)

    few = main_rows[:3]
    other = dict(main_rows[3]); other["schema"] = "ptc.row/9"
    lines = [json.dumps(r, separators=(",", ":")) for r in few]
    lines.insert(2, '{"schema":"ptc.row/1","run":"x", "status": ok}')
    lines.append(json.dumps(other, separators=(",", ":")))
    with open(os.path.join(out, "rows_malformed.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
