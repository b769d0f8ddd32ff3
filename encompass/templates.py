"""Message templates: Jinja2 in a sandbox, versioned, limited to an allow-list of fields.

The notification carries the minimum by design: the child's name and date of birth, the date of
the incident and the police reference, and how to reply. Never where it happened, who the adults
were or what happened — there are no fields for those, so no template can include them.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from . import audit, clock, db

NAMES = {"domestic_abuse": "Operation Encompass notification (to a school)",
         "missing_child": "Missing-child notice (to a school)",
         "missing_found": "Found: a missing child has been found (to whoever had the notice)",
         "wrong_school_reply": "Reply to a school that does not have the child",
         "ehe_officer": "To the EHE / children-missing-education officer (a child with no school)",
         "other_la": "To another local authority's Operation Encompass lead (a school out of area)"}

# Fields a template may use. Subjects may not use the child's identity (they show in inboxes and logs).
FIELDS = {
    "child_forename": "Child's forename", "child_surname": "Child's surname", "child_name": "Child's full name",
    "child_dob": "Child's date of birth (dd/mm/yyyy)", "incident_date": "Date of the incident (dd/mm/yyyy)",
    "reported_missing": "Date the child was reported missing (dd/mm/yyyy)", "police_ref": "Police reference",
    "school_name": "School's name (for another LA: that authority's name)",
    "typed_school": "The school as the police typed it", "notice": "What the police told us, in a few words",
    "reply_by": "When information for the triage is wanted (e.g. 11:00 on ...)",
    "triage_mailbox": "Mailbox for information for the triage", "coordinator_name": "The co-ordinator's name",
    "coordinator_email": "The co-ordinator's email", "council_name": "The council's name",
    "school_day_note": "A sentence when the notice goes out in a school holiday (else empty)",
}
CHILD_FIELDS = {"child_forename", "child_surname", "child_name", "child_dob"}

SAMPLE = {"child_forename": "Sample", "child_surname": "Testington", "child_name": "Sample Testington",
          "child_dob": "01/02/2016", "incident_date": "27/11/2026", "reported_missing": "27/11/2026",
          "police_ref": "DEMO/000123/26", "school_name": "Belvidere Primary School",
          "typed_school": "Belvidere Primary",
          "notice": "the police attended a domestic abuse incident at which this child may have been present",
          "reply_by": "11:00 on Monday 30 November 2026", "triage_mailbox": "triage@council.example.org",
          "coordinator_name": "The Domestic Abuse Education Co-ordinator",
          "coordinator_email": "encompass@council.example.org", "council_name": "Example Council",
          "school_day_note": ""}

_text_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_html_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)

DEFAULTS = {
    "domestic_abuse": (
        "Operation Encompass notification (police ref {{ police_ref }})",
        """Dear Designated Safeguarding Lead,

This is an Operation Encompass notification from {{ council_name }}.

The police attended a domestic abuse incident at which the child below may have been present.
Please make sure a trusted adult in school is aware and able to offer support today.

  Child:            {{ child_name }}
  Date of birth:    {{ child_dob }}
  Date of incident: {{ incident_date }}
  Police reference: {{ police_ref }}

No reply is needed unless you hold information that may help the daily Domestic Abuse
Triage. If you do, please email {{ triage_mailbox }} with the subject "FAO Domestic Abuse
Triage" by {{ reply_by }} if you can.

If this child is not on roll at {{ school_name }}, please delete this email and tell
{{ coordinator_email }} straight away, so the notification reaches the right school.

Please keep this information confidential, record it in your safeguarding system, and do
not contact the family about it unless your safeguarding judgement says you should.
{{ school_day_note }}
{{ coordinator_name }}
{{ council_name }}
""",
        None,
    ),
    "missing_child": (
        "Operation Encompass: missing-child notice (police ref {{ police_ref }})",
        """Dear Designated Safeguarding Lead,

This is an Operation Encompass notice from {{ council_name }}: the child below was reported
missing to the police.

  Child:             {{ child_name }}
  Date of birth:     {{ child_dob }}
  Reported missing:  {{ reported_missing }}
  Police reference:  {{ police_ref }}

Please make sure a trusted adult in school is aware and can offer support when the child is
next in school. If you have information that may help, email {{ triage_mailbox }}.

If this child is not on roll at {{ school_name }}, please delete this email and tell
{{ coordinator_email }} straight away.
{{ school_day_note }}
{{ coordinator_name }}
{{ council_name }}
""",
        None,
    ),
    "missing_found": (
        "Operation Encompass: found (police ref {{ police_ref }})",
        """Dear colleague,

Further to our missing-child notice with police reference {{ police_ref }}: the child below,
reported missing on {{ reported_missing }}, has been found.

  Child:             {{ child_name }}
  Date of birth:     {{ child_dob }}
  Police reference:  {{ police_ref }}

Please keep this information confidential and record it with the notice in your safeguarding
system. A trusted adult may still want to look out for the child.
{{ school_day_note }}
{{ coordinator_name }}
{{ council_name }}
""",
        None,
    ),
    "ehe_officer": (
        "Operation Encompass: a child with no school (police ref {{ police_ref }})",
        """Dear colleague,

This is an Operation Encompass notice from {{ council_name }} for a child the police recorded
with no school ("{{ typed_school }}"): {{ notice }}.

  Child:             {{ child_name }}
  Date of birth:     {{ child_dob }}
  Date:              {{ incident_date }}
  Police reference:  {{ police_ref }}

As the council's officer for children who are electively home educated or missing education,
please consider who should offer the child support. If you have information that may help the
daily Domestic Abuse Triage, email {{ triage_mailbox }} by {{ reply_by }} if you can.

Please keep this information confidential.

{{ coordinator_name }}
{{ council_name }}
""",
        None,
    ),
    "other_la": (
        "Operation Encompass: a child at a school in your area (police ref {{ police_ref }})",
        """Dear Operation Encompass lead,

{{ council_name }} has an Operation Encompass notice for a child who lives here and, as the
police recorded it, attends a school in your area: {{ typed_school }}. {{ notice | capitalize }}.

  Child:             {{ child_name }}
  Date of birth:     {{ child_dob }}
  Date:              {{ incident_date }}
  Police reference:  {{ police_ref }}

Please pass this to the child's school's Designated Safeguarding Lead before the next school
day, in the way your area does. If the child is not at a school of yours, tell
{{ coordinator_email }} so we can find the right one.

Please keep this information confidential.

{{ coordinator_name }}
{{ council_name }}
""",
        None,
    ),
    "wrong_school_reply": (
        "Re: Operation Encompass notification (police ref {{ police_ref }})",
        """Dear colleague,

Thank you for telling us that the child in the notification with police reference
{{ police_ref }} is not on roll at {{ school_name }}. Please make sure the notification has
been deleted from your systems. We will send it to the right school.

{{ coordinator_name }}
{{ council_name }}
""",
        None,
    ),
}


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Template:
    name: str
    version: int
    subject: str
    body_text: str
    body_html: str | None


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


def _fields_used(env, source: str, part: str) -> set[str]:
    try:
        return meta.find_undeclared_variables(env.parse(source))
    except TemplateSyntaxError as exc:
        raise TemplateError(f"{part}: line {exc.lineno}: {exc.message}") from None


def check(subject: str, body_text: str, body_html: str | None) -> None:
    """Refuse a template that uses anything outside the allow-list, or a child's identity in the subject."""
    for part, env, source in (("subject", _text_env, subject), ("text", _text_env, body_text),
                              ("HTML", _html_env, body_html or "")):
        unknown = _fields_used(env, source, part) - set(FIELDS)
        if unknown:
            raise TemplateError(f"the {part} uses {', '.join(sorted(unknown))}, which a template may not use "
                                f"(allowed: {', '.join(FIELDS)})")
    in_subject = _fields_used(_text_env, subject, "subject") & CHILD_FIELDS
    if in_subject:
        raise TemplateError(f"the subject may not name the child ({', '.join(sorted(in_subject))}): "
                            "subjects show in inboxes, previews and logs")
    if not subject.strip() or not body_text.strip():
        raise TemplateError("a template needs a subject and a text body")
    try:  # every field present: a render on the sample must succeed
        render(Template("check", 0, subject, body_text, body_html), SAMPLE)
    except Exception as exc:  # the sandbox refuses unsafe operations
        raise TemplateError(f"the template does not render: {exc}") from None


@functools.lru_cache(maxsize=64)
def _compiled(html: bool, source: str):
    """Compiling is the slow part of Jinja2; a batch renders the same few sources hundreds of times."""
    return (_html_env if html else _text_env).from_string(source)


def render(t: Template, fields: dict) -> Rendered:
    subject = " ".join(_compiled(False, t.subject).render(fields).split())  # one line, always
    text = _compiled(False, t.body_text).render(fields)
    html = _compiled(True, t.body_html).render(fields) if t.body_html else None
    return Rendered(subject, text, html)


def current(con, name: str) -> Template:
    row = db.one(con, "templates/current", {"name": name})
    if row is None:
        subject, text, html = DEFAULTS[name]
        return Template(name, 0, subject, text, html)  # version 0: the built-in default
    return Template(name, row["version"], row["subject"], row["body_text"], row["body_html"])


def versions(con, name: str) -> list[dict]:
    return db.rows(con, "templates/versions", {"name": name})


def save(con, name: str, subject: str, body_text: str, body_html: str | None, username: str) -> int:
    if name not in DEFAULTS:
        raise TemplateError(f"no template called {name}")
    body_html = body_html if body_html and body_html.strip() else None
    check(subject, body_text, body_html)
    with db.transaction(con) as cur:
        version = (cur.execute("select max(version) from templates where name = ?", [name]).fetchone()[0] or 0) + 1
        cur.execute("insert into templates values (?, ?, ?, ?, ?, ?, ?)",
                    [name, version, subject, body_text, body_html, username, clock.now()])
        audit.record(cur, username, "template_saved", "template", name, version=version)
    return version


def format_date(d: date) -> str:
    return f"{d:%d/%m/%Y}"
