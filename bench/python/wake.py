"""Wake-up cost: n waiters on a held asyncio.Semaphore(1); the permit walks the queue. us/waiter."""
import asyncio
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
    t0 = time.perf_counter()
    sem.release()
    await asyncio.gather(*tasks)
    return (time.perf_counter() - t0) * 1e6 / n


main(lambda n: asyncio.run(walk(n)))
