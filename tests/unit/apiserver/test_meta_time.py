"""Timestamps the API server writes: RFC 3339 in whole seconds, UTC."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from kruise.apiserver.meta import now_rfc3339, parse_time, rfc3339


def test_now_rfc3339_is_the_current_second_formatted_as_kube_does() -> None:
    before = int(time.time())
    stamp = now_rfc3339()
    after = int(time.time())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
    assert before <= parse_time(stamp).timestamp() <= after
    assert stamp in {rfc3339(datetime.fromtimestamp(s, UTC)) for s in range(before, after + 1)}
    assert now_rfc3339() >= stamp  # remembered per second, never going back
