"""Executors through loop.run_in_executor on 2 workers: python3 executors.py n runs warmup thread|process tiny|large.
tiny: n jobs of sum of squares of 100 numbers; large: 8 jobs of n numbers each."""
import asyncio
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from _common import main


def sum_squares(start, count):
    return sum(x * x for x in range(start, start + count))


POOLS = {}


def pool_for(kind):
    if kind not in POOLS:
        POOLS[kind] = (ThreadPoolExecutor if kind == "thread" else ProcessPoolExecutor)(max_workers=2)
    return POOLS[kind]


async def jobs(n, kind, shape):
    loop = asyncio.get_running_loop()
    pool = pool_for(kind)
    count, jobs = (100, n) if shape == "tiny" else (n, 8)
    futures = [loop.run_in_executor(pool, sum_squares, (i % 1000) * count, count) for i in range(jobs)]
    results = await asyncio.gather(*futures)
    assert len(results) == jobs


if __name__ == "__main__":
    main(lambda n, kind, shape: asyncio.run(jobs(n, kind, shape)))
    for pool in POOLS.values():
        pool.shutdown()
