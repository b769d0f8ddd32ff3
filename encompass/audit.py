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


# --- reading it ------------------------------------------------------------------------------------

# action -> (group, what it means), for the audit viewer. An action missing here is shown as it is stored.
ACTIONS = {
    "login": ("Signing in", "logged in with a password"), "login_failed": ("Signing in", "a login was refused"),
    "login_cookie": ("Signing in", "came back to a session (remembered sign-in)"),
    "logout": ("Signing in", "logged out"), "session_expired": ("Signing in", "a session ended by itself"),
    "add_user": ("Users", "added a user"), "update_user": ("Users", "changed a user's roles or details"),
    "disable_user": ("Users", "disabled a user"), "enable_user": ("Users", "enabled a user"),
    "set_password": ("Users", "changed their password"),
    "reset_password": ("Users", "reset a user's password (to be changed at the next login)"),
    "unlock_user": ("Users", "unlocked a user"), "sign_out_everywhere": ("Users", "signed a user out everywhere"),
    "view_children": ("Children's records viewed", "viewed children's names"),
    "view_incidents": ("Children's records viewed", "viewed incidents with the children's names"),
    "preview_notification": ("Children's records viewed", "previewed a notification (with the child's name)"),
    "import_sheet": ("Sheets and matching", "imported a police sheet"),
    "confirm_school": ("Sheets and matching", "decided a child's school or route"),
    "close_child_incident": ("Sheets and matching", "closed a child-incident without a notification"),
    "missing_found": ("Sheets and matching", "recorded a missing child as found"),
    "ledger_repaired": ("System", "put a child-incident back in the ledger"),
    "queue_notifications": ("Notifications", "queued notifications"),
    "send_notification": ("Notifications", "sent a notification"),
    "send_failed": ("Notifications", "a notification could not be sent"),
    "send_outcome_unknown": ("Notifications", "a send broke after the message left: outcome unknown"),
    "settle_unknown": ("Notifications", "settled a send whose outcome was unknown"),
    "withdraw_notification": ("Notifications", "withdrew a notification"),
    "school_reply": ("Notifications", "recorded a school's reply"),
    "triage_check": ("Triage", "saved an agency's check"), "triage_decision": ("Triage", "recorded a decision"),
    "triage_amend": ("Triage", "amended a decision after the meeting closed"),
    "triage_action": ("Triage", "added an action"), "triage_action_status": ("Triage", "changed an action's status"),
    "triage_attendance": ("Triage", "recorded attendance"), "triage_close": ("Triage", "closed a meeting"),
    "contact_added": ("Contacts and schools", "added a school contact"),
    "contact_changed": ("Contacts and schools", "replaced a school contact"),
    "contact_removed": ("Contacts and schools", "removed a school contact"),
    "contacts_confirmed": ("Contacts and schools", "recorded a school's contacts as confirmed"),
    "import_contacts": ("Contacts and schools", "imported contacts"),
    "la_lead_saved": ("Contacts and schools", "saved another local authority's lead"),
    "import_schools": ("Contacts and schools", "imported the schools register"),
    "export_contacts": ("Exports", "exported the contacts"), "export_statistics": ("Exports", "exported statistics"),
    "export_minutes": ("Exports", "exported meeting minutes"),
    "export_rejections": ("Exports", "exported a sheet's rejected rows"),
    "export_audit": ("Exports", "exported the audit log"),
    "setting_changed": ("Settings and templates", "changed a setting"),
    "template_saved": ("Settings and templates", "saved a message template"),
    "import_calendar": ("Settings and templates", "imported the term calendar"),
    "calendar_period_added": ("Settings and templates", "added a calendar period"),
    "calendar_period_removed": ("Settings and templates", "removed a calendar period"),
    "demo_data": ("System", "built the demo data"),
}
GROUPS = sorted({group for group, _ in ACTIONS.values()})


def describe(action: str, detail: str | None) -> tuple[str, str]:
    """(what happened, its details) in words: "sent a notification", "to: a@b.org; route: school"."""
    what = ACTIONS.get(action, ("", action.replace("_", " ")))[1]
    if not detail:
        return what, ""
    try:
        values = json.loads(detail)
    except ValueError:
        return what, detail
    if not isinstance(values, dict):
        return what, str(values)

    def word(v) -> str:
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, list):
            return ", ".join(map(word, v)) or "none"
        if isinstance(v, dict):
            return "; ".join(f"{k.replace('_', ' ')} {word(x)}" for k, x in v.items() if x not in (None, ""))
        return str(v)

    return what, "; ".join(f"{k.replace('_', ' ')}: {word(v)}" for k, v in values.items() if v not in (None, ""))


def search(con, start, end, who: str = "", groups: list[str] | None = None, limit: int = 1000) -> list[dict]:
    """Entries from `start` to `end` (dates, both included), newest first, by one person and of some kinds of
    action if asked; each with its description. The log grows in time order, so a date range reads only the
    row groups of those days."""
    from datetime import timedelta

    from . import db
    actions = [a for a, (group, _) in ACTIONS.items() if group in groups] if groups else []
    rows = db.rows(con, "admin/audit_search", {"from": start, "to": end + timedelta(days=1), "who": who or "",
                                                "actions": actions, "limit": limit})
    for r in rows:
        r["what"], r["details"] = describe(r["action"], r["detail"])
    return rows
