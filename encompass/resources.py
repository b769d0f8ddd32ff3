"""Documents for schools, in the council's own words: a letter to parents and a record-of-referral
form. Written as RTF so any word processor opens and edits them; names come from settings."""
from __future__ import annotations

from . import settings


def _rtf(paragraphs: list[tuple[str, str]]) -> bytes:
    """paragraphs: (style, text) with style 'title', 'heading', 'body' or 'field'."""
    def esc(text: str) -> str:
        out = []
        for ch in text:
            if ch in "\\{}":
                out.append("\\" + ch)
            elif ord(ch) > 127:
                out.append(f"\\u{ord(ch) if ord(ch) < 32768 else ord(ch) - 65536}?")
            else:
                out.append(ch)
        return "".join(out)

    styles = {"title": r"\b\fs32 ", "heading": r"\b\fs24 ", "body": r"\fs22 ", "field": r"\fs22 "}
    body = [r"{\rtf1\ansi\deff0{\fonttbl{\f0 Arial;}}\f0"]
    for style, text in paragraphs:
        line = esc(text) + (r" ______________________________" if style == "field" else "")
        body.append(r"{\pard\sa200 " + styles[style] + line + r"\par}")
    body.append("}")
    return "\n".join(body).encode("ascii")


def parent_letter(con) -> bytes:
    s = settings.all_settings(con)
    return _rtf([
        ("body", "[School logo]                                                        [Date]"),
        ("body", "Dear Parent or Carer,"),
        ("heading", "Our school takes part in Operation Encompass"),
        ("body", f"Operation Encompass is a partnership between the police, {s['council_name']} and schools. When the "
                 "police attend a domestic abuse incident at which a child may have been present, the school is told "
                 "discreetly before the next school day, so that a trusted adult can be there for the child."),
        ("body", "The information shared is kept to the minimum: enough to know which child, and when. It goes to our "
                 "Designated Safeguarding Lead or their deputy, who are trained to use it in confidence and to keep it "
                 "with our other safeguarding records."),
        ("body", "Children who live with domestic abuse may feel worried, tired or unsettled. Knowing early means "
                 "we can offer quiet support in school: a familiar face, a calm space, or simply understanding."),
        ("body", "Sharing this information is allowed under safeguarding law and data protection law without the "
                 "consent of the child or parent, because it helps keep children safe and supported."),
        ("body", "If you would like to talk about this letter, please contact me or our Designated Safeguarding Lead."),
        ("body", "If you are worried about domestic abuse, help is available: in an emergency call 999; otherwise the "
                 "police on 101, or a domestic abuse support service."),
        ("body", "Yours sincerely,"),
        ("field", "Headteacher"),
    ])


def referral_record(con) -> bytes:
    s = settings.all_settings(con)
    return _rtf([
        ("title", "Operation Encompass — record of notification"),
        ("body", "For the school's safeguarding records. Keep with child protection information."),
        ("field", "Date received"),
        ("field", "School"),
        ("field", "Child's name and date of birth"),
        ("field", "Date of incident"),
        ("field", "Police reference"),
        ("heading", "What the school did"),
        ("field", "Staff told (on a need-to-know basis)"),
        ("field", "Support offered (or the decision not to act, and why)"),
        ("field", "Follow-up and review date"),
        ("heading", "Information for the Domestic Abuse Triage"),
        ("body", f"Only if you have something relevant: email {s['triage_mailbox']} with the subject "
                 f"\"FAO Domestic Abuse Triage\" by {s['triage_reply_by']} on the next working day."),
        ("field", "Information shared, by whom and when"),
        ("body", f"If the child is not on your roll, delete the notification and tell {s['coordinator_email']}."),
        ("body", "This record does not replace the usual safeguarding referral procedures."),
        ("field", "Completed by"),
        ("field", "Date"),
    ])
