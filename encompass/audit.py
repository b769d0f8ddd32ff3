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


def record_many(cur, username: str, action: str, entity: str, entries: list[tuple[object, dict]]) -> None:
    """One audit entry per (entity id, detail), written in one statement."""
    import pandas as pd  # only here: the rest of the module is used by code that never needs pandas

    from . import db
    now = clock.now()
    frame = pd.DataFrame([{"logged_at": now, "username": username, "action": action, "entity": entity,
                           "entity_id": str(entity_id), "detail": json.dumps(detail, default=str, sort_keys=True)}
                          for entity_id, detail in entries])
    with db.registered(cur, "audit_entries", frame):
        cur.execute("insert into audit_log (logged_at, username, action, entity, entity_id, detail) "
                    "select logged_at, username, action, entity, entity_id, detail from audit_entries")
