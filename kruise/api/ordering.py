"""Update ordering strategies shared by CloneSet, SidecarSet and Advanced StatefulSet (§1.5)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .lifecycle import KruiseModel


class WeightPriority(KruiseModel):
    weight: int
    match_selector: dict[str, Any] = Field(alias="matchSelector")


class OrderPriority(KruiseModel):
    ordered_key: str = Field(alias="orderedKey")


class UpdatePriorityStrategy(KruiseModel):
    weight_priority: list[WeightPriority] | None = Field(default=None, alias="weightPriority")
    order_priority: list[OrderPriority] | None = Field(default=None, alias="orderPriority")


class ScatterTerm(KruiseModel):
    key: str
    value: str


UpdateScatterStrategy = list[ScatterTerm]
