"""pods/log: validate the request against the Pod, then proxy to the node agent's log endpoint.

The node is found as a kube-apiserver finds a kubelet: the Pod's spec.nodeName, then the Node's
InternalIP and status.daemonEndpoints.kubeletEndpoint.Port. follow=true streams until the node
ends the response (the container stopped) or the client goes away.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp

from . import errors
from .httpserver import Request, StreamResponse
from .registry import ResourceInfo

if TYPE_CHECKING:
    from .handlers import ResourceHandlers

Obj = dict[str, Any]
_PASSED = ("previous", "follow", "tailLines", "timestamps", "sinceSeconds", "sinceTime", "limitBytes")
_INT_PARAMS = ("tailLines", "sinceSeconds", "limitBytes")


def choose_container(pod: Obj, requested: str) -> str:
    """The container to read, or the BadRequest kube-apiserver answers."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    containers = [c["name"] for c in spec.get("containers") or []]
    inits = [c["name"] for c in spec.get("initContainers") or []]
    ephemeral = [c["name"] for c in spec.get("ephemeralContainers") or []]
    if not requested:
        if len(containers) == 1:
            return containers[0]
        message = (
            f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
        )
        if inits:
            message += f" or one of the init containers: [{' '.join(inits)}]"
        if ephemeral:
            message += f" or one of the ephemeral containers: [{' '.join(ephemeral)}]"
        raise errors.bad_request(message)
    if requested not in containers + inits + ephemeral:
        raise errors.bad_request(f"container {requested} is not valid for pod {name}")
    return requested


def log_problem(pod: Obj, container: str, previous: bool) -> str:
    """Why the kubelet would refuse to serve this container's log, from the Pod's status ("" if fine)."""
    status = pod.get("status") or {}
    name = pod["metadata"]["name"]
    where = f'container "{container}" in pod "{name}"'
    all_statuses = (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])
    st = next((s for s in all_statuses if s.get("name") == container), None)
    if st is None:
        return f"{where} is waiting to start: ContainerCreating"
    state = st.get("state") or {}
    last = (st.get("lastState") or {}).get("terminated") or {}
    if previous:
        return (
            ""
            if last.get("containerID")
            else f'previous terminated container "{container}" in pod "{name}" not found'
        )
    if "running" in state or "terminated" in state or last:
        return ""
    reason = (state.get("waiting") or {}).get("reason", "")
    if reason == "ErrImagePull":
        return f"{where} is waiting to start: image can't be pulled"
    if reason == "ImagePullBackOff":
        return f"{where} is waiting to start: trying and failing to pull image"
    return (
        f"{where} is waiting to start: {reason}" if reason else f"{where} is waiting to start - no logs yet"
    )


def _node_endpoint(node: Obj) -> tuple[str, int]:
    status = node.get("status") or {}
    addresses = status.get("addresses") or []
    ip = next((a.get("address") for a in addresses if a.get("type") == "InternalIP"), None)
    ip = ip or next((a.get("address") for a in addresses), None)
    port = ((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port")
    if not ip or not port:
        raise errors.APIError(
            500, "InternalError", f"node {node['metadata']['name']} has no kubelet endpoint in its status"
        )
    return str(ip), int(port)


async def serve(
    h: ResourceHandlers, request: Request, info: ResourceInfo, namespace: str, name: str
) -> StreamResponse:
    q = request.query
    for key in _INT_PARAMS:
        if q.get(key) and not q[key].lstrip("-").isdigit():
            raise errors.bad_request(f"{key}: invalid value {q[key]!r}: must be an integer")
    pod = h.resources.get(info, namespace, name)
    container = choose_container(pod, q.get("container", ""))
    node_name = (pod.get("spec") or {}).get("nodeName")
    if not node_name:
        raise errors.bad_request(f"pod {name} does not have a host assigned")
    previous = q.get("previous", "").lower() == "true"
    problem = log_problem(pod, container, previous)
    if problem:
        raise errors.bad_request(problem)
    entry = h.store.get("/nodes", "", node_name)
    if entry is None:
        raise errors.not_found("nodes", node_name)
    ip, port = _node_endpoint(entry.obj)
    params = {k: q[k] for k in _PASSED if q.get(k)}
    path = "/".join(quote(p, safe="") for p in (namespace, name, container))
    url = f"http://{ip}:{port}/containerLogs/{path}"
    follow = params.get("follow", "").lower() == "true"
    timeout = aiohttp.ClientTimeout(total=None if follow else 60, connect=10)
    resp: StreamResponse | None = None
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, params=params) as upstream,
        ):
            if upstream.status != 200:
                raise _node_error(upstream.status, (await upstream.text()).strip())
            resp = StreamResponse(headers={"Content-Type": "text/plain"})
            await resp.prepare(request)
            async for chunk in upstream.content.iter_any():
                await resp.write(chunk)
    except (aiohttp.ClientError, TimeoutError, OSError) as e:
        if resp is None:
            raise errors.APIError(500, "InternalError", f'Get "{url}": {e}') from e
        # Headers are out: a node that goes away mid-stream just ends the log.
    assert resp is not None
    with contextlib.suppress(ConnectionError, RuntimeError):
        await resp.write_eof()
    return resp


def _node_error(code: int, text: str) -> errors.APIError:
    text = text or f"the node answered {code}"
    if code == 404:
        return errors.APIError(404, "NotFound", text)
    if code == 400:
        return errors.bad_request(text)
    return errors.APIError(500, "InternalError", text)
