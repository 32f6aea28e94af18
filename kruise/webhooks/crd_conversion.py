"""Point the Kruise CRDs that use webhook conversion at our `/convert` endpoint, with our CA.

Upstream kruise-manager does this for every CRD of its scheme whose `spec.conversion.strategy` is
Webhook, after its certificates are ready and again after they rotate: the clientConfig (url, or the
webhook Service on port 443 with path /convert) and caBundle are written, conversionReviewVersions
set to [v1, v1beta1]. CRDs already pointing there are left alone.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from typing import Any

from kruise.client.errors import Conflict, NotFound
from kruise.client.resources import CRDS
from kruise.client.rest import Client

from .registration import Endpoint

log = logging.getLogger("kruise.webhooks")

Obj = dict[str, Any]

CONVERT_PATH = "/convert"
REVIEW_VERSIONS = ["v1", "v1beta1"]


def desired_webhook(endpoint: Endpoint, ca_pem: bytes) -> Obj:
    return {
        "clientConfig": endpoint.client_config(CONVERT_PATH, ca_pem),
        "conversionReviewVersions": list(REVIEW_VERSIONS),
    }


def patched_crd(crd: Obj, kinds: Iterable[tuple[str, str]], webhook: Obj) -> Obj | None:
    """The CRD with our conversion webhook, or None when it is not ours or already up to date."""
    spec = crd.get("spec") or {}
    if (spec.get("group"), (spec.get("names") or {}).get("kind")) not in set(kinds):
        return None
    conversion = spec.get("conversion") or {}
    if conversion.get("strategy") != "Webhook" or conversion.get("webhook") == webhook:
        return None
    new = copy.deepcopy(crd)
    new["spec"]["conversion"]["webhook"] = copy.deepcopy(webhook)
    return new


async def ensure_crd_conversion(
    client: Client, kinds: Iterable[tuple[str, str]], endpoint: Endpoint, ca_pem: bytes
) -> list[str]:
    """Patch every CRD of `kinds` (group, kind) that converts through a webhook; the names patched."""
    kinds = set(kinds)
    if not kinds:
        return []
    webhook = desired_webhook(endpoint, ca_pem)
    patched = []
    for crd in (await client.list(CRDS)).get("items") or []:
        name = crd["metadata"]["name"]
        for _ in range(5):
            new = patched_crd(crd, kinds, webhook)
            if new is None:
                break
            try:
                await client.update(CRDS, new)
                patched.append(name)
                log.info("event=crd_conversion_patched crd=%s", name)
                break
            except Conflict:
                try:
                    crd = await client.get(CRDS, name)
                except NotFound:
                    break
        else:
            raise RuntimeError(f"could not set the conversion webhook of CRD {name}")
    return patched
