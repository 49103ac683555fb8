"""Bytes per pending task: n tasks blocked on one Event (tracemalloc delta)."""
import asyncio
import gc
import tracemalloc

from _common import main


async def measure(n):
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    event = asyncio.Event()
    tasks = [asyncio.create_task(event.wait()) for _ in range(n)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    event.set()
    await asyncio.gather(*tasks)
    return (after - before) / n


main(lambda n: asyncio.run(measure(n)))
