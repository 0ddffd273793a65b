"""The subject access report: every access to one person's data, as a watermarked PDF."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .relationships import CASE, NOMINAL, NOMINAL_IN_RUN
from .search import keys_of_subject, subject_timeline

MAX_REPORT_EVENTS = 20_000  # one report; more is a matter for the data protection officer


@dataclass(frozen=True)
class Document:
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def subject_label(subject_type: str, subject_id: str) -> str | None:
    """The person's name and reference as an auditor needs them, or None if there is no such
    person. Names only: an auditor reviews access, not case contents or police records."""
    from analytics.models import Nominal, NominalResult
    from safeguarding.models import Case

    if subject_type == CASE:
        case = Case.objects.filter(pk=int(subject_id)).first() if subject_id.isdigit() else None
        return f"{case.forenames} {case.surname} (case {case.reference})" if case else None
    if subject_type == NOMINAL_IN_RUN:
        run_id, _, subject_id = subject_id.partition("/")
        if not (run_id.isdigit() and NominalResult.objects.filter(run_id=int(run_id), nominal_id=subject_id).exists()):
            return None
    if subject_type in (NOMINAL, NOMINAL_IN_RUN):
        nominal = Nominal.objects.filter(pk=subject_id).first()
        return f"{nominal.forenames} {nominal.surname} (nominal {nominal.nominal_id})" if nominal else None
    return None


def subject_access_report_pdf(
    *, user, subject_type: str, subject_id: str, label: str, recipient: str, made_at: datetime
) -> tuple[Document, int]:
    """The report and the number of access events in it."""
    from safeguarding.meetings import WatermarkedPDF, pdf_text

    events: list = []
    cursor = ""
    while len(events) < MAX_REPORT_EVENTS:
        page = subject_timeline(subject_type, subject_id, cursor=cursor, limit=1000)
        events.extend(page.events)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    name = user.get_full_name() or user.get_username()
    pdf = WatermarkedPDF(watermark=pdf_text(f"{name} · {timezone.localtime(made_at):%d %b %Y %H:%M} · for {recipient}"))
    pdf.set_title("Subject access report")
    pdf.set_creator("Safeguarding portal")
    pdf.add_page()
    pdf.heading(f"Subject access report: {label}", size=15)
    keys = ", ".join(f"{kind} {key}" for kind, key in keys_of_subject(subject_type, subject_id))
    pdf.paragraph(
        f"Every recorded access to this person's data in the portal: views, lists and searches that "
        f"showed them, exports that contained them, shares, changes and refused attempts. "
        f"Records searched: {keys}. Prepared by {name} for {recipient}, "
        f"{timezone.localtime(made_at):%d %B %Y %H:%M}. {len(events)} entries."
    )
    if len(events) >= MAX_REPORT_EVENTS:
        pdf.paragraph(f"Only the first {MAX_REPORT_EVENTS} entries are listed.", style="B")
    rows: list[tuple[str, ...]] = [
        (
            f"{timezone.localtime(event.at):%d %b %Y %H:%M:%S}",
            f"{event.actor_username or '-'} ({event.actor_agency or '-'})",
            event.get_action_display(),
            f"{event.object_type} {event.object_id}".strip(),
            " ".join(part for part in (event.purpose, event.reason) if part) or "-",
            ", ".join(str(r.get("recipient") or r.get("agency") or "") for r in event.recipients) or "-",
        )
        for event in events
    ]
    pdf.rows(("When", "Who", "What", "Record", "Why", "Recipients"), rows, widths=(26, 34, 22, 36, 40, 22))
    return Document(content=bytes(pdf.output())), len(events)
