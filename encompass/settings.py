"""Service settings kept in the database: names and addresses are settings, never code."""
from __future__ import annotations

import re
from datetime import time

from . import audit, db

# key -> (label, default, check); a check starting "optional" allows an empty value
SETTINGS = {
    "council_name": ("Council name", "Example Council", None),
    "coordinator_name": ("Co-ordinator's name or title", "The Domestic Abuse Education Co-ordinator", None),
    "coordinator_email": ("Co-ordinator's email (wrong-school returns)", "encompass@council.example.org", "email"),
    "triage_mailbox": ("Mailbox for information for the triage", "triage@council.example.org", "email"),
    "triage_reply_by": ("Information for the triage wanted by (HH:MM)", "11:00", "time"),
    "school_day_start": ("School day starts (HH:MM): notifications are due by then", "08:30", "time"),
    "home_la_code": ("Home local authority code (GIAS)", "893", "digits"),
    "session_idle_minutes": ("Sign a user out after this many minutes without using the app", "30", "digits"),
    "session_hours": ("Sign a user out this many hours after they signed in, whatever they do", "12", "digits"),
    "max_sheet_mb": ("Largest police sheet accepted, once unpacked (MB)", "100", "digits"),
    "max_sheet_rows": ("Most rows accepted in one police sheet", "50000", "digits"),
    "suppress_below": ("Statistics: counts below this show as “<N”", "5", "digits"),
    "triage_levels": ("Levels discussed at the triage (comma-separated)", "2,3", "levels"),
    "triage_agencies": ("Triage agencies (comma-separated)",
                        "Children's Social Care,Police,Health,Education,Recovery Partnership,"
                        "Domestic Abuse Service,Probation", "list"),
    "ehe_officer_name": ("EHE / children-missing-education officer: name or title (children with no school)",
                         "", "optional"),
    "ehe_officer_email": ("EHE / children-missing-education officer: email (empty: such children wait, blocked)",
                          "", "optional_email"),
    "closure_reasons": ("Reasons a person may close a child-incident without a notification (comma-separated)",
                        "Over 16 and not in education,Duplicate of another record,Not in education: LA told by phone,"
                        "Moved away: the new area told,Other", "list"),
    "triage_outcomes": ("Triage outcomes (comma-separated)",
                        "No further action,Early-help offer,Referral to children's social care,Strategy discussion,"
                        "Referral to the domestic-abuse service,MARAC referral,School to monitor,Other", "list"),
}


# The sensible range of each number: an idle limit of 0 would sign everyone out at once, a sheet limit of
# 0 would refuse every sheet.
RANGES = {"session_idle_minutes": (5, 480), "session_hours": (1, 24), "max_sheet_mb": (1, 1000),
          "max_sheet_rows": (10, 1_000_000), "suppress_below": (0, 100)}


def as_list(con, key: str) -> list[str]:
    return [part.strip() for part in get(con, key).split(",") if part.strip()]


class SettingError(ValueError):
    pass


def get(con, key: str) -> str:
    return db.get_setting(con, key, SETTINGS[key][1])


def all_settings(con) -> dict[str, str]:
    stored = dict(con.execute("select key, value from settings").fetchall())
    return {key: stored.get(key, default) for key, (_, default, _) in SETTINGS.items()}


def save(con, values: dict[str, str], username: str) -> list[str]:
    """Check and store settings; returns the keys that changed."""
    clean = {}
    for key, value in values.items():
        label, _, kind = SETTINGS[key]
        value = (value or "").strip()
        if not value and not (kind or "").startswith("optional"):
            raise SettingError(f"{label}: empty")
        if kind in ("email", "optional_email") and value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise SettingError(f"{label}: '{value}' is not an email address")
        if kind == "time":
            try:
                value = time.fromisoformat(value).strftime("%H:%M")
            except ValueError:
                raise SettingError(f"{label}: '{value}' is not a time (HH:MM)") from None
        if kind == "digits" and not value.isdigit():
            raise SettingError(f"{label}: '{value}' is not a number")
        if key in RANGES and not RANGES[key][0] <= int(value) <= RANGES[key][1]:
            raise SettingError(f"{label}: use a number from {RANGES[key][0]} to {RANGES[key][1]}")
        if kind == "levels" and not all(p.strip() in ("1", "2", "3", "4") for p in value.split(",")):
            raise SettingError(f"{label}: use levels 1 to 4, e.g. 2,3")
        if kind in ("list", "levels"):
            value = ",".join(p.strip() for p in value.split(",") if p.strip())
        clean[key] = value
    changed = [k for k, v in clean.items() if v != get(con, k)]
    with db.transaction(con) as cur:
        for key in changed:
            audit.record(cur, username, "setting_changed", "setting", key, old=get(con, key), new=clean[key])
            db.set_setting(cur, key, clean[key])
        if "triage_levels" in changed:  # which incidents wait for the triage follows the levels
            from . import triage
            triage.sync_open(cur, None)
        if changed:
            from . import stats
            if "home_la_code" in changed:  # in or out of county follows the home authority
                stats.rebuild(cur)
            stats.touch(cur)
    return changed
