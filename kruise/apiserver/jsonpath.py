"""The part of Kubernetes JSONPath that CRD additionalPrinterColumns use, plus Table cell formatting.

Supported: `.a.b`, `['key.with.dots']`, `["k"]`, `[0]`, `[-1]`, `[1:3]`, `[*]`, `.*`, `..name`
(recursive descent), filters `[?(@.type=="Ready")]` with ==, !=, <, <=, >, >= and bare existence
`[?(@.x)]`. An expression may be wrapped in `{...}` as kubectl templates are. Missing keys yield
no result (the CRD table convertor allows missing keys).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any

import orjson

from kruise.apiserver import tables

__all__ = [
    "JSONPathError",
    "compile_path",
    "evaluate",
    "human_duration",
    "printer_cell",
    "validate_column_path",
]


class JSONPathError(ValueError):
    """A JSONPath expression that does not parse."""


@dataclass(frozen=True)
class _Field:
    name: str  # "*" is the wildcard


@dataclass(frozen=True)
class _Recursive:
    name: str  # "*" for every descendant


@dataclass(frozen=True)
class _Index:
    index: int


@dataclass(frozen=True)
class _Slice:
    start: int | None
    stop: int | None
    step: int | None


@dataclass(frozen=True)
class _Wildcard:
    pass


@dataclass(frozen=True)
class _Filter:
    left: tuple  # path steps relative to @ (or a literal via _Literal)
    op: str  # "" for existence
    right: Any  # _Literal or tuple of steps


@dataclass(frozen=True)
class _Literal:
    value: Any


@dataclass(frozen=True)
class CompiledPath:
    """A parsed expression; `find(obj)` returns every result in document order."""

    expr: str
    steps: tuple

    def find(self, obj: Any) -> list[Any]:
        return _walk([obj], self.steps)


_IDENT = re.compile(r"[A-Za-z0-9_\-/$]+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def error(self, msg: str) -> JSONPathError:
        return JSONPathError(msg)

    def peek(self, n: int = 0) -> str:
        j = self.i + n
        return self.s[j] if j < len(self.s) else ""

    def skip_ws(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def parse_steps(self, stop: str = "") -> tuple:
        steps: list = []
        while self.i < len(self.s):
            c = self.peek()
            if stop and c in stop:
                break
            if c == ".":
                if self.peek(1) == ".":
                    self.i += 2
                    name = self.ident_or_star()
                    steps.append(_Recursive(name))
                    continue
                self.i += 1
                if self.peek() == "[" or self.i >= len(self.s) or (stop and self.peek() in stop):
                    continue  # "." alone is the current node; ".[0]" is allowed
                steps.append(_Field(self.ident_or_star()))
            elif c == "[":
                steps.append(self.bracket())
            elif c in (" ", "\t") and stop:
                break
            else:
                raise self.error(f"unrecognized character in action: {_go_rune(c)}")
        return tuple(steps)

    def ident_or_star(self) -> str:
        if self.peek() == "*":
            self.i += 1
            return "*"
        name: list[str] = []
        while self.i < len(self.s):
            c = self.peek()
            if c == "\\" and self.peek(1) == ".":
                name.append(".")
                self.i += 2
                continue
            m = _IDENT.match(self.s, self.i)
            if not m:
                break
            name.append(m.group(0))
            self.i = m.end()
        if not name:
            c = self.peek()
            raise self.error(
                f"unrecognized character in action: {_go_rune(c)}" if c else "unexpected end of path"
            )
        return "".join(name)

    def bracket(self) -> Any:
        start = self.i
        self.i += 1
        self.skip_ws()
        c = self.peek()
        if c in ("'", '"'):
            key = self.quoted()
            self.skip_ws()
            self.expect("]", start)
            return _Field(key)
        if c == "*":
            self.i += 1
            self.skip_ws()
            self.expect("]", start)
            return _Wildcard()
        if c == "?":
            self.i += 1
            f = self.filter()
            self.skip_ws()
            self.expect("]", start)
            return f
        end = self.s.find("]", self.i)
        if end < 0:
            raise self.error("unterminated array")
        body = self.s[self.i : end].strip()
        self.i = end + 1
        if ":" in body:
            parts = body.split(":")
            if len(parts) > 3:
                raise self.error(f"invalid array index {body}")
            try:
                nums = [int(p) if p.strip() else None for p in parts] + [None] * (3 - len(parts))
            except ValueError:
                raise self.error(f"invalid array index {body}") from None
            return _Slice(nums[0], nums[1], nums[2])
        if not re.fullmatch(r"-?\d+", body):
            raise self.error(f"invalid array index {body}")
        return _Index(int(body))

    def expect(self, ch: str, start: int) -> None:
        if self.peek() != ch:
            raise self.error("unterminated array" if ch == "]" else f"expected {ch!r} at {self.s[start:]!r}")
        self.i += 1

    def quoted(self) -> str:
        q = self.peek()
        self.i += 1
        out: list[str] = []
        while self.i < len(self.s):
            c = self.peek()
            if c == "\\" and self.peek(1):
                out.append(self.peek(1))
                self.i += 2
                continue
            if c == q:
                self.i += 1
                return "".join(out)
            out.append(c)
            self.i += 1
        raise self.error("unterminated quoted string")

    def filter(self) -> _Filter:
        self.skip_ws()
        if self.peek() != "(":
            raise self.error("unterminated filter")
        self.i += 1
        self.skip_ws()
        left = self.operand()
        self.skip_ws()
        op = ""
        for cand in ("==", "!=", "<=", ">=", "<", ">"):
            if self.s.startswith(cand, self.i):
                op = cand
                self.i += len(cand)
                break
        right: Any = None
        if op:
            self.skip_ws()
            right = self.operand()
            self.skip_ws()
        if self.peek() != ")":
            raise self.error("unterminated filter")
        self.i += 1
        return _Filter(left, op, right)

    def operand(self) -> Any:
        c = self.peek()
        if c == "@":
            self.i += 1
            return self.parse_steps(stop=" \t=!<>)")
        if c in ("'", '"'):
            return _Literal(self.quoted())
        m = _NUMBER.match(self.s, self.i)
        if m:
            self.i = m.end()
            text = m.group(0)
            return _Literal(float(text) if any(ch in text for ch in ".eE") else int(text))
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.s.startswith(word, self.i):
                self.i += len(word)
                return _Literal(val)
        raise self.error(f"unrecognized filter operand at {self.s[self.i :]!r}")


def _go_rune(c: str) -> str:
    # Go's %#U: U+0021 '!'
    return f"U+{ord(c):04X} '{c}'" if c else "U+0000"


def compile_path(expr: str) -> CompiledPath:
    """Parse an expression (optionally wrapped in `{}`); raises JSONPathError for bad syntax."""
    text = expr.strip()
    if text.startswith("{"):
        if not text.endswith("}"):
            raise JSONPathError("unclosed action")
        text = text[1:-1].strip()
    elif text.endswith("}"):
        raise JSONPathError(f"unexpected right delimiter in {expr!r}")
    if text.startswith("$"):
        text = text[1:]
    if not text:
        raise JSONPathError("empty path")
    if text[0] not in ".[":
        # kubectl accepts "spec.x" inside braces as a field path; so do we
        text = "." + text
    p = _Parser(text)
    steps = p.parse_steps()
    return CompiledPath(expr, steps)


def evaluate(expr: str | CompiledPath, obj: Any) -> list[Any]:
    """Every value `expr` selects in `obj`, in document order (missing keys: no result)."""
    path = compile_path(expr) if isinstance(expr, str) else expr
    return path.find(obj)


def _walk(nodes: list[Any], steps: tuple) -> list[Any]:
    for step in steps:
        out: list[Any] = []
        for n in nodes:
            out.extend(_apply(step, n))
        nodes = out
        if not nodes:
            break
    return nodes


def _children(n: Any) -> list[Any]:
    if isinstance(n, dict):
        return list(n.values())
    if isinstance(n, list):
        return list(n)
    return []


def _apply(step: Any, n: Any) -> list[Any]:
    if isinstance(step, _Field):
        if step.name == "*":
            return _children(n)
        if isinstance(n, dict) and step.name in n:
            return [n[step.name]]
        return []
    if isinstance(step, _Wildcard):
        return _children(n)
    if isinstance(step, _Index):
        if isinstance(n, list):
            i = step.index
            if -len(n) <= i < len(n):
                return [n[i]]
        return []
    if isinstance(step, _Slice):
        if isinstance(n, list):
            return n[step.start : step.stop : step.step or 1]
        return []
    if isinstance(step, _Recursive):
        out: list[Any] = []
        stack = [n]
        while stack:
            cur = stack.pop(0)
            if step.name == "*":
                out.extend(_children(cur))
            elif isinstance(cur, dict) and step.name in cur:
                out.append(cur[step.name])
            stack.extend(c for c in _children(cur) if isinstance(c, dict | list))
        return out
    if isinstance(step, _Filter):
        items = n if isinstance(n, list) else []  # kube refuses to filter non-arrays
        return [it for it in items if _filter_ok(step, it)]
    return []


def _operand_values(op: Any, item: Any) -> list[Any]:
    if isinstance(op, _Literal):
        return [op.value]
    return _walk([item], op)


def _filter_ok(f: _Filter, item: Any) -> bool:
    left = _operand_values(f.left, item)
    if not f.op:
        return bool(left) and left[0] not in (None, False, "")
    right = _operand_values(f.right, item)
    if not left or not right:
        return False
    a, b = left[0], right[0]
    if f.op in ("==", "!="):
        eq = _loose_equal(a, b)
        return eq if f.op == "==" else not eq
    try:
        if f.op == "<":
            return a < b
        if f.op == "<=":
            return a <= b
        if f.op == ">":
            return a > b
        return a >= b
    except TypeError:
        return False


def _loose_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


# --------------------------------------------------------------------------------------------
# CRD printer columns


def validate_column_path(path: str) -> str | None:
    """apiextensions' check of additionalPrinterColumns[].jsonPath: a detail message, or None."""
    if not path:
        return "must not be empty"
    if path[0] != ".":
        return "must be a simple json path starting with ."
    try:
        compile_path(path)
    except JSONPathError as e:
        return f"must be a valid JSONPath: {e}"
    return None


def _go_float(f: float) -> str:
    from kruise.apiserver.schema import go_float

    return go_float(f)


def _text(value: Any) -> str:
    """A value printed as jsonpath's text output: objects/arrays as JSON, scalars plainly."""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def printer_cell(values: list[Any], column_type: str, now: _dt.datetime | None = None) -> Any:
    """A Table cell for a CRD printer column, as kube's CRD table convertor builds it.

    Only the first result counts (columns are simple paths). No result or null → None. "string"
    prints the value as text; "integer"/"number"/"boolean" pass matching JSON types through
    (integer truncates floats, number widens ints) and anything else is None; "date" parses an
    RFC 3339 string and shows its age like kubectl ("5m", "3d2h"), or "<invalid>".
    """
    if not values:
        return None
    value = values[0]
    if value is None:
        return None
    if column_type == "string":
        return _text(value)
    if column_type == "integer":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
        return None
    if column_type == "number":
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return float(value)
        return None
    if column_type == "boolean":
        return value if isinstance(value, bool) else None
    if column_type == "date":
        if not isinstance(value, str):
            return None
        ts = _parse_time(value)
        if ts is None:
            return "<invalid>"
        now = now or _dt.datetime.now(_dt.UTC)
        return human_duration(now - ts)
    return None


def _parse_time(s: str) -> _dt.datetime | None:
    try:
        t = _dt.datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        return None
    return t


def human_duration(d: _dt.timedelta) -> str:
    """kubectl's age text (duration.HumanDuration), shared with the built-in tables."""
    return tables.human_duration(d.total_seconds())
