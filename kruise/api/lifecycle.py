"""Lifecycle hooks shared by CloneSet, Advanced StatefulSet and Advanced DaemonSet (§1.2)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class KruiseModel(BaseModel):
    """Base of every Kruise type: camelCase on the wire, Python names in code, unknown fields ignored
    (the API server prunes them with the CRD schema before we see an object)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    def wire(self) -> dict:
        """The object as the API sends it: camelCase keys, unset fields omitted."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class LifecycleHook(KruiseModel):
    labels_handler: dict[str, str] | None = Field(default=None, alias="labelsHandler")
    finalizers_handler: list[str] | None = Field(default=None, alias="finalizersHandler")
    mark_pod_not_ready: bool = Field(default=False, alias="markPodNotReady")


class Lifecycle(KruiseModel):
    pre_delete: LifecycleHook | None = Field(default=None, alias="preDelete")
    in_place_update: LifecycleHook | None = Field(default=None, alias="inPlaceUpdate")
    pre_normal: LifecycleHook | None = Field(default=None, alias="preNormal")
