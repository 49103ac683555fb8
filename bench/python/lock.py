"""100 tasks x n/100 increments under an asyncio.Lock, with a sleep(0) inside."""
import asyncio

from _common import main


async def counter(n):
    lock = asyncio.Lock()
    state = {"count": 0}
    each = n // 100

    async def worker():
        for _ in range(each):
            async with lock:
                value = state["count"]
                await asyncio.sleep(0)
                state["count"] = value + 1

    await asyncio.gather(*(worker() for _ in range(100)))
    assert state["count"] == n


main(lambda n: asyncio.run(counter(n)))
