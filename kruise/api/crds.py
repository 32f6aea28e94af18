"""Every CRD this project serves, built from the API types (`kruise manifests crds` prints them)."""

from __future__ import annotations

from typing import Any

from . import cloneset, cloneset_v1beta1
from .crd import CRDVersion, PrinterColumn, ScaleSubresource, crd_for

_AGE_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It "
    "is not guaranteed to be set in happens-before order across separate operations. Clients may not "
    "set this value. It is represented in RFC3339 form and is in UTC."
)

# Upstream's CloneSet printer columns (kubebuilder markers on the CloneSet type).
CLONESET_COLUMNS = [
    PrinterColumn("DESIRED", "integer", ".spec.replicas", "The desired number of pods."),
    PrinterColumn("UPDATED", "integer", ".status.updatedReplicas", "The number of pods updated."),
    PrinterColumn(
        "UPDATED_READY", "integer", ".status.updatedReadyReplicas", "The number of pods updated and ready."
    ),
    PrinterColumn(
        "UPDATED_AVAILABLE",
        "integer",
        ".status.updatedAvailableReplicas",
        "The number of pods updated and available.",
    ),
    PrinterColumn("READY", "integer", ".status.readyReplicas", "The number of pods ready."),
    PrinterColumn("TOTAL", "integer", ".status.replicas", "The number of currently all pods."),
    PrinterColumn("AGE", "date", ".metadata.creationTimestamp", _AGE_DESCRIPTION),
    PrinterColumn(
        "CONTAINERS",
        "string",
        ".spec.template.spec.containers[*].name",
        "The containers of currently cloneset.",
        priority=1,
    ),
    PrinterColumn(
        "IMAGES",
        "string",
        ".spec.template.spec.containers[*].image",
        "The images of currently cloneset.",
        priority=1,
    ),
    PrinterColumn(
        "SELECTOR", "string", ".status.labelSelector", "The selector of currently cloneset.", priority=1
    ),
]


# Until `kruise manager` points the CRD at its webhook server (url or Service, and caBundle), the
# conversion webhook is the Service upstream's chart installs.
WEBHOOK_SERVICE = {
    "name": "kruise-webhook-service",
    "namespace": "kruise-system",
    "path": "/convert",
    "port": 443,
}


def cloneset_versions() -> list[CRDVersion]:
    """Served versions of CloneSet: v1alpha1 (storage: the controller reads it) and v1beta1, both
    with status/scale subresources and printer columns; the conversion webhook translates."""
    return [
        CRDVersion(
            cloneset.VERSION,
            cloneset.CloneSet,
            storage=True,
            scale=ScaleSubresource(),
            printer_columns=CLONESET_COLUMNS,
        ),
        CRDVersion(
            cloneset_v1beta1.VERSION,
            cloneset_v1beta1.CloneSet,
            scale=ScaleSubresource(),
            printer_columns=CLONESET_COLUMNS,
        ),
    ]


def webhook_conversion(service: dict[str, Any] | None = None) -> dict[str, Any]:
    """`spec.conversion` of a CRD converted by the Kruise webhook server (`/convert`)."""
    return {
        "strategy": "Webhook",
        "webhook": {
            "clientConfig": {"service": dict(service or WEBHOOK_SERVICE)},
            "conversionReviewVersions": ["v1"],
        },
    }


def cloneset_crd() -> dict[str, Any]:
    crd = crd_for(
        group=cloneset.GROUP,
        kind=cloneset.KIND,
        plural=cloneset.PLURAL,
        singular="cloneset",
        short_names=["clone"],
        versions=cloneset_versions(),
    )
    crd["spec"] = dict(sorted({**crd["spec"], "conversion": webhook_conversion()}.items()))
    return crd


def all_crds() -> list[dict[str, Any]]:
    return [cloneset_crd()]
