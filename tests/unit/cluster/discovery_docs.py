"""Discovery documents shared by the cluster controllers' unit tests: the core group and one
custom group, example.com, served in v2 (preferred) and v1."""

from __future__ import annotations

CORE = {"kind": "APIVersions", "versions": ["v1"]}
GROUPS = {
    "groups": [
        {
            "name": "example.com",
            "versions": [
                {"groupVersion": "example.com/v2", "version": "v2"},
                {"groupVersion": "example.com/v1", "version": "v1"},
            ],
            "preferredVersion": {"groupVersion": "example.com/v2", "version": "v2"},
        }
    ]
}
