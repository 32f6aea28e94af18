"""What the API server stamps on objects: RFC 3339 timestamps in whole seconds (UTC), uids."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

from kruise.apiserver.meta import new_uid, now_rfc3339, parse_time, rfc3339


def test_now_rfc3339_is_the_current_second_formatted_as_kube_does() -> None:
    before = int(time.time())
    stamp = now_rfc3339()
    after = int(time.time())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
    assert before <= parse_time(stamp).timestamp() <= after
    assert stamp in {rfc3339(datetime.fromtimestamp(s, UTC)) for s in range(before, after + 1)}
    assert now_rfc3339() >= stamp  # remembered per second, never going back


def test_uids_are_distinct_rfc_4122_version_4_uuids() -> None:
    uids = [new_uid() for _ in range(2000)]  # crosses several refills of the entropy pool
    assert len(set(uids)) == len(uids)
    for uid in uids:
        parsed = uuid.UUID(uid)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, uid)
