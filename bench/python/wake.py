"""Wake-up cost: n waiters on a held asyncio.Semaphore(1); the permit walks the queue. us/waiter.

As the JavaScript variants: the walk repeats until 50,000 waiters have been woken, with a full
collection before each walk."""
import asyncio
import gc
import time

from _common import main


async def walk(n):
    sem = asyncio.Semaphore(1)
    await sem.acquire()

    async def waiter():
        async with sem:
            pass

    tasks = [asyncio.create_task(waiter()) for _ in range(n)]
    for _ in range(3):
        await asyncio.sleep(0)
    gc.collect()
    t0 = time.perf_counter()
    sem.release()
    await asyncio.gather(*tasks)
    return time.perf_counter() - t0


def measure(n):
    rounds = max(1, round(50_000 / n))
    seconds = sum(asyncio.run(walk(n)) for _ in range(rounds))
    return seconds * 1e6 / (rounds * n)


main(measure)
