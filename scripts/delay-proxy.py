"""A TCP proxy that delays every chunk a client sends by a fixed time, to make
round trips visible in benchmarks. Loopback only; stops when killed.

usage: python3 delay-proxy.py UPSTREAM_PORT DELAY_MS
Prints its own URL (http://127.0.0.1:PORT) on the first line of stdout.
"""
import asyncio
import sys

UPSTREAM = int(sys.argv[1])
DELAY = int(sys.argv[2]) / 1000.0


async def pipe(reader, writer, delay):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if delay:
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer):
    try:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", UPSTREAM)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(
        pipe(client_reader, up_writer, DELAY),
        pipe(up_reader, client_writer, 0),
    )


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
