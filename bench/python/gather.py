"""spawn + gather n tasks, each sleep(0) once."""
import asyncio

from _common import main


async def one(i):
    await asyncio.sleep(0)
    return i


async def spawn_gather(n):
    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    await asyncio.gather(*tasks)


main(lambda n: asyncio.run(spawn_gather(n)))
