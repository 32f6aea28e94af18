"""Label and field selectors with Kubernetes' syntax, validation, matching and error texts.

Label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>3`, `a<3`,
comma separated. Field selectors: `f=v`, `f==v`, `f!=v`, comma separated, `\\`, `\\,` and `\\=`
escape inside values. Controllers use `label_selector_from_dict` for metav1.LabelSelector.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "FieldSelector",
    "LabelSelector",
    "Requirement",
    "SelectorError",
    "escape_field_value",
    "label_selector_from_dict",
    "label_value_errors",
    "parse_field_selector",
    "parse_label_selector",
    "qualified_name_errors",
    "validate_label_key",
    "validate_label_value",
]


class SelectorError(ValueError):
    """A selector that does not parse or validate; str() is kube's message."""


# --------------------------------------------------------------------------------------------
# Label key/value validation (apimachinery util/validation texts)

_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_RE = re.compile(f"^{_QNAME_FMT}$")
_QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_RE = re.compile(f"^{_DNS1123_SUBDOMAIN_FMT}$")
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT = f"({_QNAME_FMT})?"
_LABEL_VALUE_RE = re.compile(f"^{_LABEL_VALUE_FMT}$")
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    msg += " (e.g. "
    for i, ex in enumerate(examples):
        if i > 0:
            msg += " or "
        msg += f"'{ex}', "
    return msg + f"regex used for validation is '{fmt}')"


def _max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


def _dns1123_subdomain_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(_max_len_error(253))
    if not _DNS1123_SUBDOMAIN_RE.match(value):
        errs.append(_regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def qualified_name_errors(value: str) -> list[str]:
    """Problems with a qualified name (label key, annotation key), as IsQualifiedName lists them."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in _dns1123_subdomain_errors(prefix))
    else:
        return [
            "a qualified name "
            + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + _max_len_error(63))
    if not _QNAME_RE.match(name):
        errs.append("name part " + _regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def label_value_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(_max_len_error(63))
    if not _LABEL_VALUE_RE.match(value):
        errs.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _invalid(path: str, value: str, detail: str) -> str:
    return f"{path}: Invalid value: {_quote(value)}: {detail}"


def validate_label_key(key: str, path: str = "key") -> str | None:
    errs = qualified_name_errors(key)
    return _invalid(path, key, "; ".join(errs)) if errs else None


def validate_label_value(key: str, value: str, path: str = "values[0]") -> str | None:
    errs = label_value_errors(value)
    return _invalid(f"{path}[{key}]", value, "; ".join(errs)) if errs else None


# --------------------------------------------------------------------------------------------
# Label selectors

_OPS = ("in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!")
_BINARY_OPS = "in, notin, =, ==, !=, gt, lt"


@dataclass(frozen=True)
class Requirement:
    """One term. `op` is one of: "=", "==", "!=", "in", "notin", "exists", "!", "gt", "lt"."""

    key: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.op
        if op in ("=", "==", "in"):
            return self.key in labels and labels[self.key] in self.values
        if op in ("!=", "notin"):
            return self.key not in labels or labels[self.key] not in self.values
        if op == "exists":
            return self.key in labels
        if op == "!":
            return self.key not in labels
        if op in ("gt", "lt"):
            if self.key not in labels or len(self.values) != 1:
                return False
            try:
                have, want = int(labels[self.key]), int(self.values[0])
            except ValueError:
                return False
            return have > want if op == "gt" else have < want
        return False

    def __str__(self) -> str:
        if self.op == "!":
            return "!" + self.key
        if self.op == "exists":
            return self.key
        text = {"in": " in ", "notin": " notin ", "gt": ">", "lt": "<"}.get(self.op, self.op)
        vals = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if self.op in ("in", "notin"):
            return f"{self.key}{text}({vals})"
        return f"{self.key}{text}{vals}"


def _new_requirement(key: str, op: str, values: Iterable[str]) -> Requirement:
    vals = tuple(values)
    errs: list[str] = []
    e = validate_label_key(key, "key")
    if e:
        errs.append(e)
    if op in ("in", "notin"):
        if not vals:
            errs.append(_bad_values(vals, "for 'in', 'notin' operators, values set can't be empty"))
    elif op in ("=", "==", "!="):
        if len(vals) != 1:
            errs.append(_bad_values(vals, "exact-match compatibility requires one single value"))
    elif op in ("exists", "!"):
        if vals:
            errs.append(_bad_values(vals, "values set must be empty for exists and does not exist"))
    elif op in ("gt", "lt"):
        if len(vals) != 1:
            errs.append(_bad_values(vals, "for 'Gt', 'Lt' operators, exactly one value is required"))
        for i, v in enumerate(vals):
            if not re.fullmatch(r"[+-]?\d+", v) or not -(2**63) <= int(v) < 2**63:
                errs.append(
                    _invalid(f"values[{i}]", v, "for 'Gt', 'Lt' operators, the value must be an integer")
                )
    else:
        supported = ", ".join(_quote(o) for o in ("in", "notin", "=", "==", "!=", "exists", "!", "gt", "lt"))
        errs.append(f"operator: Unsupported value: {_quote(op)}: supported values: {supported}")
    for i, v in enumerate(vals):
        e = validate_label_value(key, v, f"values[{i}]")
        if e:
            errs.append(e)
    if errs:
        raise SelectorError(errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]")
    return Requirement(key, op, vals)


def _bad_values(vals: tuple[str, ...], detail: str) -> str:
    return f"values: Invalid value: {_go_list(vals)}: {detail}"


def _go_list(vals: tuple[str, ...]) -> str:
    # field.Invalid with a []string prints Go's %#v of the slice
    if not vals:
        return "[]string(nil)"
    return "[]string{" + ", ".join(_quote(v) for v in vals) + "}"


@dataclass(frozen=True)
class LabelSelector:
    """A set of requirements, all of which must hold. `nothing` is the nil selector."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        """True when it selects everything (no requirements). The nil selector is not empty."""
        return not self.nothing and not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


# Token kinds
_ID, _EOS, _ERR = "identifier", "eos", "error"
_SPECIAL = "=!(),><"
_SYMBOLS = {"!": "!", "!=": "!=", "=": "=", "==": "==", "(": "(", ")": ")", ",": ",", ">": "gt", "<": "lt"}
_WS = " \t\r\n"


def _lex(text: str) -> list[tuple[str, str]]:
    toks: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _WS:
            i += 1
        if i >= n:
            toks.append((_EOS, ""))
            return toks
        ch = text[i]
        if ch in _SPECIAL:
            # longest run of special characters that is still a symbol
            j, last = i, None
            buf = ""
            while j < n and text[j] in _SPECIAL:
                buf += text[j]
                if buf in _SYMBOLS:
                    last = (_SYMBOLS[buf], buf)
                    j += 1
                elif last is not None:
                    break
                else:
                    j += 1
            if last is None:
                toks.append((_ERR, f"error expected: keyword found '{buf}'"))
                i = j
            else:
                toks.append(last)
                i += len(last[1])
            continue
        j = i
        while j < n and text[j] not in _WS and text[j] not in _SPECIAL:
            j += 1
        word = text[i:j]
        toks.append((word if word in ("in", "notin") else _ID, word))
        i = j


class _LabelParser:
    def __init__(self, text: str) -> None:
        self.toks = _lex(text)
        self.pos = 0

    def _tok(self, keywords_as_ids: bool) -> tuple[str, str]:
        tok, lit = self.toks[min(self.pos, len(self.toks) - 1)]
        if keywords_as_ids and tok in ("in", "notin"):
            tok = _ID
        return tok, lit

    def lookahead(self, values: bool = True) -> tuple[str, str]:
        return self._tok(values)

    def consume(self, values: bool = True) -> tuple[str, str]:
        t = self._tok(values)
        self.pos += 1
        return t

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok in (_ID, "!"):
                try:
                    reqs.append(self.requirement())
                except SelectorError as e:
                    raise SelectorError(f"unable to parse requirement: {e}") from None
                t, lit2 = self.consume()
                if t == _EOS:
                    return reqs
                if t == ",":
                    t2, l2 = self.lookahead()
                    if t2 not in (_ID, "!"):
                        raise SelectorError(f"found '{l2}', expected: identifier after ','")
                else:
                    raise SelectorError(f"found '{lit2}', expected: ',' or 'end of string'")
            elif tok == _EOS:
                return reqs
            else:
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def requirement(self) -> Requirement:
        op = ""
        tok, lit = self.consume()
        if tok == "!":
            op = "!"
            tok, lit = self.consume()
        if tok != _ID:
            raise SelectorError(f"found '{lit}', expected: identifier")
        err = validate_label_key(lit, "<nil>")
        if err:
            raise SelectorError(err)
        key = lit
        if self.lookahead()[0] in (_EOS, ","):
            return _new_requirement(key, op or "exists", ())
        if op == "!":
            # "!key" must be followed by end or comma; anything else is not an operator here
            return _new_requirement(key, op, ())
        tok, lit = self.consume(values=False)
        if tok not in ("!", "=", "==", "!=", "gt", "lt", "in", "notin"):
            raise SelectorError(f"found '{lit}', expected: {_BINARY_OPS}")
        op = tok
        if op == "!":
            # kube accepts "key!" as "!key" (its operator parser maps "!" to DoesNotExist)
            return _new_requirement(key, "!", ())
        values = self.set_values() if op in ("in", "notin") else self.exact_value()
        return _new_requirement(key, op, sorted(values))

    def set_values(self) -> set[str]:
        tok, lit = self.consume()
        if tok != "(":
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok in (_ID, ","):
            s = self.identifiers()
            t, _ = self.consume()
            if t != ")":
                raise SelectorError(f"found '{lit}', expected: ')'")
            return s
        if tok == ")":
            self.consume()
            return {""}
        raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")

    def identifiers(self) -> set[str]:
        s: set[str] = set()
        while True:
            tok, lit = self.consume()
            if tok == _ID:
                s.add(lit)
                t2, l2 = self.lookahead()
                if t2 == ",":
                    continue
                if t2 == ")":
                    return s
                raise SelectorError(f"found '{l2}', expected: ',' or ')'")
            if tok == ",":
                if not s:
                    s.add("")
                t2, _ = self.lookahead()
                if t2 == ")":
                    s.add("")
                    return s
                if t2 == ",":
                    self.consume()
                    s.add("")
                continue
            raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        tok, _ = self.lookahead()
        if tok in (_EOS, ","):
            return {""}
        tok, lit = self.consume()
        if tok == _ID:
            return {lit}
        raise SelectorError(f"found '{lit}', expected: identifier")


def parse_label_selector(text: str) -> LabelSelector:
    """Parse kube's label selector syntax; requirements come out sorted by key (as kube's)."""
    reqs = _LabelParser(text).parse()
    reqs.sort(key=lambda r: r.key)
    return LabelSelector(tuple(reqs))


_EXPR_OPS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def label_selector_from_dict(sel: Mapping | None) -> LabelSelector:
    """metav1.LabelSelector → LabelSelector.

    As kube: None (a nil selector) matches nothing, {} (no matchLabels, no matchExpressions)
    matches everything.
    """
    if sel is None:
        return LabelSelector(nothing=True)
    match_labels = sel.get("matchLabels") or {}
    exprs = sel.get("matchExpressions") or []
    if not match_labels and not exprs:
        return LabelSelector()
    reqs: list[Requirement] = []
    for k, v in match_labels.items():
        reqs.append(_new_requirement(k, "=", (v,)))
    for expr in exprs:
        op = _EXPR_OPS.get(expr.get("operator", ""))
        if op is None:
            raise SelectorError(
                f"{_quote(str(expr.get('operator', '')))} is not a valid label selector operator"
            )
        reqs.append(_new_requirement(expr.get("key", ""), op, tuple(expr.get("values") or ())))
    reqs.sort(key=lambda r: r.key)
    return LabelSelector(tuple(reqs))


# --------------------------------------------------------------------------------------------
# Field selectors


def escape_field_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _unescape(value: str) -> str:
    if not any(c in value for c in "\\,="):
        return value
    out: list[str] = []
    in_slash = False
    for c in value:
        if in_slash:
            if c in "\\,=":
                out.append(c)
            else:
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{c}")
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c in ",=":
            # kube prints the rune with %v, i.e. its code point
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(c)}")
        else:
            out.append(c)
    if in_slash:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    if not text:
        return []
    terms, start, in_slash = [], 0, False
    for i, c in enumerate(text):
        if in_slash:
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    for i in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op) :]
    return None


@dataclass(frozen=True)
class FieldSelector:
    """Conjunction of (field, op, value); op is "=" or "!=" ("==" is normalised to "=")."""

    requirements: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)

    def matches(self, fields: Mapping[str, str]) -> bool:
        # a missing field reads as "" (kube's fields.Set.Get)
        for f, op, v in self.requirements:
            have = fields.get(f, "")
            if (have == v) != (op == "="):
                return False
        return True

    def fields(self) -> set[str]:
        return {f for f, _, _ in self.requirements}

    def empty(self) -> bool:
        return not self.requirements

    def requires_exact(self, name: str) -> str | None:
        """The value `name` must equal, if the selector pins it (used to narrow list scans)."""
        for f, op, v in self.requirements:
            if f == name and op == "=":
                return v
        return None

    def __str__(self) -> str:
        return ",".join(f"{f}{op}{escape_field_value(v)}" for f, op, v in self.requirements)


def parse_field_selector(text: str) -> FieldSelector:
    """Parse `a=b,c!=d` (kube's field selector syntax); terms come out sorted as kube sorts them."""
    reqs: list[tuple[str, str, str]] = []
    for part in sorted(_split_terms(text)):
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        lhs, op, rhs = split
        reqs.append((lhs, "!=" if op == "!=" else "=", _unescape(rhs)))
    return FieldSelector(tuple(reqs))
