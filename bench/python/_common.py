"""Shared driver for the CPython variants: python3 X.py <n> <runs> <warmup-fraction> [args...].

Runs `bench(n, *args)` once at the warm-up size, then `runs` times with gc.collect() before each,
and prints {"values": [...]} on stdout. `bench` returns its own measurement or None, in which
case the time of the call (in seconds) is used: CPU time of the process (all its threads), as the
JavaScript variants measure, or wall time when BENCH_CLOCK=wall (executors: work in other processes).
"""
import gc
import json
import os
import sys
import time


def main(bench):
    n, runs, warmup = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    clock = time.perf_counter if os.environ.get("BENCH_CLOCK") == "wall" else time.process_time
    args = sys.argv[4:]
    try:
        if warmup > 0:
            bench(max(1, int(n * warmup)), *args)
        values = []
        for _ in range(runs):
            gc.collect()
            t0 = clock()
            measured = bench(n, *args)
            elapsed = clock() - t0
            values.append(measured if measured is not None else elapsed)
        print(json.dumps({"values": values}))
    except Exception as error:  # reported as the variant's error, not a crash of the suite
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
