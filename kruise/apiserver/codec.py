"""Request decoding and response encoding (JSON and YAML bodies, Status errors)."""

from __future__ import annotations

from typing import Any

import orjson
import yaml

from . import errors
from .httpserver import Request, Response
from .protobuf import ProtobufError, decode_object

PROTOBUF = "application/vnd.kubernetes.protobuf"
MAX_BODY = 3 * 1024 * 1024  # kube-apiserver's limit for a single object write

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def decode_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise errors.bad_request(f"couldn't get version/kind; json parse error: {e}") from e


def decode_yaml(raw: bytes) -> Any:
    try:
        return yaml.load(raw, Loader=_Loader)
    except yaml.YAMLError as e:
        raise errors.bad_request(f"error converting YAML to JSON: yaml: {_yaml_problem(e)}") from e


def _yaml_problem(e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    return f"line {mark.line + 1}: {problem}" if mark is not None else problem


def decode_body(raw: bytes, content_type: str | None) -> Any:
    """An object body (create/update) in JSON or YAML."""
    mt = media_type(content_type)
    if not raw.strip():
        raise errors.bad_request("the body of the request was empty")
    if mt in ("application/json", ""):  # kube-apiserver reads a body without Content-Type as JSON
        return decode_json(raw)
    if mt in ("application/yaml", "application/x-yaml", "text/yaml"):
        return decode_yaml(raw)
    if mt == PROTOBUF:
        # kubectl's typed commands (create namespace, create configmap, ...) send protobuf
        try:
            return decode_object(raw)
        except ProtobufError as e:
            raise errors.bad_request(f"error decoding protobuf body: {e}") from e
    raise errors.unsupported_media_type(mt)


async def read_body(request: Request) -> bytes:
    """The request's body; the HTTP layer already refused bodies over MAX_BODY while reading."""
    if len(request.body) > MAX_BODY:
        raise errors.too_large(MAX_BODY)
    return request.body


def json_response(body: Any, status: int = 200) -> Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(raw, status, "application/json")


def status_response(err: errors.APIError) -> Response:
    resp = json_response(err.status(), err.code)
    for k, v in err.headers.items():
        resp.headers[k] = v
    return resp


def success_status(details: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        out["details"] = details
    return out


def field_manager(request: Request) -> str:
    manager = request.query.get("fieldManager")
    if manager:
        return manager
    agent = request.headers.get("User-Agent", "unknown")
    return agent.split("/", 1)[0][:128] or "unknown"
