"""The `encompass` operations command. Never imports Streamlit.

Every command takes --db (else ENCOMPASS_DB, else data/encompass.duckdb) and --json, exits
non-zero with a one-line reason on failure, and never leaves a half-done change.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date, datetime
from pathlib import Path

from . import (audit, auth, calendar, clock, contacts, db, demo, exports, files, ledger, mailing, matching,
               notifications, schools, settings, sheets, stats, status, triage)


class CommandError(Exception):
    pass


def _out(args, data, text: str) -> None:
    print(json.dumps(data, default=str, indent=None if args.json else 2) if args.json else text)


def cmd_init(con, args):
    demo.ensure_reference(con, "cli")
    _out(args, dict(status.counts(con), permissions_fixed=args.permissions_fixed),
         "\n".join([f"database ready: {args.db or db.default_path()}"]
                   + [f"made private (owner only): {line}" for line in args.permissions_fixed]))


def cmd_import_schools(con, args):
    report = schools.import_register(con, args.file, args.links, "cli")
    d = report.as_dict()
    _out(args, d, f"{d['schools']} schools, {d['links']} links: {d['opened']} opened, "
                  f"{d['closed']} closed, {d['changed']} changed")


def cmd_import_calendar(con, args):
    n = calendar.import_calendar(con, args.file, "cli")
    _out(args, {"periods": n}, f"{n} calendar periods imported (with bank holidays for those years)")


def cmd_import_sheet(con, args):
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    result = sheets.import_sheet(con, path.read_bytes(), path.name, "cli", source="cli")
    d = result.as_dict()
    lines = [f"{path.name}: {d['rows']} rows: {d['imported']} imported, {d['duplicates']} duplicates, "
             f"{d['rejected']} rejected; {d['needs_review']} need a school confirmed"
             + (f" — this file was imported before (sheet {d['sheet_id']}): nothing new"
                if result.already_imported else "")]
    lines += [f"  row {r['row']}: {r['field']}: {r['reason']}" for r in d["rejections"]]
    lines += [f"  row {w['row']} (kept): {w['field']}: {w['reason']}" for w in d["warnings"]]
    _out(args, d, "\n".join(lines))


def cmd_match_school(con, args):
    found = matching.match_texts(con, args.text)
    data = [m.as_dict() for m in found]
    for d in data:
        d.pop("reason")
    _out(args, data, "\n".join(
        f"{m.text!r}: {m.status}" + (f" -> {m.name} (URN {m.urn})" if m.urn else "")
        + (f" — {m.reason}" if m.reason else "")
        for m in found))


def cmd_next_school_day(con, args):
    try:
        moment = datetime.fromisoformat(args.datetime)
    except ValueError:
        raise CommandError(f"{args.datetime!r} is not a date or date-time (YYYY-MM-DD[THH:MM])") from None
    due, known = calendar.due_by(con, moment, args.urn)
    data = {"next_school_day": due.date().isoformat(), "due_by": due.strftime("%Y-%m-%dT%H:%M"),
            "known_calendar": known}
    _out(args, data, f"next school day {due:%A %d %B %Y}, due by {due:%H:%M}"
                     + ("" if known else " (outside the known calendar: weekdays assumed)"))


def cmd_import_contacts(con, args):
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    d = contacts.import_csv(con, path.read_bytes(), "cli").as_dict()
    lines = [f"{path.name}: {d['rows']} rows: {d['added']} added, {d['changed']} changed, "
             f"{d['unchanged']} unchanged, {d['rejected']} rejected"]
    lines += [f"  row {r['row']}: {r['field']}: {r['reason']}" for r in d["rejections"]]
    _out(args, d, "\n".join(lines))


def cmd_contacts(con, args):
    school = con.execute("select name from schools where urn = ?", [args.urn]).fetchone()
    if school is None:
        raise CommandError(f"URN {args.urn} is not in the register")
    keep = ("role", "name", "email", "phone", "valid_from")
    data = {"urn": args.urn, "name": school[0],
            "current": [{k: c[k] for k in keep} for c in contacts.current(con, args.urn)],
            "history": [{k: c[k] for k in keep + ("valid_to",)} for c in contacts.history(con, args.urn)
                        if c["valid_to"] is not None]}
    text = [f"{school[0]} (URN {args.urn})"] + [
        f"  {contacts.ROLES[c['role']]}: {c['name']} <{c['email'] or '-'}> {c['phone'] or ''}" for c in data["current"]]
    text += [f"  was {contacts.ROLES[c['role']]}: {c['name']} <{c['email'] or '-'}> until {c['valid_to']:%d/%m/%Y}"
             for c in data["history"]]
    _out(args, data, "\n".join(text))


def cmd_export_contacts(con, args):
    out = Path(args.out)
    rows = contacts.export_rows(con)
    columns = ["urn", "school", "role", "name", "email", "phone", "valid_from"]
    if out.suffix.lower() == ".xlsx":
        out.write_bytes(exports.to_xlsx({"Contacts": (rows, columns)}))
    elif out.suffix.lower() == ".csv":
        out.write_bytes(exports.to_csv(rows, columns))
    else:
        raise CommandError("--out must end in .csv or .xlsx")
    with db.transaction(con) as cur:
        audit.record(cur, "cli", "export_contacts", "contacts", None, rows=len(rows), file=out.name)
    _out(args, {"rows": len(rows), "file": str(out)}, f"{len(rows)} contacts written to {out}")


def cmd_queue(con, args):
    d = notifications.queue_summary(con)
    _out(args, d, f"{d['queued']} notifications ready to send; {len(d['blocked'])} blocked"
         + "".join(f"\n  {b['police_ref']}: {b['reason']}" for b in d["blocked"]))


def cmd_send(con, args):
    settings = mailing.MailSettings.from_env()
    notifications.refresh(con, "cli")
    result = notifications.send(con, settings, "cli", retry_failed=args.retry_failed)
    d = {"sent": result.sent, "failed": result.failed, "unknown": result.marked_unknown}
    lines = [f"{d['sent']} sent, {d['failed']} not sent ({settings.transport})"]
    lines += [f"  {o.police_ref or o.id} -> {o.school}: {o.status} {o.detail}" for o in result.outcomes
              if o.status != "sent"]
    _out(args, d, "\n".join(lines))


def cmd_triage_list(con, args):
    try:
        meeting = date.fromisoformat(args.date)
    except ValueError:
        raise CommandError(f"{args.date!r} is not a date (YYYY-MM-DD)") from None
    rows = triage.summary(con, meeting)
    data = {"date": meeting.isoformat(), "incidents": [
        {"police_ref": r["police_ref"], "level": r["level"], "children": r["children"], "note": r["note"]}
        for r in rows]}
    _out(args, data, f"{meeting:%A %d %B %Y}: {len(rows)} on the list"
         + "".join(f"\n  {r['police_ref']}: level {r['level'] if r['level'] is not None else 'not given'}, "
                   f"{r['children']} children" + (f" ({r['note']})" if r["note"] else "") for r in rows))


def cmd_report(con, args):
    try:
        start, end = date.fromisoformat(args.date_from), date.fromisoformat(args.date_to)
    except ValueError:
        raise CommandError("--from and --to are dates (YYYY-MM-DD)") from None
    if end < start:
        raise CommandError("--to is before --from")
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise CommandError("--out must end in .xlsx")
    sheets = stats.report(stats.Stats(con, stats.Filters(start, end)))
    out.write_bytes(stats.report_xlsx(sheets))
    with db.transaction(con) as cur:
        audit.record(cur, "cli", "export_statistics", "statistics", "report", format="xlsx", start=start, end=end)
    summary = dict(zip(sheets["Summary"]["measure"], sheets["Summary"]["value"]))
    data = {"from": start.isoformat(), "to": end.isoformat(), "file": str(out), "sheets": list(sheets),
            "summary": summary}
    _out(args, data, f"report written to {out}\n" + "\n".join(f"  {k}: {v}" for k, v in summary.items()))


def cmd_status(con, args):
    d = status.counts(con)
    _out(args, d, "\n".join(f"{k}: {v}" for k, v in d.items() if k != "by_state")
         + "\nby state: " + ", ".join(f"{k} {v}" for k, v in d["by_state"].items()))


def cmd_open(con, args):
    """Every open child-incident, with names: a read of children's records, audited."""
    items = ledger.open_items(con)
    names = ledger.names(con, [i.id for i in items], "cli")
    suggestions = ledger.suggestions(con, [i.id for i in items if i.state == "needs_school"])
    data = {"as_of": f"{clock.now():%Y-%m-%dT%H:%M}", "children": [{
        "police_ref": i.police_ref, "child": f"{names[i.id]['forename']} {names[i.id]['surname']}",
        "dob": names[i.id]["dob"].isoformat(), "state": i.state, "reason": i.reason,
        "due_by": f"{i.due_by:%Y-%m-%dT%H:%M}", "suggestion": suggestions.get(i.id)} for i in items]}
    now = clock.now()
    _out(args, data, f"{len(items)} open" + "".join(
        f"\n  {i.police_ref} {names[i.id]['forename']} {names[i.id]['surname']}: {ledger.LABELS[i.state]} — "
        f"{i.reason} ({i.time_left(now)})" for i in items))


def cmd_settings(con, args):
    if args.action == "list":
        values = settings.all_settings(con)
        _out(args, values, "\n".join(f"{k} = {v}" for k, v in values.items()))
        return
    if args.key not in settings.SETTINGS or args.value is None:
        raise CommandError(f"settings set KEY VALUE, KEY one of: {', '.join(settings.SETTINGS)}")
    changed = settings.save(con, {args.key: args.value}, "cli")
    _out(args, {"key": args.key, "value": settings.get(con, args.key), "changed": bool(changed)},
         f"{args.key} = {settings.get(con, args.key)}" + ("" if changed else " (unchanged)"))


def cmd_missing(con, args):
    if args.action == "found":
        d = notifications.found(con, args.police_ref, "cli")
        _out(args, d, f"{d['police_ref']} found: {d['found_notices']} found notice(s) queued, "
                      f"{d['withdrawn']} unsent notice(s) withdrawn, {d['closed']} closed")
        return
    missing = [f for f in ("forename", "surname", "dob", "reported") if not getattr(args, f)]
    if missing:
        raise CommandError(f"missing add needs --{' --'.join(missing)}")
    result = sheets.missing_child_notice(con, args.police_ref, args.forename, args.surname, args.dob,
                                         args.reported, args.school or "", "cli")
    d = result.as_dict()
    if result.rejections:
        raise CommandError("; ".join(f"{r.field}: {r.reason}" for r in result.rejections))
    _out(args, d, f"missing-child notice {args.police_ref}: " + (
        "already recorded" if result.already_imported or result.duplicates else
        f"recorded; {'a school to confirm on School matching' if result.needs_review else 'queued to send'}"))


def cmd_demo(con, args):
    counts = demo.build(con, scale=args.scale, seed=args.seed, years=args.years,
                        example_dir=db.ROOT / "data" / "demo" if args.example else None)
    _out(args, counts, "demo data: " + ", ".join(f"{k} {v}" for k, v in counts.items())
         + f"\ndemo users {', '.join(u[0] for u in demo.DEMO_USERS)}; password {demo.DEMO_PASSWORD}")


def cmd_users(con, args):
    if args.action == "list":
        users = auth.list_users(con)
        _out(args, users, "\n".join(
            f"{u['username']}: {u['roles']}" + (f" ({u['agency']})" if u["agency"] else "")
            + (" DISABLED" if u["disabled"] else "") + (" LOCKED" if u["locked"] else "") for u in users))
        return
    if not args.username or not args.role:
        raise CommandError("users add needs USERNAME and --role")
    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("Password: ")
    user = auth.add_user(con, args.username, password, args.role, args.agency, by="cli")
    _out(args, {"username": user.username, "roles": sorted(user.roles), "agency": user.agency},
         f"user {user.username} added ({', '.join(sorted(user.roles))})")


def build_parser() -> argparse.ArgumentParser:
    # --db and --json may stand before or after the command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS,
                        help="database file (default: $ENCOMPASS_DB or data/encompass.duckdb)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    p = argparse.ArgumentParser(prog="encompass", description="Encompass Desk operations", parents=[common])
    sub = p.add_subparsers(dest="command", required=True)
    _add = sub.add_parser
    sub.add_parser = lambda *a, **k: _add(*a, parents=[common], **k)
    sub.add_parser("init", help="create the database and load the bundled register and calendar")
    s = sub.add_parser("import-schools", help="import a GIAS establishments CSV")
    s.add_argument("file")
    s.add_argument("--links", help="the GIAS links CSV")
    s = sub.add_parser("import-calendar", help="import the LA term calendar CSV")
    s.add_argument("file")
    s = sub.add_parser("import-sheet", help="import a daily police sheet (xlsx, xls, csv)")
    s.add_argument("file")
    s = sub.add_parser("match-school", help="match typed school names against the register")
    s.add_argument("text", nargs="+")
    s = sub.add_parser("next-school-day", help="the next school day after a date-time, and the due time")
    s.add_argument("datetime")
    s.add_argument("--urn", type=int, help="use this school's own calendar where it has one")
    s = sub.add_parser("import-contacts", help="import school contacts from CSV (urn, role, name, email, phone)")
    s.add_argument("file")
    s = sub.add_parser("contacts", help="a school's current contacts and their history")
    s.add_argument("urn", type=int)
    s = sub.add_parser("export-contacts", help="write the contacts in force to CSV or XLSX")
    s.add_argument("--out", required=True)
    sub.add_parser("queue", help="queue notifications for matched children; list what is blocked")
    s = sub.add_parser("send", help="send every queued notification with the configured transport")
    s.add_argument("--retry-failed", action="store_true", help="also try the ones that failed before")
    s = sub.add_parser("triage-list", help="the incidents on a meeting's triage list (no names)")
    s.add_argument("date")
    s = sub.add_parser("report", help="the managers' report (suppressed, no names) as XLSX")
    s.add_argument("--from", dest="date_from", required=True)
    s.add_argument("--to", dest="date_to", required=True)
    s.add_argument("--out", required=True)
    sub.add_parser("status", help="counts of what the database holds, every child-incident by state")
    sub.add_parser("open", help="every open child-incident: state, reason, due time and suggestion (names)")
    s = sub.add_parser("settings", help="list the service settings, or set one")
    s.add_argument("action", choices=["list", "set"])
    s.add_argument("key", nargs="?")
    s.add_argument("value", nargs="?")
    s = sub.add_parser("missing", help="a missing-child notice from the police (add), or the child found (found)")
    s.add_argument("action", choices=["add", "found"])
    s.add_argument("police_ref")
    s.add_argument("--forename")
    s.add_argument("--surname")
    s.add_argument("--dob", help="date of birth (dd/mm/yyyy or YYYY-MM-DD)")
    s.add_argument("--reported", help="date reported missing (dd/mm/yyyy or YYYY-MM-DD)")
    s.add_argument("--school", help="the school as the police gave it")
    s = sub.add_parser("demo", help="fill a new database with synthetic demo data")
    s.add_argument("--scale", type=float, default=1.0, help="times Shropshire's volume (150: national size)")
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--years", type=int, help="years of data (default 2, or 10 when --scale > 1)")
    s.add_argument("--example", action="store_true", help="also write today's example sheet to data/demo/")
    s.add_argument("--if-empty", action="store_true", help="do nothing when the database already has sheets")
    s = sub.add_parser("users", help="list users, or add one (password read from standard input)")
    s.add_argument("action", choices=["add", "list"])
    s.add_argument("username", nargs="?")
    s.add_argument("--role", help="comma-separated: coordinator, triage, manager, admin")
    s.add_argument("--agency", help="the agency of a triage member")
    return p


COMMANDS = {"init": cmd_init, "import-schools": cmd_import_schools, "import-calendar": cmd_import_calendar,
            "import-sheet": cmd_import_sheet, "match-school": cmd_match_school,
            "next-school-day": cmd_next_school_day, "import-contacts": cmd_import_contacts,
            "contacts": cmd_contacts, "export-contacts": cmd_export_contacts, "queue": cmd_queue, "send": cmd_send,
            "triage-list": cmd_triage_list, "report": cmd_report, "status": cmd_status, "demo": cmd_demo,
            "users": cmd_users, "open": cmd_open, "settings": cmd_settings, "missing": cmd_missing}
EXPECTED = (CommandError, clock.ClockError, db.DatabaseLocked, sheets.SheetError, schools.RegisterError,
            calendar.CalendarError, demo.DemoError, auth.AuthError, contacts.ContactError, mailing.TransportError,
            settings.SettingError, notifications.NotificationError, ledger.LedgerError, matching.MatchingError,
            FileNotFoundError, PermissionError)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.db = getattr(args, "db", None)
    args.json = getattr(args, "json", False)
    try:
        con = db.connect(args.db)
        # Files of an older version, or copied in by hand, are made owner-only before anything else.
        args.permissions_fixed = files.secure(Path(args.db or db.default_path()),
                                              mailing.MailSettings.from_env().outbox)
        if args.permissions_fixed and args.command != "init":
            print("made private (owner only): " + "; ".join(args.permissions_fixed), file=sys.stderr)
        try:
            if args.command == "demo" and args.if_empty and status.has_data(con):
                data, text = {"skipped": True}, "the database already has data: demo skipped"
                if args.example and demo.is_demo(con):  # a new day wants a new example sheet
                    data["example_sheet"] = str(demo.write_example_sheet(con, db.ROOT / "data" / "demo", clock.today()))
                    text += f"; today's example sheet: {data['example_sheet']}"
                _out(args, data, text)
                return 0
            COMMANDS[args.command](con, args)
        finally:
            con.close()
    except EXPECTED as exc:
        message = str(exc) or exc.__class__.__name__
        if args.json:
            print(json.dumps({"error": message}))
        print(f"encompass {args.command}: {message}", file=sys.stderr)
        return 2 if isinstance(exc, db.DatabaseLocked) else 1
    except Exception as exc:  # still one line: an operator should never face a traceback
        first = (str(exc).strip().splitlines() or [""])[0]
        print(f"encompass {args.command}: unexpected {exc.__class__.__name__}: {first}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
