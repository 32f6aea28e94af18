"""The embedded cluster's scheduler: kube-scheduler's default filters and scores, bound through
the pods/binding subresource. `plan` is pure; `controller` talks to the API."""

from .controller import Scheduler
from .plan import DEFAULT_SCHEDULER, Decision, Status, schedule

__all__ = ["DEFAULT_SCHEDULER", "Decision", "Scheduler", "Status", "schedule"]
