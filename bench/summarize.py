#!/usr/bin/env python3
"""Summarize BenchmarkDotNet CSV reports of MemoryKinds.Benchmarks into the tables of docs/benchmarks.md.

Usage: bench/summarize.py RESULTS_DIR [RESULTS_DIR ...]
Each RESULTS_DIR is a BenchmarkDotNet.Artifacts/results folder of one run of bench/run-micro.sh. With several runs, every
cell is the median over the runs of BenchmarkDotNet's per-run median; the per-run ratios are listed too.
"""
import csv
import glob
import os
import statistics
import sys

UNITS = {"ns": 1.0, "us": 1e3, "\u03bcs": 1e3, "\u00b5s": 1e3, "ms": 1e6, "s": 1e9}
CONTENDERS = ["NativeMemory", "MemoryKindsPmemShm", "MemoryKindsPmemTmp", "MemoryKindsDefault",
              "MemkindPmemShm", "MemkindPmemTmp", "MemkindDefault"]
LABELS = {"NativeMemory": "NativeMemory (glibc)", "MemoryKindsPmemShm": "MemoryKinds pmem /dev/shm",
          "MemoryKindsPmemTmp": "MemoryKinds pmem /tmp", "MemoryKindsDefault": "MemoryKinds Default",
          "MemkindPmemShm": "memkind pmem /dev/shm", "MemkindPmemTmp": "memkind pmem /tmp",
          "MemkindDefault": "memkind MEMKIND_DEFAULT"}


def ns(text):
    text = text.strip().replace(",", "")
    if not text or text == "NA":
        return None
    value, unit = text.split()
    return float(value) * UNITS[unit]


def load(results_dir):
    """{(benchmark class, method, param): (median ns, min ns)} for one run."""
    rows = {}
    for path in glob.glob(os.path.join(results_dir, "*-report.csv")):
        bench = os.path.basename(path).split(".")[-1].replace("-report", "").replace(".csv", "")
        bench = os.path.basename(path)[:-len("-report.csv")].split(".")[-1]
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                param = row.get("Size") or row.get("Categories") or ""
                rows[(bench, row["Method"], param)] = (ns(row["Median"]), ns(row["Min"]))
    return rows


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, unit="ns"):
    if value is None:
        return "NA"
    if unit == "us":
        return f"{value / 1e3:,.1f}"
    return f"{value:,.1f}"


def ratio(a, b):
    return "NA" if a is None or b is None else f"{a / b:.2f}x"


def main(dirs):
    runs = [load(d) for d in dirs]

    def cell(bench, method, param, which=0):
        return med([r[(bench, method, param)][which] if (bench, method, param) in r else None for r in runs])

    print(f"Runs: {len(runs)}; each cell is the median over the runs of the per-run median.\n")

    print("### Alloc + Free pair (ns per pair)\n")
    print("| Size | " + " | ".join(LABELS[c] for c in CONTENDERS) + " |")
    print("|---:|" + "---:|" * len(CONTENDERS))
    for size in ["16", "64", "1024"]:
        print(f"| {size} B | " + " | ".join(fmt(cell("AllocFreePair", c, size)) for c in CONTENDERS) + " |")
    print("\n### Batch: 1000 × Alloc(64) then 1000 × Free, LIFO (ns per alloc+free)\n")
    print("| " + " | ".join(LABELS[c] for c in CONTENDERS) + " |")
    print("|" + "---:|" * len(CONTENDERS))
    print("| " + " | ".join(fmt(cell("BatchLifo64", c, "")) for c in CONTENDERS) + " |")

    print("\n### Ratios (of medians)\n")
    print("| Case | MK pmem shm / NativeMemory | MK pmem tmp / NativeMemory | memkind pmem shm / MK pmem shm | memkind pmem tmp / MK pmem tmp |")
    print("|---|---:|---:|---:|---:|")
    cases = [("AllocFreePair", s, f"pair {s} B") for s in ["16", "64", "1024"]] + [("BatchLifo64", "", "batch 64 B")]
    for bench, param, label in cases:
        nat = cell(bench, "NativeMemory", param)
        shm, tmp = cell(bench, "MemoryKindsPmemShm", param), cell(bench, "MemoryKindsPmemTmp", param)
        ks, kt = cell(bench, "MemkindPmemShm", param), cell(bench, "MemkindPmemTmp", param)
        print(f"| {label} | {ratio(shm, nat)} | {ratio(tmp, nat)} | {ratio(ks, shm)} | {ratio(kt, tmp)} |")

    print("\n### Kind create + Alloc(64) + Free + destroy (µs)\n")
    print("| Directory | MemoryKinds pmem | memkind pmem | memkind / MemoryKinds |")
    print("|---|---:|---:|---:|")
    for category, mk, memkind in [("/dev/shm", "MemoryKindsPmemShm", "MemkindPmemShm"), ("/tmp", "MemoryKindsPmemTmp", "MemkindPmemTmp")]:
        a, b = cell("KindLifecycle", mk, category), cell("KindLifecycle", memkind, category)
        print(f"| {category} | {fmt(a, 'us')} | {fmt(b, 'us')} | {ratio(b, a)} |")

    if len(runs) > 1:
        print("\n### Per run: medians (and best iterations) of the target ratios\n")
        print("| Run | pair 16/64/1024 B: MK pmem shm / NativeMemory | pair 16/64/1024 B: memkind pmem shm / MK pmem shm | create+destroy shm / tmp: MK µs | memkind / MK shm / tmp |")
        print("|---|---|---|---|---|")
        for i, r in enumerate(runs, 1):
            def g(bench, method, param, which=0):
                return r.get((bench, method, param), (None, None))[which]
            def pair(a, b, which):
                return "/".join(ratio(g("AllocFreePair", a, s, which), g("AllocFreePair", b, s, which)).rstrip("x") for s in ["16", "64", "1024"])
            lc = [(g("KindLifecycle", f"MemoryKindsPmem{d}", c), g("KindLifecycle", f"MemkindPmem{d}", c)) for d, c in [("Shm", "/dev/shm"), ("Tmp", "/tmp")]]
            print(f"| {i} | {pair('MemoryKindsPmemShm', 'NativeMemory', 0)} (min: {pair('MemoryKindsPmemShm', 'NativeMemory', 1)})"
                  f" | {pair('MemkindPmemShm', 'MemoryKindsPmemShm', 0)} (min: {pair('MemkindPmemShm', 'MemoryKindsPmemShm', 1)})"
                  f" | {fmt(lc[0][0], 'us')} / {fmt(lc[1][0], 'us')} | {ratio(lc[0][1], lc[0][0])} / {ratio(lc[1][1], lc[1][0])} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
