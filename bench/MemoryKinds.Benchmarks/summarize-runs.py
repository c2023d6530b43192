#!/usr/bin/env python3
"""Merge several runs of bench/run-micro.sh into the micro tables of docs/benchmarks.md.

Usage: bench/MemoryKinds.Benchmarks/summarize-runs.py RESULTS_DIR [RESULTS_DIR ...]
Each RESULTS_DIR is a BenchmarkDotNet.Artifacts/results folder of one run (its *-report.csv files). Per workload (class +
parameters) and contender: the median over the runs of BenchmarkDotNet's per-run median (ns per operation), the smallest
per-run minimum, and time ratios of those medians to NativeMemory, memkind pmem (the same directory's for the MemoryKinds
pmem rows, /dev/shm's for the rest) and mimalloc (< 1 = faster). Then, per run, the ratios of MemoryKinds pmem /dev/shm,
so the spread between runs is visible. (bench/summarize.py is the older script for the 7-contender suite.)
"""
import csv
import glob
import os
import re
import statistics
import sys

UNITS = {"ns": 1.0, "us": 1e3, "\u03bcs": 1e3, "\u00b5s": 1e3, "ms": 1e6, "s": 1e9}
CONTENDERS = [("NativeMemory", "NativeMemory (glibc)"), ("MemoryKindsPmemShm", "MemoryKinds pmem /dev/shm"),
              ("MemoryKindsPmemTmp", "MemoryKinds pmem /tmp"), ("MemoryKindsDefault", "MemoryKinds Default"),
              ("MemkindPmemShm", "memkind pmem /dev/shm"), ("MemkindPmemTmp", "memkind pmem /tmp"),
              ("MemkindDefault", "memkind MEMKIND_DEFAULT"), ("Mimalloc", "mimalloc")]
WORKLOADS = ["AllocFreePair", "Batch64", "RandomSizeMix", "CallocPair", "ReallocGrowth", "AlignedPair"]


def ns(text):
    text = text.strip().replace(",", "")
    if not text or text == "NA":
        return None
    value, unit = text.split()
    return float(value) * UNITS[unit]


def load(results_dir):
    """{(class, params): {method: (median ns, min ns)}} of one run."""
    rows = {}
    for path in glob.glob(os.path.join(results_dir, "*-report.csv")):
        bench = os.path.basename(path)[:-len("-report.csv")].split(".")[-1]
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            names = reader.fieldnames or []
            params = names[names.index("WarmupCount") + 1:names.index("Mean")]
            for row in reader:
                key = (bench, ", ".join(f"{p}={row[p]}" for p in params))
                rows.setdefault(key, {})[row["Method"]] = (ns(row["Median"]), ns(row["Min"]))
    return rows


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return "NA" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def fmt(value):
    return "NA" if value is None else f"{value:,.1f}"


def natural(text):
    """Sort key: numbers by value (Size=64 before Size=1024), Lifo before Fifo as BenchmarkDotNet lists them."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, {"Lifo": "0", "Fifo": "1"}.get(t, t)) for t in re.split(r"(\d+|Lifo|Fifo)", text) if t]


def memkind_of(method):
    return "MemkindPmemTmp" if method == "MemoryKindsPmemTmp" else "MemkindPmemShm"


def main(dirs):
    runs = [load(d) for d in dirs]
    keys = sorted({k for r in runs for k in r}, key=lambda k: (WORKLOADS.index(k[0]) if k[0] in WORKLOADS else 99, natural(k[1])))
    print(f"Runs: {len(runs)}; cells are medians over the runs of each run's median (ns per operation).\n")
    for key in keys:
        if key[0] not in WORKLOADS:
            continue
        med = {m: median([r.get(key, {}).get(m, (None, None))[0] for r in runs]) for m, _ in CONTENDERS}
        low = {m: min([v for v in (r.get(key, {}).get(m, (None, None))[1] for r in runs) if v is not None], default=None)
               for m, _ in CONTENDERS}
        print(f"### {key[0]} {key[1]}".rstrip() + "\n")
        print("| Contender | Median ns | Min ns | / NativeMemory | / memkind pmem | / mimalloc |")
        print("|---|---:|---:|---:|---:|---:|")
        for method, label in CONTENDERS:
            print(f"| {label} | {fmt(med[method])} | {fmt(low[method])} | {ratio(med[method], med['NativeMemory'])} | "
                  f"{ratio(med[method], med[memkind_of(method)])} | {ratio(med[method], med['Mimalloc'])} |")
        per_run = []
        for r in runs:
            cell = r.get(key, {})
            mk = cell.get("MemoryKindsPmemShm", (None,))[0]
            per_run.append(f"{ratio(mk, cell.get('NativeMemory', (None,))[0])} / {ratio(mk, cell.get('Mimalloc', (None,))[0])} / "
                           f"{ratio(cell.get('MemkindPmemShm', (None,))[0], mk)}")
        print("\nPer run, MemoryKinds pmem /dev/shm's time over NativeMemory's / over mimalloc's, and memkind pmem /dev/shm's "
              "over its: " + "; ".join(f"run {i + 1}: {text}" for i, text in enumerate(per_run)) + "\n")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
