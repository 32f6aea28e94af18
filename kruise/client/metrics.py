"""Prometheus metrics for work queues and reconciles (names as controller-runtime exports them)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_BUCKETS = (0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

QUEUE_DEPTH = Gauge("workqueue_depth", "Current depth of the work queue.", ["name"])
QUEUE_ADDS = Counter("workqueue_adds_total", "Adds handled by the work queue.", ["name"])
QUEUE_RETRIES = Counter(
    "workqueue_retries_total", "Rate-limited re-adds handled by the work queue.", ["name"]
)
QUEUE_LATENCY = Histogram(
    "workqueue_queue_duration_seconds",
    "Seconds an item waits in the queue before a worker takes it.",
    ["name"],
    buckets=_BUCKETS,
)
WORK_DURATION = Histogram(
    "workqueue_work_duration_seconds", "Seconds a worker spends on an item.", ["name"], buckets=_BUCKETS
)
RECONCILES = Counter(
    "controller_runtime_reconcile_total", "Reconciles per controller and result.", ["controller", "result"]
)
RECONCILE_ERRORS = Counter(
    "controller_runtime_reconcile_errors_total", "Reconcile errors per controller.", ["controller"]
)
RECONCILE_TIME = Histogram(
    "controller_runtime_reconcile_time_seconds",
    "Reconcile duration per controller.",
    ["controller"],
    buckets=_BUCKETS,
)


class PrometheusQueueMetrics:
    """The work queue's metrics hooks, bound to one queue name."""

    def __init__(self, name: str) -> None:
        self._depth = QUEUE_DEPTH.labels(name)
        self._adds = QUEUE_ADDS.labels(name)
        self._retries = QUEUE_RETRIES.labels(name)
        self._latency = QUEUE_LATENCY.labels(name)
        self._work = WORK_DURATION.labels(name)

    def add(self) -> None:
        self._adds.inc()

    def depth(self, n: int) -> None:
        self._depth.set(n)

    def latency(self, seconds: float) -> None:
        self._latency.observe(seconds)

    def work_duration(self, seconds: float) -> None:
        self._work.observe(seconds)

    def retry(self) -> None:
        self._retries.inc()


class ControllerMetrics:
    def __init__(self, name: str) -> None:
        self.name = name
        self.queue = PrometheusQueueMetrics(name)
        self._errors = RECONCILE_ERRORS.labels(name)
        self._time = RECONCILE_TIME.labels(name)

    def reconcile_done(self, result: str, seconds: float) -> None:
        RECONCILES.labels(self.name, result).inc()
        if result == "error":
            self._errors.inc()
        self._time.observe(seconds)
