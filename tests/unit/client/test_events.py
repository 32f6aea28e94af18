"""The event recorder's aggregation and client-go's per-object spam filter (burst 25, 1 per 5 min)."""

from __future__ import annotations

from kruise.client.events import EventRecorder


class Sink:
    def __init__(self) -> None:
        self.created: list[dict] = []
        self.patched: list[tuple[str, dict]] = []

    async def create_event(self, namespace: str, event: dict) -> dict:
        self.created.append(event)
        return event

    async def patch_event(self, namespace: str, name: str, patch: dict) -> dict:
        self.patched.append((name, patch))
        return patch


def obj(name: str) -> dict:
    return {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "metadata": {"name": name, "namespace": "ns", "uid": name},
    }


async def record(recorder: EventRecorder, items: list[tuple[dict, str]]) -> None:
    recorder.start()
    for o, message in items:
        recorder.event(o, "Normal", "SuccessfulCreate", message)
    await recorder.stop()


async def test_spam_filter_keeps_25_events_per_object_then_one_per_five_minutes():
    now = [0.0]
    sink = Sink()
    recorder = EventRecorder(sink, "kruise-manager", clock=lambda: now[0])
    await record(
        recorder, [(obj("web"), f"succeed to create pod web-{i}") for i in range(40)] + [(obj("db"), "x")]
    )
    assert len(sink.created) == 26  # 25 for web, 1 for db
    assert recorder.dropped == 15
    assert [e["message"] for e in sink.created[:2]] == [
        "succeed to create pod web-0",
        "succeed to create pod web-1",
    ]
    now[0] = 300.0  # one token back after five minutes
    await record(recorder, [(obj("web"), "late-1"), (obj("web"), "late-2")])
    assert [e["message"] for e in sink.created[26:]] == ["late-1"]


async def test_repeats_are_aggregated_into_one_event_with_a_count():
    sink = Sink()
    recorder = EventRecorder(sink, "kruise-manager", clock=lambda: 0.0)
    await record(recorder, [(obj("web"), "same")] * 3)
    assert len(sink.created) == 1
    assert [p["count"] for _, p in sink.patched] == [2, 3]
