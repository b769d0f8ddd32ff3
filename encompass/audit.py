"""The append-only audit log. Details are JSON and never carry a child's name."""
from __future__ import annotations

import json

from . import clock


def record(cur, username: str, action: str, entity: str | None = None,
           entity_id: object = None, **detail) -> None:
    cur.execute(
        "insert into audit_log (logged_at, username, action, entity, entity_id, detail) values (?, ?, ?, ?, ?, ?)",
        [clock.now(), username, action, entity, None if entity_id is None else str(entity_id),
         json.dumps(detail, default=str, sort_keys=True) if detail else None],
    )
