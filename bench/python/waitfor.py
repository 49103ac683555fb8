"""n sequential wait_for(fast(), 10), fast resolves after one yield."""
import asyncio

from _common import main


async def fast():
    await asyncio.sleep(0)
    return 1


async def loop(n):
    total = 0
    for _ in range(n):
        total += await asyncio.wait_for(fast(), 10)
    assert total == n


main(lambda n: asyncio.run(loop(n)))
