#!/usr/bin/python3
"""PyTorch side-by-side benchmark for xent4j: softmax cross-entropy loss + gradient on CPU.

Measures, for float32 logits [N,K]:
  fwdbwd : logits leaf (requires_grad), F.cross_entropy(logits, target, reduction='sum'), backward()
  fwd    : the same forward under torch.no_grad()
  floor  : torch.add(a, b, out=c) on preallocated [N,K] float32 arrays (read 2, write 1)
and reports median time per call, IQR, ratio to the floor of the same shape/threads and ns/element.

Run with the Debian interpreter (python3-torch):  /usr/bin/python3 torch_xent_bench.py [--quick] [--out DIR]
"""
import argparse
import datetime
import gc
import json
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F

DEFAULT_SHAPES = "128x10,1024x1000,4096x1000,256x32000,64x128000"
ALL_LABELS = ("soft", "onehot", "index")
ALL_CASES = ("fwdbwd", "fwd", "fwd_graph", "floor")

# Correctness tolerances (float32 result vs float64 reference).
GRAD_ATOL, GRAD_RTOL = 2e-6, 1e-4
LOSS_RTOL = 2e-5
NOISY_IQR = 0.25  # flag cells whose IQR exceeds this fraction of the median
ONCPU_MIN = 0.9   # a sample is "on-CPU" if the main thread ran >= this fraction of its wall time


def parse_shapes(s):
    out = []
    for tok in s.split(","):
        tok = tok.strip().lower()
        if not tok:
            continue
        n, k = tok.split("x")
        out.append((int(n), int(k)))
    return out


def parse_list(s, allowed, kind):
    vals = [v.strip() for v in s.split(",") if v.strip()]
    for v in vals:
        if v not in allowed:
            sys.exit(f"unknown {kind} {v!r}; allowed: {', '.join(allowed)}")
    return vals


# ---------------------------------------------------------------- inputs

def make_inputs(n, k, seed):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, k, generator=g, dtype=torch.float32)
    soft = torch.softmax(torch.randn(n, k, generator=g, dtype=torch.float32), dim=1)
    idx = torch.randint(0, k, (n,), generator=g, dtype=torch.int64)
    onehot = torch.zeros(n, k, dtype=torch.float32)
    onehot.scatter_(1, idx.unsqueeze(1), 1.0)
    return logits, {"soft": soft, "onehot": onehot, "index": idx}


def dense_target(label, targets):
    return targets["onehot"] if label == "index" else targets[label]


# ---------------------------------------------------------------- correctness

def verify(n, k, logits, targets, labels):
    """Autograd grad == p*sum(y) - y and loss == float64 reference, for every label kind.
    Returns a list of per-label error dicts; raises SystemExit on failure."""
    results = []
    z64 = logits.double()
    lse = torch.logsumexp(z64, dim=1)
    p64 = torch.exp(z64 - lse.unsqueeze(1))
    for label in labels:
        y64 = dense_target(label, targets).double()
        ref_loss = float((lse - (y64 * z64).sum(1)).sum())
        ref_grad = p64 * y64.sum(1, keepdim=True) - y64

        leaf = logits.clone().requires_grad_(True)
        loss = F.cross_entropy(leaf, targets[label], reduction="sum")
        loss.backward()
        grad = leaf.grad.double()
        got_loss = float(loss)

        gerr = (grad - ref_grad).abs()
        gbound = GRAD_ATOL + GRAD_RTOL * ref_grad.abs()
        grad_ok = bool((gerr <= gbound).all())
        loss_rel = abs(got_loss - ref_loss) / max(abs(ref_loss), 1e-30)
        loss_ok = loss_rel <= LOSS_RTOL and loss.dtype == torch.float32

        # forward under no_grad must agree with the autograd forward
        with torch.no_grad():
            nog = float(F.cross_entropy(logits, targets[label], reduction="sum"))
        nog_ok = abs(nog - got_loss) <= LOSS_RTOL * max(abs(ref_loss), 1e-30)

        r = {"shape": f"{n}x{k}", "labels": label, "loss": got_loss, "ref_loss_f64": ref_loss,
             "loss_rel_err": loss_rel, "grad_max_abs_err": float(gerr.max()),
             "ok": grad_ok and loss_ok and nog_ok}
        results.append(r)
        print(f"# verify {n}x{k} {label:6s}: loss={got_loss:.6g} ref={ref_loss:.6g} "
              f"rel_err={loss_rel:.2e}  grad max|err|={r['grad_max_abs_err']:.2e}  "
              f"{'OK' if r['ok'] else 'FAIL'}", file=sys.stderr, flush=True)
        if not r["ok"]:
            sys.exit(f"CORRECTNESS FAILURE for {n}x{k} labels={label}: "
                     f"grad_ok={grad_ok} loss_ok={loss_ok} (rel {loss_rel:.3e}) nograd_ok={nog_ok}")
    return results


# ---------------------------------------------------------------- load of other processes

_HZ = os.sysconf("SC_CLK_TCK")


def _cpu_snapshot():
    """(busy seconds of the whole machine, this process's CPU seconds, monotonic seconds)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)  # user nice system irq softirq steal
    t = os.times()
    return busy / _HZ, t.user + t.system, time.monotonic()


def others_cpu(a, b):
    """Average number of CPUs used by other processes between two snapshots."""
    dt = b[2] - a[2]
    if dt <= 0:
        return 0.0
    return max(0.0, ((b[0] - a[0]) - (b[1] - a[1])) / dt)


def wait_quiet(threshold, max_wait, probe_s=0.2):
    """Wait (idle) until other processes use <= threshold CPUs over a probe interval, at most max_wait s.
    Returns (seconds waited, last measured other-CPU load)."""
    t0 = time.monotonic()
    while True:
        a = _cpu_snapshot()
        time.sleep(probe_s)
        load = others_cpu(a, _cpu_snapshot())
        waited = time.monotonic() - t0
        if load <= threshold or waited >= max_wait:
            return waited, load
        time.sleep(0.3)


# ---------------------------------------------------------------- timing

def measure(fn, warmup_s, warmup_calls, samples, min_sample_ns, batch=None):
    """Warm up, size a batch so one sample takes >= min_sample_ns (unless `batch` is given),
    take `samples` samples. Returns per-call times in ns (one per sample), the batch size and, per
    sample, the main thread's CPU time / wall time (well below 1 = descheduled or blocked)."""
    pc = time.perf_counter_ns
    tt = time.thread_time_ns
    # warm-up: at least warmup_s seconds and warmup_calls calls
    t_end = pc() + int(warmup_s * 1e9)
    calls = 0
    while calls < warmup_calls or pc() < t_end:
        fn()
        calls += 1
    if batch is not None:
        calibrate = False
    else:
        calibrate = True
        batch = 1
    while calibrate:
        t0 = pc()
        for _ in range(batch):
            fn()
        dt = pc() - t0
        if dt >= min_sample_ns:
            break
        batch = max(batch * 2, int(batch * min_sample_ns * 1.2 / max(dt, 1)))
    per_call, oncpu = [], []
    for _ in range(samples):
        c0 = tt()
        t0 = pc()
        for _ in range(batch):
            fn()
        wall = pc() - t0
        oncpu.append((tt() - c0) / wall)
        per_call.append(wall / batch)
    return per_call, batch, oncpu


def quartiles(xs):
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], statistics.median(xs), q[2]


def make_case(case, logits, target, n, k):
    if case == "floor":
        a = torch.randn(n, k, dtype=torch.float32)
        b = torch.randn(n, k, dtype=torch.float32)
        c = torch.empty(n, k, dtype=torch.float32)

        def fn():
            torch.add(a, b, out=c)
        return fn
    if case == "fwd":
        def fn():
            with torch.no_grad():
                F.cross_entropy(logits, target, reduction="sum")
        return fn
    leaf = logits.clone().requires_grad_(True)
    if case == "fwd_graph":  # forward with autograd recording, no backward (diagnostic)
        def fn():
            F.cross_entropy(leaf, target, reduction="sum")
        return fn
    if case == "fwdbwd":
        def fn():
            leaf.grad = None  # no accumulation: backward writes a fresh gradient
            F.cross_entropy(leaf, target, reduction="sum").backward()
        return fn
    raise ValueError(case)


# ---------------------------------------------------------------- machine info

def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cfg = torch.__config__.show()
    cap = next((l.split(":", 1)[1].strip() for l in cfg.splitlines() if "CPU capability usage" in l), None)
    par = torch.__config__.parallel_info()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpu_model": model,
        "logical_cpus": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "torch_version": torch.__version__,
        "torch_cpu_capability": cap,
        "mkl_available": torch.backends.mkl.is_available(),
        "mkldnn_available": torch.backends.mkldnn.is_available(),
        "openmp_available": torch.backends.openmp.is_available(),
        "interop_threads": torch.get_num_interop_threads(),
        "parallel_info": par,
        "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_PROC_BIND", "GOMP_CPU_AFFINITY")},
        "loadavg_start": open("/proc/loadavg").read().strip() if os.path.exists("/proc/loadavg") else None,
    }


# ---------------------------------------------------------------- output

def fmt_us(ns):
    us = ns / 1e3
    if us >= 100:
        return f"{us:.0f}"
    if us >= 10:
        return f"{us:.1f}"
    return f"{us:.2f}"


def markdown(rows, info, args_desc):
    lines = []
    lines.append("# PyTorch softmax cross-entropy (float32, CPU)")
    lines.append("")
    lines.append(f"- date: {info['date']}; CPU: {info['cpu_model']} ({info['logical_cpus']} logical CPUs)")
    lines.append(f"- torch {info['torch_version']} (capability {info['torch_cpu_capability']}); "
                 f"MKL={info['mkl_available']}, MKL-DNN={info['mkldnn_available']}, OpenMP={info['openmp_available']}; "
                 f"interop threads={info['interop_threads']}")
    lines.append(f"- loadavg start: {info.get('loadavg_start')}; end: {info.get('loadavg_end')}")
    lines.append(f"- harness: {args_desc}")
    lines.append("- `fwdbwd` = F.cross_entropy(reduction='sum') + backward on a leaf (grad reset to None each call); "
                 "`fwd` = forward under no_grad; `floor` = torch.add(a,b,out=c); "
                 "ratio = median / floor median (same shape, threads)")
    lines.append(f"- `!` after the IQR: IQR > {NOISY_IQR:.0%} of the median (noisy cell; treat with care); "
                 f"on-CPU %: samples in which the main thread ran >= {ONCPU_MIN:.0%} of the wall time; "
                 f"others: mean CPUs used by other processes while the cell was sampled")
    lines.append(f"- quiet gate: before each cell, wait until other processes use <= {info.get('quiet_cpus')} CPUs "
                 f"(<= {info.get('max_wait_s')} s per cell); waited {info.get('total_waited_s', 0):.0f} s in all")
    lines.append("")
    lines.append("| shape | labels | threads | case | median µs | IQR µs | × floor | ns/elem | on-CPU % | others |")
    lines.append("|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        lines.append(f"| {r['shape']} | {r['labels']} | {r['threads']} | {r['case']} | "
                     f"{fmt_us(r['median_ns'])} | {fmt_us(r['iqr_ns'])}{' !' if r['noisy'] else ''} | "
                     f"{r['ratio_to_floor']:.1f} | {r['ns_per_element']:.3f} | "
                     f"{r['oncpu_pct']:.0f} | {r['others_cpu_mean']:.2f} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", default=DEFAULT_SHAPES, help=f"comma list of NxK (default {DEFAULT_SHAPES})")
    ap.add_argument("--threads", default="1,2", help="comma list of intra-op thread counts (default 1,2)")
    ap.add_argument("--labels", default="soft,onehot,index", help="comma list of soft,onehot,index")
    ap.add_argument("--cases", default="fwdbwd,fwd,floor",
                    help="comma list of fwdbwd,fwd,floor,fwd_graph (fwd_graph: forward recording autograd, no backward)")
    ap.add_argument("--quick", action="store_true", help="smoke run: short warm-up, few samples")
    ap.add_argument("--samples", type=int, default=None, help="samples per measurement (default 40, quick 7)")
    ap.add_argument("--warmup", type=float, default=None, help="warm-up seconds (default 1.0, quick 0.1)")
    ap.add_argument("--min-sample-ms", type=float, default=None, help="minimum sample duration (default 10, quick 2)")
    ap.add_argument("--rounds", type=int, default=None,
                    help="interleaved passes over the plan, samples pooled (default 4, quick 1)")
    ap.add_argument("--quiet-cpus", type=float, default=0.3,
                    help="quiet gate: other processes' CPU use to wait for before each cell (default 0.3)")
    ap.add_argument("--max-wait", type=float, default=None,
                    help="quiet gate: max seconds to wait per cell (default 20, quick 0 = no gate)")
    ap.add_argument("--max-total-wait", type=float, default=900,
                    help="quiet gate: max seconds to wait over the whole run (default 900)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", default=None, help="directory for torch_xent.md and torch_xent.json")
    args = ap.parse_args()

    torch.set_num_interop_threads(1)  # must precede any inter-op parallel work

    shapes = parse_shapes(args.shapes)
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    labels = parse_list(args.labels, ALL_LABELS, "label kind")
    cases = parse_list(args.cases, ALL_CASES, "case")
    if "floor" not in cases:
        cases.append("floor")  # the ratio needs it
    samples = args.samples or (7 if args.quick else 40)
    rounds = args.rounds or (1 if args.quick else 4)
    quiet_cpus = args.quiet_cpus
    max_wait = args.max_wait if args.max_wait is not None else (0.0 if args.quick else 20.0)
    max_total_wait = args.max_total_wait
    rewarm_s, rewarm_calls = (0.05, 3) if args.quick else (0.2, 10)
    warmup_s = args.warmup if args.warmup is not None else (0.1 if args.quick else 1.0)
    warmup_calls = 5 if args.quick else 50
    min_sample_ns = int((args.min_sample_ms or (2.0 if args.quick else 10.0)) * 1e6)
    args_desc = (f"warm-up >= {warmup_s} s and >= {warmup_calls} calls; {rounds} interleaved round(s) over all cells "
                 f"(re-warm-up >= {rewarm_s} s / {rewarm_calls} calls in later rounds), "
                 f"{-(-samples // rounds) * rounds} samples per cell in all, each a batch of calls "
                 f">= {min_sample_ns / 1e6:g} ms (perf_counter_ns); median and IQR of per-call time; gc disabled while timing")

    info = machine_info()
    print(f"# torch {torch.__version__}, CPU {info['cpu_model']}, threads {threads}, "
          f"loadavg {info['loadavg_start']}", file=sys.stderr, flush=True)

    # correctness once per shape (single-threaded, before timing)
    torch.set_num_threads(1)
    inputs = {}
    verification = []
    for n, k in shapes:
        logits, targets = make_inputs(n, k, args.seed)
        inputs[(n, k)] = (logits, targets)
        verification += verify(n, k, logits, targets, labels)

    # Measurements run in `rounds` interleaved passes over the whole plan; the samples of a
    # (threads, shape, case, labels) cell are pooled over rounds, so a transient disturbance on this
    # shared machine hits one slice of many cells instead of all samples of one cell.
    plan = []
    for t in threads:
        for n, k in shapes:
            plan.append((t, n, k, "floor", "-"))
            plan += [(t, n, k, c, l) for c in cases if c != "floor" for l in labels]
    per_round = max(1, -(-samples // rounds))
    pooled = {key: [] for key in plan}
    oncpu_all = {key: [] for key in plan}
    others = {key: [] for key in plan}
    total_waited = [0.0]
    batches = {}
    gc_was = gc.isenabled()
    for rnd in range(rounds):
        for key in plan:
            t, n, k, case, label = key
            torch.set_num_threads(t)
            logits, targets = inputs[(n, k)]
            fn = make_case(case, logits, None if case == "floor" else targets[label], n, k)
            first = rnd == 0
            budget = max(0.0, max_total_wait - total_waited[0])
            waited, _ = wait_quiet(quiet_cpus, min(max_wait, budget)) if max_wait > 0 and budget > 0 else (0.0, 0.0)
            total_waited[0] += waited
            gc.collect()
            gc.disable()
            try:
                snap0 = _cpu_snapshot()
                per_call, batch, oncpu = measure(fn, warmup_s if first else rewarm_s,
                                                 warmup_calls if first else rewarm_calls,
                                                 per_round, min_sample_ns, batches.get(key))
                other = others_cpu(snap0, _cpu_snapshot())
            finally:
                if gc_was:
                    gc.enable()
            batches[key] = batch
            pooled[key] += per_call
            oncpu_all[key] += oncpu
            others[key].append(other)
            q1, med, q3 = quartiles(per_call)
            print(f"# round {rnd + 1}/{rounds} t={t} {n}x{k} {case:9s} {label:6s} median {fmt_us(med):>8s} us  "
                  f"IQR {fmt_us(q3 - q1):>7s} us  batch {batch}  others {other:.2f} CPU  waited {waited:.1f} s",
                  file=sys.stderr, flush=True)

    rows = []
    floor_med = {}
    for key in plan:
        t, n, k, case, label = key
        q1, med, q3 = quartiles(pooled[key])
        if case == "floor":
            floor_med[(t, n, k)] = med
        fm = floor_med[(t, n, k)]
        rows.append({"shape": f"{n}x{k}", "N": n, "K": k, "labels": label, "threads": t, "case": case,
                     "median_us": med / 1e3, "iqr_us": (q3 - q1) / 1e3, "q1_us": q1 / 1e3, "q3_us": q3 / 1e3,
                     "ratio_to_floor": med / fm, "ns_per_element": med / (n * k),
                     "batch": batches[key], "samples": len(pooled[key]),
                     "noisy": (q3 - q1) > NOISY_IQR * med,
                     "oncpu_pct": 100.0 * sum(c >= ONCPU_MIN for c in oncpu_all[key]) / len(oncpu_all[key]),
                     "median_oncpu_us": (statistics.median([x for x, c in zip(pooled[key], oncpu_all[key]) if c >= ONCPU_MIN]) / 1e3
                                         if sum(c >= ONCPU_MIN for c in oncpu_all[key]) >= 5 else None),
                     "others_cpu_max": max(others[key]), "others_cpu_mean": statistics.fmean(others[key]),
                     "median_ns": med, "iqr_ns": q3 - q1})

    info["quiet_cpus"], info["max_wait_s"], info["total_waited_s"] = quiet_cpus, max_wait, total_waited[0]
    info["loadavg_end"] = open("/proc/loadavg").read().strip() if os.path.exists("/proc/loadavg") else None
    md = markdown(rows, info, args_desc)
    sys.stdout.write(md)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "torch_xent.md"), "w") as f:
            f.write(md)
        for r in rows:
            r.pop("median_ns")
            r.pop("iqr_ns")
        doc = {"machine": info,
               "settings": {"shapes": args.shapes, "threads": threads, "labels": labels, "cases": cases,
                            "quick": args.quick, "samples": samples, "rounds": rounds,
                            "quiet_cpus": quiet_cpus, "max_wait_s": max_wait, "max_total_wait_s": max_total_wait, "warmup_s": warmup_s,
                            "warmup_calls": warmup_calls, "min_sample_ms": min_sample_ns / 1e6,
                            "seed": args.seed, "dtype": "float32", "reduction": "sum"},
               "verification": verification,
               "rows": rows}
        with open(os.path.join(args.out, "torch_xent.json"), "w") as f:
            json.dump(doc, f, indent=2)
        print(f"# wrote {args.out}/torch_xent.md and torch_xent.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
