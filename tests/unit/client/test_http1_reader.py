"""The HTTP/1.1 response reader of kruise.client.http1: framing, however the bytes are split."""

from __future__ import annotations

import itertools
import random

import pytest

from kruise.client.http1 import ProtocolError, ResponseReader


def read(raw: bytes, splits: list[int] | None = None, head_only: bool = False) -> ResponseReader:
    """Feed raw in pieces cut at `splits`; assert the reader completes exactly at the last byte."""
    reader = ResponseReader(head_only)
    cuts = [0, *sorted(splits or []), len(raw)]
    for a, b in itertools.pairwise(cuts):
        done = reader.feed(raw[a:b])
        assert done == (b == len(raw)), f"completed={done} after {b} of {len(raw)} bytes"
    return reader


def random_splits(raw: bytes, rng: random.Random) -> list[int]:
    return rng.sample(range(1, len(raw)), k=min(len(raw) - 1, rng.randint(1, 12)))


LENGTH = b'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"kind":"X"}\n'
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
    b'5;ext=1\r\n{"a":\r\n'
    b"a\r\n1234567890\r\n"
    b"3\r\n}\r\n\r\n"
    b"0\r\nX-Trailer: t\r\n\r\n"
)


def test_a_content_length_body_is_read_exactly_whatever_the_split() -> None:
    rng = random.Random(7)
    for _ in range(200):
        reader = read(LENGTH, random_splits(LENGTH, rng))
        resp = reader.response
        assert resp is not None
        assert (resp.status, resp.body, resp.content_type) == (201, b'{"kind":"X"}\n', "application/json")
        assert reader.keep_alive


def test_a_chunked_body_is_joined_with_extensions_and_trailers_ignored() -> None:
    rng = random.Random(11)
    for _ in range(300):
        reader = read(CHUNKED, random_splits(CHUNKED, rng))
        assert reader.response is not None
        assert reader.response.body == b'{"a":1234567890}\r\n'
        assert reader.keep_alive


def test_a_last_chunk_without_trailers_completes() -> None:
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
    reader = read(raw, [len(raw) - 2])
    assert reader.response is not None and reader.response.body == b"ok"


def test_interim_100_continue_is_skipped() -> None:
    raw = b"HTTP/1.1 100 Continue\r\n\r\n" + LENGTH
    reader = read(raw, [10, 30])
    assert reader.response is not None and reader.response.status == 201


def test_no_length_means_the_body_ends_with_the_connection() -> None:
    reader = ResponseReader()
    assert not reader.feed(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello ")
    assert not reader.feed(b"world")
    assert reader.end()
    assert reader.response is not None and reader.response.body == b"hello world"
    assert not reader.keep_alive


def test_a_connection_closed_mid_head_or_mid_body_does_not_complete() -> None:
    reader = ResponseReader()
    reader.feed(b"HTTP/1.1 200 OK\r\nContent-Len")
    assert not reader.end()
    reader = ResponseReader()
    reader.feed(LENGTH[:-3])
    assert not reader.end()


def test_keep_alive_follows_version_and_connection_header() -> None:
    assert not read(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").keep_alive
    assert not read(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive
    assert read(b"HTTP/1.1 204 No Content\r\n\r\n").keep_alive


def test_head_and_no_content_answers_have_no_body() -> None:
    reader = read(b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n", head_only=True)
    assert reader.response is not None and reader.response.body == b""
    reader = read(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 999\r\n\r\n")
    assert reader.response is not None and reader.response.status == 304


def test_repeated_headers_are_joined_and_names_lowercased() -> None:
    reader = read(
        b"HTTP/1.1 200 OK\r\nWarning: a\r\nwarning: b\r\nRetry-After: 3\r\nContent-Length: 0\r\n\r\n"
    )
    assert reader.response is not None
    assert reader.response.headers["warning"] == "a, b"
    assert reader.response.headers["retry-after"] == "3"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n", "does not end with CRLF"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab", "more than Content-Length"),
    ],
)
def test_a_malformed_answer_is_a_protocol_error_naming_the_fault(raw: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        ResponseReader().feed(raw)


def test_an_endless_head_is_refused() -> None:
    reader = ResponseReader()
    reader.feed(b"HTTP/1.1 200 OK\r\n")
    with pytest.raises(ProtocolError, match="larger than 64 KiB"):
        reader.feed(b"X-Filler: " + b"a" * 70_000)
