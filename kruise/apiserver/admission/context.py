"""Per-request state the REST layer shares with admission without threading it through every call.

The HTTP layer opens a `request_scope` around a write; webhooks' warnings land in the scope's list
(besides the AdmissionRequest's own), and `warning_header` renders each as kube's Warning header.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

Obj = dict[str, Any]

_warnings: ContextVar[list[str] | None] = ContextVar("admission_warnings", default=None)
_user: ContextVar[Obj | None] = ContextVar("admission_user", default=None)

ANONYMOUS: Obj = {"username": "system:anonymous", "groups": ["system:unauthenticated"]}


@contextmanager
def request_scope(user_info: Obj | None = None) -> Iterator[list[str]]:
    """Collect admission warnings for one API request; `user_info` is its authentication/v1 UserInfo."""
    sink: list[str] = []
    warnings_token = _warnings.set(sink)
    user_token = _user.set(user_info)
    try:
        yield sink
    finally:
        _warnings.reset(warnings_token)
        _user.reset(user_token)


def set_user(user_info: Obj) -> None:
    """Record who is asking, once authentication knows (inside a `request_scope`)."""
    _user.set(user_info)


def scope_warnings() -> list[str] | None:
    return _warnings.get()


def scope_user() -> Obj | None:
    return _user.get()


def warning_header(text: str) -> str:
    """`299 - "text"`, the value kube-apiserver sends in a Warning header (text quoted as Go's %q)."""
    return '299 - "' + _go_escape(text) + '"'


def unique_warnings(warnings: list[str]) -> list[str]:
    """kube drops repeated warning texts within one response."""
    return list(dict.fromkeys(w for w in warnings if w))


def _go_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif not ch.isprintable():
            out.append(_escape_code(ord(ch)))
        else:
            out.append(ch)
    return "".join(out)


def _escape_code(code: int) -> str:
    if code < 0x80:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
