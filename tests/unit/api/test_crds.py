"""Generated CRDs: CloneSet's structure, printer columns, and the checked-in deploy/crds files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import Field

from kruise.api.crd import SCHEMA_REQUIRED, CRDVersion, Int32, IntOrString, Schemaless, crd_for, schema_for
from kruise.api.crds import all_crds, cloneset_crd
from kruise.api.lifecycle import KruiseModel
from kruise.apiserver.schema import check_structural
from kruise.apiserver.validation.crd import validate_crd
from kruise.cli.manifests import file_name, render

DEPLOY = Path(__file__).resolve().parents[3] / "deploy" / "crds"


def _schema() -> dict[str, Any]:
    return cloneset_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def test_cloneset_names_scope_versions_and_conversion() -> None:
    crd = cloneset_crd()
    assert crd["metadata"]["name"] == "clonesets.apps.kruise.io"
    spec = crd["spec"]
    assert spec["group"] == "apps.kruise.io"
    assert spec["scope"] == "Namespaced"
    assert spec["names"] == {
        "kind": "CloneSet",
        "listKind": "CloneSetList",
        "plural": "clonesets",
        "shortNames": ["clone"],
        "singular": "cloneset",
    }
    assert [(v["name"], v["served"], v["storage"]) for v in spec["versions"]] == [
        ("v1alpha1", True, True),
        ("v1beta1", True, False),
    ]
    for version in spec["versions"]:
        assert version["subresources"] == {
            "status": {},
            "scale": {
                "specReplicasPath": ".spec.replicas",
                "statusReplicasPath": ".status.replicas",
                "labelSelectorPath": ".status.labelSelector",
            },
        }
    assert spec["conversion"] == {
        "strategy": "Webhook",
        "webhook": {
            "clientConfig": {
                "service": {
                    "name": "kruise-webhook-service",
                    "namespace": "kruise-system",
                    "path": "/convert",
                    "port": 443,
                }
            },
            "conversionReviewVersions": ["v1"],
        },
    }
    assert validate_crd(crd) == []


def test_cloneset_v1beta1_schema_has_the_v1beta1_strategies() -> None:
    beta = cloneset_crd()["spec"]["versions"][1]
    spec = beta["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    update = spec["updateStrategy"]["properties"]
    assert sorted(update) == ["rollingUpdate", "type"]
    assert sorted(update["rollingUpdate"]["properties"]) == [
        "inPlaceUpdateStrategy",
        "maxSurge",
        "maxUnavailable",
        "partition",
        "paused",
        "podUpdatePolicy",
        "priorityStrategy",
        "scatterStrategy",
    ]
    assert sorted(update["rollingUpdate"]["properties"]["inPlaceUpdateStrategy"]["properties"]) == [
        "gracePeriodSeconds",
        "imagePreDownloadMinUpdatedReadyPods",
        "imagePreDownloadParallelism",
        "imagePreDownloadTimeoutSeconds",
    ]
    assert sorted(spec["scaleStrategy"]["properties"]) == [
        "enablePVCReuse",
        "excludePreparingDelete",
        "maxUnavailable",
        "podsToDelete",
    ]
    alpha_columns = cloneset_crd()["spec"]["versions"][0]["additionalPrinterColumns"]
    assert beta["additionalPrinterColumns"] == alpha_columns


def test_cloneset_printer_columns_match_upstream() -> None:
    columns = cloneset_crd()["spec"]["versions"][0]["additionalPrinterColumns"]
    assert [(c["name"], c["type"], c["jsonPath"], c.get("priority", 0)) for c in columns] == [
        ("DESIRED", "integer", ".spec.replicas", 0),
        ("UPDATED", "integer", ".status.updatedReplicas", 0),
        ("UPDATED_READY", "integer", ".status.updatedReadyReplicas", 0),
        ("UPDATED_AVAILABLE", "integer", ".status.updatedAvailableReplicas", 0),
        ("READY", "integer", ".status.readyReplicas", 0),
        ("TOTAL", "integer", ".status.replicas", 0),
        ("AGE", "date", ".metadata.creationTimestamp", 0),
        ("CONTAINERS", "string", ".spec.template.spec.containers[*].name", 1),
        ("IMAGES", "string", ".spec.template.spec.containers[*].image", 1),
        ("SELECTOR", "string", ".status.labelSelector", 1),
    ]


def test_cloneset_schema_shapes() -> None:
    root = _schema()
    assert root["type"] == "object"
    assert root["properties"]["metadata"] == {"type": "object"}
    spec = root["properties"]["spec"]
    assert spec["required"] == ["selector", "template"]
    props = spec["properties"]
    assert props["template"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    assert props["volumeClaimTemplates"] == {
        "type": "array",
        "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    }
    assert props["replicas"] == {"format": "int32", "type": "integer"}
    int_or_string = {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}
    strategy = props["updateStrategy"]["properties"]
    for name in ("partition", "maxUnavailable", "maxSurge"):
        assert strategy[name] == int_or_string
    assert props["scaleStrategy"]["properties"]["maxUnavailable"] == int_or_string
    assert props["selector"]["properties"]["matchLabels"] == {
        "additionalProperties": {"type": "string"},
        "type": "object",
    }
    assert set(props["lifecycle"]["properties"]) == {"preDelete", "inPlaceUpdate", "preNormal"}
    status = root["properties"]["status"]
    assert status["required"] == [
        "availableReplicas",
        "readyReplicas",
        "replicas",
        "updatedReadyReplicas",
        "updatedReplicas",
    ]
    assert status["properties"]["observedGeneration"] == {"format": "int64", "type": "integer"}


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node] + [n for v in node.values() for n in _walk(v)]
    if isinstance(node, list):
        return [n for v in node for n in _walk(v)]
    return []


def test_schema_has_no_defaults_titles_or_refs() -> None:
    # defaulting is the webhook's job: a schema default would be stored by the API server
    for node in _walk(_schema()):
        assert not {"default", "title", "$ref", "$defs"} & set(node)


@pytest.mark.parametrize("crd", all_crds(), ids=lambda c: c["metadata"]["name"])
def test_crds_pass_the_api_servers_checks(crd: dict[str, Any]) -> None:
    assert validate_crd(crd) == []
    for i, version in enumerate(crd["spec"]["versions"]):
        schema = version["schema"]["openAPIV3Schema"]
        assert check_structural(schema, f"spec.versions[{i}].schema.openAPIV3Schema") == []


@pytest.mark.parametrize("crd", all_crds(), ids=lambda c: c["metadata"]["name"])
def test_checked_in_crd_files_are_current(crd: dict[str, Any]) -> None:
    path = DEPLOY / file_name(crd)
    assert path.read_text() == render(crd), "regenerate with: kruise manifests crds --output-dir deploy/crds"
    assert yaml.safe_load(path.read_text()) == crd


class _Thing(KruiseModel):
    """A thing"""

    size: Int32 | None = None
    budget: IntOrString
    count: Int32 = Field(default=0, json_schema_extra=SCHEMA_REQUIRED)
    blob: Schemaless | None = None
    tags: dict[str, str] | None = None


def test_generic_generator() -> None:
    assert schema_for(_Thing) == {
        "description": "A thing",
        "properties": {
            "blob": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "budget": {
                "anyOf": [{"type": "integer"}, {"type": "string"}],
                "x-kubernetes-int-or-string": True,
            },
            "count": {"format": "int32", "type": "integer"},
            "size": {"format": "int32", "type": "integer"},
            "tags": {"additionalProperties": {"type": "string"}, "type": "object"},
        },
        "required": ["budget", "count"],
        "type": "object",
    }
    crd = crd_for(
        group="example.com",
        kind="Thing",
        plural="things",
        categories=["all"],
        scope="Cluster",
        versions=[CRDVersion("v1", _Thing, storage=True, status_subresource=False)],
    )
    assert crd["spec"]["names"] == {
        "categories": ["all"],
        "kind": "Thing",
        "listKind": "ThingList",
        "plural": "things",
        "singular": "thing",
    }
    assert "subresources" not in crd["spec"]["versions"][0]
