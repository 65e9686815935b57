"""Hostile clients for bench.hostile: the worst bodies, stalled uploads and a latency probe.

Loopback only, and every loop is bounded by a count or a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
from time import monotonic, perf_counter

from bench.processes import LOOPBACK

HEAD = b"POST /users HTTP/1.1\r\nHost: bench\r\nContent-Length: %d\r\n\r\n"


def _fill(prefix: bytes, item: bytes, suffix: bytes, size: int, *, separator: bytes) -> bytes:
    """Prefix, then as many separated items as fit in size bytes, then suffix."""
    count = max(1, (size - len(prefix) - len(suffix)) // (len(item) + len(separator)))
    return prefix + separator.join([item] * count) + suffix


def _unknown_keys(size: int) -> bytes:
    members, total = [], 2
    number = 0
    while total < size - 16:
        member = b'"%d":0' % number
        members.append(member)
        total += len(member) + 1
        number += 1
    return b"{" + b",".join(members) + b"}"


def worst_bodies(size: int) -> dict[str, bytes]:
    """Body shapes that are each expensive in a different way, all of about size bytes."""
    keys = _unknown_keys(size)
    return {
        "unknown keys": keys,
        "duplicate key hiding a big object": (
            b'{"id":' + _unknown_keys(size - 30) + b',"id":1,"name":"x"}'
        ),
        "tiny objects": _fill(b"[", b"{}", b"]", size, separator=b","),
        "deep nesting": b"[" * (size // 2 - 1) + b"]" * (size // 2 - 1),
        "long name": b'{"id":1,"name":"' + b"x" * (size - 30) + b'"}',
    }


_ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def query_flood(line_limit: int = 8000) -> bytes:
    """A GET with as many distinct unknown parameters as fit in aiohttp's request line."""
    names: list[bytes] = []
    total = len(b"/users?")
    while total < line_limit:
        number, name = len(names), b""
        while True:
            number, digit = divmod(number, len(_ALPHABET))
            name += _ALPHABET[digit : digit + 1]
            if not number:
                break
        names.append(name)
        total += len(name) + 1
    return b"GET /users?" + b"&".join(names) + b" HTTP/1.1\r\nHost: bench\r\n\r\n"


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Status of one response, its body read and discarded."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def exchange(port: int, request: bytes, *, count: int) -> list[float]:
    """Send request count times over one keep-alive connection; the latency of each answer."""
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    latencies = []
    try:
        for _ in range(count):
            started = perf_counter()
            writer.write(request)
            await _read_response(reader)
            latencies.append(perf_counter() - started)
    finally:
        writer.close()
    return latencies


async def loop_requests(port: int, request: bytes, *, until: float) -> int:
    """Send request over fresh connections until the deadline; how many were answered."""
    answered = 0
    while monotonic() < until:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, ValueError):
            reader, writer = await asyncio.open_connection(LOOPBACK, port)
            try:
                writer.write(request)
                await _read_response(reader)
                answered += 1
            finally:
                writer.close()
    return answered


async def probe_healthz(port: int, *, until: float, interval: float = 0.02) -> list[float]:
    """GET /healthz on a keep-alive connection every interval; each latency in seconds."""
    request = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    latencies = []
    try:
        while monotonic() < until:
            started = perf_counter()
            writer.write(request)
            await _read_response(reader)
            latencies.append(perf_counter() - started)
            await asyncio.sleep(interval)
    finally:
        writer.close()
    return latencies


class StalledUploads:
    """Connections that each send all but the last byte of a maximum-size body, then stall."""

    def __init__(self, port: int, *, count: int, body_size: int) -> None:
        self.port = port
        self.count = count
        self.body_size = body_size
        self.refused = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._watchers: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        """Start them all, a few at a time, and watch for early answers (503s)."""
        request = HEAD % self.body_size + b" " * (self.body_size - 1)
        for _ in range(self.count):
            reader, writer = await asyncio.open_connection(LOOPBACK, self.port)
            writer.write(request)
            self._writers.append(writer)
            self._watchers.append(asyncio.create_task(self._watch(reader)))
        await asyncio.gather(*(writer.drain() for writer in self._writers))

    async def _watch(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, ValueError):
            if await _read_response(reader) == 503:  # noqa: PLR2004
                self.refused += 1

    def close(self) -> None:
        """Drop every connection (the service sees client disconnects)."""
        for watcher in self._watchers:
            watcher.cancel()
        for writer in self._writers:
            writer.close()
