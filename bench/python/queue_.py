"""asyncio.Queue(100): 1 producer, 4 consumers, n items, task_done/join.
(Named queue_.py so that it does not shadow the standard library's queue module.)"""
import asyncio

from _common import main


async def consumer(queue, totals):
    while True:
        item = await queue.get()
        totals[0] += item
        queue.task_done()


async def pipeline(n):
    queue = asyncio.Queue(100)
    totals = [0]
    consumers = [asyncio.create_task(consumer(queue, totals)) for _ in range(4)]
    for i in range(n):
        await queue.put(i)
    await queue.join()
    for c in consumers:
        c.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    assert totals[0] == n * (n - 1) // 2


main(lambda n: asyncio.run(pipeline(n)))
