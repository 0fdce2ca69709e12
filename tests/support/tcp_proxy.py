"""A TCP proxy on 127.0.0.1 that a test can cut, freeze or make refuse: a network that fails on cue.

It runs on the test's own event loop. Each accepted connection is forwarded to the target as is.
"""

from __future__ import annotations

import asyncio
import contextlib


class _Link:
    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream = upstream
        self.frozen = False  # answers from the target are swallowed: a connection gone silent
        self.events = False  # it carried a request for the live stream

    def abort(self) -> None:
        for writer in (self.client, self.upstream):
            writer.transport.abort()


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.refusing = False  # new connections are closed at once, without an answer
        self.links: set[_Link] = set()
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def open_event_streams(self) -> int:
        return sum(1 for link in self.links if link.events)

    def cut(self) -> None:
        """Reset every open connection (both sides)."""
        for link in list(self.links):
            link.abort()

    def freeze(self) -> None:
        """Stop passing on what the target sends over the connections open now; they stay open."""
        for link in self.links:
            link.frozen = True

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.cut()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.refusing:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        link = _Link(writer, up_writer)
        self.links.add(link)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            pumps = [
                asyncio.ensure_future(self._pump(reader, up_writer, link, upstream=True)),
                asyncio.ensure_future(self._pump(up_reader, writer, link, upstream=False)),
            ]
            try:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
        finally:
            link.abort()
            self.links.discard(link)
            self._tasks.discard(task)

    @staticmethod
    async def _pump(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: _Link, *, upstream: bool
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if upstream and b"GET /api/v1/events" in data:
                    link.events = True
                if not upstream and link.frozen:
                    continue
                writer.write(data)
                await writer.drain()
