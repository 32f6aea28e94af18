"""CloneSet apps.kruise.io/v1beta1: the types its CRD schema is generated from (§3.1, v1beta1 shape).

Only the strategies differ from v1alpha1 (see `cloneset_conversion`): `updateStrategy` is
`{type: RollingUpdate|OnDelete, rollingUpdate: {podUpdatePolicy, partition, ...}}` and
`scaleStrategy` says `enablePVCReuse` and `excludePreparingDelete`. The API server stores v1alpha1;
the conversion webhook translates.
"""

from __future__ import annotations

from pydantic import Field

from .cloneset import CloneSetSpecCommon, CloneSetStatus, RollingFields
from .crd import Int32, IntOrString, ObjectMetaDict
from .lifecycle import KruiseModel

VERSION = "v1beta1"


class InPlaceUpdateStrategy(KruiseModel):
    grace_period_seconds: Int32 | None = Field(default=None, alias="gracePeriodSeconds")
    image_pre_download_parallelism: IntOrString | None = Field(
        default=None, alias="imagePreDownloadParallelism"
    )
    image_pre_download_timeout_seconds: Int32 | None = Field(
        default=None, alias="imagePreDownloadTimeoutSeconds"
    )
    image_pre_download_min_updated_ready_pods: Int32 | None = Field(
        default=None, alias="imagePreDownloadMinUpdatedReadyPods"
    )


class CloneSetScaleStrategy(KruiseModel):
    pods_to_delete: list[str] | None = Field(default=None, alias="podsToDelete")
    max_unavailable: IntOrString | None = Field(default=None, alias="maxUnavailable")
    enable_pvc_reuse: bool | None = Field(default=None, alias="enablePVCReuse")
    exclude_preparing_delete: bool | None = Field(default=None, alias="excludePreparingDelete")


class RollingUpdateCloneSetStrategy(RollingFields):
    pod_update_policy: str | None = Field(default=None, alias="podUpdatePolicy")
    in_place_update_strategy: InPlaceUpdateStrategy | None = Field(
        default=None, alias="inPlaceUpdateStrategy"
    )


class CloneSetUpdateStrategy(KruiseModel):
    type: str | None = None
    rolling_update: RollingUpdateCloneSetStrategy | None = Field(default=None, alias="rollingUpdate")


class CloneSetSpec(CloneSetSpecCommon):
    """CloneSetSpec defines the desired state of CloneSet"""

    scale_strategy: CloneSetScaleStrategy | None = Field(default=None, alias="scaleStrategy")
    update_strategy: CloneSetUpdateStrategy | None = Field(default=None, alias="updateStrategy")


class CloneSet(KruiseModel):
    """CloneSet is the Schema for the clonesets API"""

    api_version: str | None = Field(default=None, alias="apiVersion")
    kind: str | None = None
    metadata: ObjectMetaDict = Field(default_factory=dict)
    spec: CloneSetSpec
    status: CloneSetStatus | None = None
