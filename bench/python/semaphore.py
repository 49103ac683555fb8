"""n jobs (each yields once) through asyncio.Semaphore(10), gathered."""
import asyncio

from _common import main


async def jobs(n):
    sem = asyncio.Semaphore(10)

    async def job():
        async with sem:
            await asyncio.sleep(0)

    await asyncio.gather(*(job() for _ in range(n)))


main(lambda n: asyncio.run(jobs(n)))
