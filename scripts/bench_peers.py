#!/usr/bin/python3
"""scripts/bench_peers.py -- `make bench-peers`: PyTorch on ptc's encoder shapes.

Times Debian's PyTorch (python3-torch, a benchmark-only dependency: nothing else in
ptc imports it) running nn.TransformerEncoder with the bert-base shape (hidden 768,
12 layers, 12 heads, FFN 3072), post-LN, exact GELU, dropout off, inference
(no_grad), batch 1, at n = 128 and 512, with 1 and 2 threads, and writes one
ptc.row/1 row per configuration (harness/SCHEMA.md) to
results/<cpu-slug>/<date>-peers-torch/rows.jsonl (the slug `ptc info` prints), so `ptc table` and `ptc compare`
show them beside ptc's encoder rows: label "PyTorch", variant "baseline", level
"encoder", isa the vector ISA PyTorch's kernels use here and pad_mode
"length-aware" (batch 1 at full length has no padding either way), so the default
`ptc compare PTC_RUN PEERS_RUN` key pairs them with ptc's BERT rows of that ISA.

    bench_peers.py [--out DIR] [--seqs 128,512] [--threads 1,2] [--reps N] [--ptc build/ptc]

Timing: one warm-up forward, then --reps forwards, each timed alone (seconds per
forward); the row keeps every repetition. Pin it yourself (taskset) as for ptc.
Threads: each (seq, threads) point runs in a child process whose OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS are set to the thread count before torch is
imported: Debian's PyTorch calls OpenBLAS, whose own thread pool ignores
torch.set_num_threads (a "1 thread" run used every allowed CPU before this). The row
records the CPU seconds per wall second of the timed forwards (`peer.cpu_per_wall`);
a point whose figure exceeds its thread count by more than 10% is marked
`"status": "error"` with the reason, so no table shows it as a 1-thread figure.
Exit 0; 1 when PyTorch is missing or a run fails; 2 for bad usage.
"""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def cpu_slug(ptc):
    """the results folder name of this CPU, as ptc names it (`ptc info`'s slug line), so
    PyTorch's rows land beside ptc's: the rule (model name, x86 family and model) lives in
    harness/common/machine.c only"""
    try:
        out = subprocess.run([ptc, "info"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit(f"bench_peers: cannot run '{ptc} info' ({e}): build it with make")
    for line in out.splitlines():
        if line.startswith("slug:"):
            return line.split()[1]
    raise SystemExit(f"bench_peers: '{ptc} info' printed no slug line")


def ptc_commit():
    """the ptc tree the peer run was made from (rows cite it like ptc's own)"""
    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def torch_isa(torch):
    """avx512 / avx2 / default: the CPU capability PyTorch dispatches to."""
    config = torch.__config__.show().lower()
    m = re.search(r"cpu capability usage:\s*(\w+)", config)
    cap = m.group(1) if m else "default"
    return {"avx512": "avx512", "avx2": "avx2"}.get(cap, cap)


def encoder_flops(seq, hidden=768, layers=12, ffn=3072):
    """ptc's convention (harness/SCHEMA.md `flops`): 2 per multiply-add."""
    linear = layers * (2 * seq * hidden * hidden * 4 + 2 * 2 * seq * hidden * ffn)
    attention = layers * 4 * seq * seq * hidden
    return {"total": float(linear + attention), "linear": float(linear),
            "attention": float(attention), "total_no_attention": float(linear)}


def time_stats(reps):
    med = statistics.median(reps)
    mean = statistics.fmean(reps)
    sd = statistics.stdev(reps) if len(reps) > 1 else 0.0
    return {"median": med, "mean": mean, "stddev": sd, "min": min(reps), "max": max(reps),
            "cv": sd / mean if mean > 0 else 0.0, "n": len(reps), "reps": reps}


def measure(torch, seq, threads, reps):
    """seconds per forward, and the CPU seconds per wall second of the timed ones"""
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    layer = torch.nn.TransformerEncoderLayer(d_model=768, nhead=12, dim_feedforward=3072,
                                             dropout=0.0, activation="gelu",
                                             batch_first=True, norm_first=False)
    model = torch.nn.TransformerEncoder(layer, num_layers=12, enable_nested_tensor=False).eval()
    x = torch.randn(1, seq, 768)
    times = []
    with torch.no_grad():
        model(x)
        cpu0 = time.process_time()
        for _ in range(reps):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
        cpu = time.process_time() - cpu0
    return times, cpu / sum(times)


def measure_in_child(seq, threads, reps):
    """runs measure() in a fresh interpreter whose thread pools are sized before torch loads"""
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--child",
                            f"{seq},{threads},{reps}"], env=env, capture_output=True, text=True)
    if child.returncode != 0:
        raise RuntimeError(child.stderr.strip().splitlines()[-1] if child.stderr.strip()
                           else f"child exited {child.returncode}")
    result = json.loads(child.stdout)
    return result["times"], result["cpu_per_wall"]


def child_main(spec):
    import torch
    seq, threads, reps = (int(v) for v in spec.split(","))
    times, cpu_per_wall = measure(torch, seq, threads, reps)
    print(json.dumps({"times": times, "cpu_per_wall": cpu_per_wall}))
    return 0


def main():
    ap = argparse.ArgumentParser(description="PyTorch encoder rows beside ptc's")
    ap.add_argument("--out", default="results")
    ap.add_argument("--seqs", default="128,512")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--ptc", default="build/ptc", help="the ptc program whose `info` names the folder")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child_main(args.child)
    try:
        seqs = [int(s) for s in args.seqs.split(",")]
        thread_counts = [int(t) for t in args.threads.split(",")]
    except ValueError:
        print("bench_peers: --seqs and --threads take comma-separated integers", file=sys.stderr)
        return 2
    if args.reps < 1 or min(seqs) < 1 or min(thread_counts) < 1:
        print("bench_peers: --reps, --seqs and --threads must be positive", file=sys.stderr)
        return 2
    try:
        import torch
    except ImportError:
        print("bench_peers: PyTorch missing: apt-get install python3-torch "
              "(scripts/install-deps.sh)", file=sys.stderr)
        return 1

    cpu = cpu_model()
    slug = cpu_slug(args.ptc)
    now = datetime.datetime.now(datetime.timezone.utc)
    run = now.strftime("%Y%m%d-%H%M%S") + "-peers-torch"
    folder = os.path.join(args.out, slug, run)
    os.makedirs(folder, exist_ok=True)
    isa = torch_isa(torch)
    commit = ptc_commit()
    path = os.path.join(folder, "rows.jsonl")
    with open(path, "a") as out:
        for seq in seqs:
            for threads in thread_counts:
                try:
                    times, cpu_per_wall = measure_in_child(seq, threads, args.reps)
                except (RuntimeError, ValueError, KeyError) as e:
                    print(f"bench_peers: seq {seq} threads {threads}: {e}", file=sys.stderr)
                    return 1
                oversubscribed = cpu_per_wall > 1.1 * threads
                flops = encoder_flops(seq)
                config_id = (f"level=encoder;model=bert-base;hidden=768;layers=12;heads=12;"
                             f"ffn=3072;seq={seq};batch=1;pad=length-aware;isa={isa};"
                             f"threads={threads};variant=baseline;impl=pytorch")
                stats = time_stats(times)
                row = {
                    "schema": "ptc.row/1", "run": run, "config_id": config_id,
                    "status": "error" if oversubscribed else "ok",
                    "level": "encoder", "variant": "baseline",
                    "label": "PyTorch", "rule": None, "p": None, "lc": None, "m": None,
                    "pad_mode": "length-aware", "project_kept": True, "model": "bert-base",
                    "hidden": 768, "layers": 12, "heads": 12, "ffn": 3072, "seq": seq,
                    "batch": 1, "isa": isa, "threads": threads, "cpu": cpu,
                    "cpu_slug": slug, "binding": "none", "binding_verified": False,
                    "time_s": stats, "flops": flops,
                    "gflops": flops["total"] / stats["median"] / 1e9,
                    "peer": {"name": "pytorch", "version": torch.__version__,
                             "module": "nn.TransformerEncoder (post-LN, exact GELU)",
                             "cpu_per_wall": round(cpu_per_wall, 3)},
                    "commit": commit,
                    "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
                if oversubscribed:
                    row["error"] = (f"{cpu_per_wall:.2f} CPU seconds per second with "
                                    f"{threads} thread(s): PyTorch ran more threads than asked")
                out.write(json.dumps(row, separators=(",", ":")) + "\n")
                out.flush()
                print(f"PyTorch {torch.__version__} {isa} seq {seq} threads {threads}: "
                      f"{stats['median'] * 1e3:.1f} ms (min {stats['min'] * 1e3:.1f}, "
                      f"max {stats['max'] * 1e3:.1f}, {len(times)} reps, "
                      f"{cpu_per_wall:.2f} CPU s per s)"
                      + (" OVERSUBSCRIBED: row marked error" if oversubscribed else ""))
    print(f"bench_peers: rows in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
