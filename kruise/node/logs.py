"""Container log files in the CRI format ("<RFC3339Nano> <stream> <F|P> <text>"), read and followed.

The runtime appends records; readers strip the prefix unless timestamps are asked for, exactly
what `kubectl logs [--timestamps]` shows on a real node.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

_FOLLOW_POLL = 0.2  # seconds between looks at a followed file


def cri_timestamp(when: float | None = None) -> str:
    dt = datetime.fromtimestamp(when if when is not None else datetime.now(UTC).timestamp(), UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}000Z"


def encode_record(stream: str, text: bytes, *, partial: bool = False, when: float | None = None) -> bytes:
    """One CRI record; `text` carries no newline."""
    return f"{cri_timestamp(when)} {stream} {'P' if partial else 'F'} ".encode() + text + b"\n"


def decode_record(line: bytes, timestamps: bool) -> bytes:
    """The user-visible bytes of one record: its text plus a newline unless partial."""
    parts = line.rstrip(b"\n").split(b" ", 3)
    if len(parts) < 3:
        return line  # not ours: pass through untouched
    ts, _stream, tag = parts[0], parts[1], parts[2]
    text = parts[3] if len(parts) == 4 else b""
    out = text if tag == b"P" else text + b"\n"
    return ts + b" " + out if timestamps else out


def read_log(path: Path, *, tail_lines: int | None = None, timestamps: bool = False) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return b""
    lines = data.splitlines(keepends=True)
    if lines and not lines[-1].endswith(b"\n"):
        lines.pop()  # a record still being written
    if tail_lines is not None:
        lines = lines[-tail_lines:] if tail_lines > 0 else []
    return b"".join(decode_record(line, timestamps) for line in lines)


async def follow_log(
    path: Path,
    running: Callable[[], bool],
    *,
    tail_lines: int | None = None,
    timestamps: bool = False,
) -> AsyncIterator[bytes]:
    """The log so far (or its tail), then new records as they are written, until `running()` is
    false and the file is drained."""
    first = read_log(path, tail_lines=tail_lines, timestamps=timestamps)
    offset = _complete_length(path)
    if first:
        yield first
    pending = b""
    while True:
        alive = running()
        try:
            with path.open("rb") as f:
                f.seek(offset)
                chunk = f.read()
        except FileNotFoundError:
            chunk = b""
        if chunk:
            offset += len(chunk)
            pending += chunk
            *done, pending = pending.split(b"\n")
            if done:
                yield b"".join(decode_record(line + b"\n", timestamps) for line in done)
        elif not alive:
            return
        await asyncio.sleep(_FOLLOW_POLL)


def _complete_length(path: Path) -> int:
    """Bytes up to the last complete record (what read_log returned)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    cut = data.rfind(b"\n")
    return cut + 1 if cut >= 0 else 0


class LogWriter:
    """Appends a container's stdout/stderr to its log file as CRI records, line by line."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, stream: str, text: bytes, partial: bool = False) -> None:
        os.write(self._fd, encode_record(stream, text, partial=partial))

    def write_lines(self, stream: str, lines: list[bytes]) -> None:
        """Several complete records at one timestamp, in one write."""
        when = time.time()
        os.write(self._fd, b"".join(encode_record(stream, line, when=when) for line in lines))

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


async def pump(reader: asyncio.StreamReader, stream: str, writer: LogWriter) -> None:
    """Copy a pipe into the log until EOF; over-long lines are split into partial records."""
    buf = b""
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            writer.write(stream, line)
        while len(buf) > 16384:
            writer.write(stream, buf[:16384], partial=True)
            buf = buf[16384:]
    if buf:
        writer.write(stream, buf)
