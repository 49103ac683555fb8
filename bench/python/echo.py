"""Echo round trips over loopback with asyncio streams: `clients` clients, n lines in total,
each written then read back (readline) before the next; the server runs in the same loop."""
import asyncio
import sys

from _common import main

LINE = b"the quick brown fox jumps over the lazy dog 0123456789\n"


async def handle(reader, writer):
    async for line in reader:
        writer.write(line)
    writer.close()


async def client(port, per):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(per):
        writer.write(LINE)
        line = await reader.readline()
        assert len(line) == len(LINE)
    writer.close()
    await writer.wait_closed()


async def echo(n, clients):
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    per = max(1, round(n / clients))
    await asyncio.gather(*(client(port, per) for _ in range(clients)))
    server.close()
    await server.wait_closed()


main(lambda n, clients: asyncio.run(echo(n, int(clients))))
