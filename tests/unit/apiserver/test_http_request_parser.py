"""The API server's HTTP/1.1 request parser: framing, limits and decoding, however bytes are split."""

from __future__ import annotations

import random

import pytest

from kruise.apiserver.httpserver import BodyTooLarge, Request, RequestError, RequestParser

POST = (
    b"POST /api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply&dryRun=All HTTP/1.1\r\n"
    b"Host: 127.0.0.1:6443\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n"
    b'{"kind":"Pod"}\r\n'
)
GET = b"GET /api/v1/pods?labelSelector=app%3Dweb%2Ctier+in+%28a%29&watch=&limit=5 HTTP/1.1\r\nHost: x\r\n\r\n"
CHUNKED = (
    b"PUT /api/v1/namespaces/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    b'4;ext=1\r\n{"a"\r\n'
    b"3\r\n:1}\r\n"
    b"0\r\nX-Trailer: t\r\n\r\n"
)


def feed_split(raw: bytes, rng: random.Random, parser: RequestParser | None = None) -> list[Request]:
    parser = parser or RequestParser(1024)
    cuts = sorted(rng.sample(range(1, len(raw)), k=min(len(raw) - 1, rng.randint(1, 10))))
    out: list[Request] = []
    for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True):
        out += parser.feed(raw[a:b])
    return out


def test_a_request_with_a_body_is_read_whole_whatever_the_split() -> None:
    rng = random.Random(3)
    for _ in range(200):
        (req,) = feed_split(POST, rng)
        assert (req.method, req.path, req.version) == ("POST", "/api/v1/namespaces/default/pods", "HTTP/1.1")
        assert req.body == b'{"kind":"Pod"}\r\n'
        assert req.headers["content-type"] == "application/json"
        assert req.query["fieldManager"] == "kubectl-client-side-apply"


def test_pipelined_requests_come_out_in_order() -> None:
    rng = random.Random(5)
    for _ in range(100):
        reqs = feed_split(GET + POST + b"\r\n" + CHUNKED + GET, rng)
        assert [r.method for r in reqs] == ["GET", "POST", "PUT", "GET"]
        assert reqs[2].body == b'{"a":1}'


def test_a_chunked_body_is_joined_with_extensions_and_trailers_ignored() -> None:
    rng = random.Random(9)
    for _ in range(200):
        (req,) = feed_split(CHUNKED, rng)
        assert req.body == b'{"a":1}'


def test_query_and_path_are_decoded_as_kubernetes_clients_expect() -> None:
    (req,) = RequestParser(0).feed(GET)
    assert req.query["labelSelector"] == "app=web,tier in (a)"
    assert req.query["watch"] == ""
    assert req.query_string.startswith("labelSelector=app%3Dweb")
    (req,) = RequestParser(0).feed(
        b"DELETE /api/v1/namespaces/a%20b/pods?dryRun=All&dryRun=All HTTP/1.1\r\n\r\n"
    )
    assert req.path == "/api/v1/namespaces/a b/pods"
    assert req.query.getall("dryRun") == ["All", "All"]
    (req,) = RequestParser(0).feed(b"GET http://10.0.0.1:6443/version?x=1 HTTP/1.1\r\n\r\n")
    assert (req.path, req.query["x"]) == ("/version", "1")


def test_keep_alive_follows_the_version_and_connection_header() -> None:
    def alive(head: bytes) -> bool:
        return RequestParser(0).feed(head + b"\r\n")[0].keep_alive

    assert alive(b"GET / HTTP/1.1\r\n")
    assert not alive(b"GET / HTTP/1.1\r\nConnection: close\r\n")
    assert not alive(b"GET / HTTP/1.0\r\n")
    assert alive(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n")


def test_a_client_waiting_for_100_continue_is_told_once_the_head_is_read() -> None:
    calls: list[int] = []
    parser = RequestParser(1024, on_continue=lambda: calls.append(1))
    head, body = POST.split(b"\r\n\r\n", 1)
    head = head.replace(b"Host:", b"Expect: 100-continue\r\nHost:")
    assert parser.feed(head + b"\r\n\r\n") == []
    assert calls == [1]
    (req,) = parser.feed(body)
    assert req.body == body and calls == [1]


def test_bodies_over_the_limit_are_refused_before_they_are_read() -> None:
    parser = RequestParser(10)
    with pytest.raises(BodyTooLarge) as exc:
        parser.feed(POST[: POST.index(b"\r\n\r\n") + 4])  # the head alone says 16 bytes
    assert exc.value.status == 413
    with pytest.raises(BodyTooLarge):
        RequestParser(5).feed(CHUNKED)  # chunked: refused once the chunks pass the limit


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"GET /\r\n\r\n", 400, "malformed request line"),
        (b"GET / HTTP/2.0\r\n\r\n", 400, "malformed request line"),
        (b"GET / HTTP/1.1\r\nno-colon\r\n\r\n", 400, "malformed header line"),
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "malformed header line"),
        (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "bad Content-Length"),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 400, "bad chunk size"),
    ],
)
def test_unreadable_requests_name_the_fault(raw: bytes, status: int, message: str) -> None:
    with pytest.raises(RequestError, match=message) as exc:
        RequestParser(1024).feed(raw)
    assert exc.value.status == status


def test_an_endless_head_is_refused_with_431() -> None:
    parser = RequestParser(0)
    parser.feed(b"GET / HTTP/1.1\r\n")
    with pytest.raises(RequestError) as exc:
        parser.feed(b"X-Filler: " + b"a" * (1024 * 1024 + 1))
    assert exc.value.status == 431
