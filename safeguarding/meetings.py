"""The meetings that work the cases of one local authority: the daily contextual safeguarding
meeting and the disruption panel.

Their agendas build themselves from the cases due, never from a list someone keeps:
- the contextual safeguarding meeting takes every case in `contextual_meeting`, and the cases
  in `monitoring` whose review is due by that day;
- the disruption panel takes every case in `disruption_panel`, and the cases in `monitoring`
  with a disruption tactic whose review date has come.
Each is ordered by when its item is due and scoped to the cases the user may read
(`case_list_for_user`) that are shared with the authority itself: a local authority's own staff
see only their own authority's meetings, everyone else chooses an authority and still sees
only the cases shared with them. Every
agenda shown is recorded as a list with the ids shown; the panel pack, a PDF that leaves the
portal, is recorded as an export with the ids.

The pack holds what the panel's partners may read: the concern and summary, the latest
screening's score and levels, the tactics with their owners and review dates. Never a record
role (suspect, offender...), never police intelligence, never a tactic's free-text notes (they
may name the adults the tactics disrupt).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NoReturn

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from portal.access import require_role
from portal.accounts.models import Agency, AgencyKind
from portal.accounts.roles import CASE_ROLES
from portal.audit.models import AccessAction
from portal.audit.services import record_access

from .models import (
    Case,
    CaseGroupObjectPermission,
    CaseState,
    CaseTransition,
    DisruptionTactic,
    MeetingKind,
    MonitoringReview,
    RiskLevel,
    Screening,
    Timescales,
)
from .pathway import kind_label
from .screening import MAXIMUM_SCORE
from .selectors import case_list_for_user
from .timescales import due_after, end_of_working_day

S = CaseState
MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class AgendaItem:
    """One case on a meeting's agenda: why it is there and when that is due."""

    case: Case
    reason: str
    due_at: datetime | None
    tactics_due: tuple[DisruptionTactic, ...] = field(default=())


def _is_local_authority_user(user) -> bool:
    return user.agency.kind == AgencyKind.LOCAL_AUTHORITY


def chooses_authority(user) -> bool:
    """Whether `user` chooses whose meetings to see (the police and partners outside a local
    authority) rather than seeing their own authority's only."""
    return not _is_local_authority_user(user)


def _refuse(*, user, request, reason: str) -> NoReturn:
    record_access(
        action=AccessAction.REFUSED, request=request, actor=user, object_type="safeguarding.meeting", reason=reason
    )
    raise Http404


def meeting_authority_for_user(*, user, code: str = "", request=None) -> Agency | None:
    """The local authority whose meetings `user` looks at.

    A local authority's own staff (MASH, panel) see only their own: asking for another is the
    same 404 as asking for one that does not exist. Everyone else (the police, health,
    education) chooses one: None until they do. Roles outside casework get 404. Refusals are
    recorded.
    """
    require_role(user=user, roles=CASE_ROLES, request=request, object_type="safeguarding.meeting")
    if _is_local_authority_user(user):
        if code and code != user.agency.code:
            _refuse(user=user, request=request, reason="meetings of another local authority")
        return user.agency
    if not code:
        return None
    authority = Agency.objects.filter(kind=AgencyKind.LOCAL_AUTHORITY, code=code).first()
    if authority is None:
        _refuse(user=user, request=request, reason="meetings of an unknown local authority")
    return authority


def _authority_cases(*, user, local_authority: Agency, request) -> QuerySet[Case]:
    """The cases of `local_authority` that `user` may read and that are shared with the
    authority itself, each with when it entered its current state (its deadline for that state
    counts from then).

    Shared with the authority: the meeting is the authority's, with its partners in the room,
    so a case the authority may no longer read (a vulnerable adult who withdrew consent) is not
    on its agenda or in its pack, even for the police who still hold it.
    """
    if _is_local_authority_user(user) and local_authority.pk != user.agency_id:
        _refuse(user=user, request=request, reason="meetings of another local authority")
    shared_with_authority = CaseGroupObjectPermission.objects.filter(
        group_id=local_authority.group_id, permission__codename="view_case"
    ).values("content_object_id")
    entered = (
        CaseTransition.objects.filter(case=OuterRef("pk"), to_state=OuterRef("state"))
        .order_by("-at", "-id")
        .values("at")
    )
    return (
        case_list_for_user(user=user, request=request)
        .filter(local_authority=local_authority, pk__in=shared_with_authority)
        .annotate(state_entered_at=Subquery(entered[:1]))
    )


def _timescales(local_authority: Agency) -> Timescales:
    return Timescales.objects.filter(local_authority=local_authority).first() or Timescales()


def _ordered(items: list[AgendaItem]) -> list[AgendaItem]:
    """Soonest due first; a case with no due time (none is expected) last."""
    return sorted(items, key=lambda item: (item.due_at is None, item.due_at or timezone.now(), item.case.reference))


def _contextual_items(*, user, local_authority: Agency, day: date, request) -> list[AgendaItem]:
    timescales = _timescales(local_authority)
    cases = (
        _authority_cases(user=user, local_authority=local_authority, request=request)
        .filter(state__in=[S.CONTEXTUAL_MEETING, S.MONITORING])
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=MonitoringReview.objects.filter(done_on__isnull=True, due_on__lte=day),
                to_attr="reviews_due",
            )
        )
    )
    items = []
    for case in cases:
        entered = getattr(case, "state_entered_at", None) or case.created_at
        if case.state == S.CONTEXTUAL_MEETING:
            due = due_after(entered, timescales.contextual_meeting_days)
            items.append(AgendaItem(case=case, reason="Awaiting the contextual safeguarding meeting", due_at=due))
            continue
        # Monitoring: the review counts from entering monitoring (the case's next due step may
        # be an earlier NRM decision), plus any review booked by hand and not yet done. A
        # review overdue on the day is still due.
        dues = [end_of_working_day(review.due_on) for review in case.reviews_due]
        review_due = due_after(entered, timescales.monitoring_review_days)
        if timezone.localtime(review_due).date() <= day:
            dues.append(review_due)
        if dues:
            items.append(AgendaItem(case=case, reason="Monitoring review due", due_at=min(dues)))
    return _ordered(items)


def _panel_items(*, user, local_authority: Agency, day: date, request, pack: bool = False) -> list[AgendaItem]:
    timescales = _timescales(local_authority)
    tactics_due = DisruptionTactic.objects.filter(review_on__lte=day).values("case_id")
    cases = (
        _authority_cases(user=user, local_authority=local_authority, request=request)
        .filter(Q(state=S.DISRUPTION_PANEL) | Q(state=S.MONITORING, pk__in=tactics_due))
        .prefetch_related(Prefetch("tactics", queryset=DisruptionTactic.objects.select_related("kind", "owner_agency")))
    )
    if pack:
        cases = cases.prefetch_related(
            Prefetch("screenings", queryset=Screening.objects.order_by("-screened_at", "-id"), to_attr="latest")
        )
    items = []
    for case in cases:
        if case.state == S.DISRUPTION_PANEL:
            entered = getattr(case, "state_entered_at", None) or case.created_at
            due = due_after(entered, timescales.disruption_panel_days)
            items.append(AgendaItem(case=case, reason="Referred to the disruption panel", due_at=due))
            continue
        due_tactics = tuple(tactic for tactic in case.tactics.all() if tactic.review_on <= day)
        if due_tactics:
            items.append(
                AgendaItem(
                    case=case,
                    reason="Disruption tactics due for review",
                    due_at=end_of_working_day(min(tactic.review_on for tactic in due_tactics)),
                    tactics_due=due_tactics,
                )
            )
    return _ordered(items)


def _record(*, action, user, request, meeting: str, local_authority: Agency, day: date, items, reason: str) -> None:
    record_access(
        action=action,
        request=request,
        actor=user,
        object_type="safeguarding.case",
        result_count=len(items),
        reason=f"{reason} for {local_authority} on {day:%d %b %Y}",
        detail={
            "meeting": meeting,
            "local_authority": local_authority.code,
            "day": day.isoformat(),
            "ids": [str(item.case.pk) for item in items],
        },
    )


def contextual_meeting_agenda(*, user, local_authority: Agency, day: date, request=None) -> list[AgendaItem]:
    """The daily contextual safeguarding meeting's agenda for `local_authority` on `day`, ordered
    by due time, of the cases `user` may read. Recorded as a list with the ids shown."""
    items = _contextual_items(user=user, local_authority=local_authority, day=day, request=request)
    _record(
        action=AccessAction.LIST,
        user=user,
        request=request,
        meeting=MeetingKind.CONTEXTUAL_MEETING,
        local_authority=local_authority,
        day=day,
        items=items,
        reason="contextual safeguarding meeting agenda",
    )
    return items


def disruption_panel_list(*, user, local_authority: Agency, day: date, request=None) -> list[AgendaItem]:
    """The disruption panel's list for `local_authority` on `day`, ordered by due time, of the
    cases `user` may read. Recorded as a list with the ids shown."""
    items = _panel_items(user=user, local_authority=local_authority, day=day, request=request)
    _record(
        action=AccessAction.LIST,
        user=user,
        request=request,
        meeting=MeetingKind.DISRUPTION_PANEL,
        local_authority=local_authority,
        day=day,
        items=items,
        reason="disruption panel list",
    )
    return items


# --- the panel pack ------------------------------------------------------------------------------

PDF_ENCODING = "windows-1252"  # the core fonts' encoding: curly quotes and dashes, not only Latin-1
# Letters Unicode does not decompose into a base letter and an accent, as they are written bare.
BARE_LETTERS = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŧ": "T", "ŧ": "t"})


def pdf_text(value: object) -> str:
    """`value` as text the PDF's core fonts can print: accents kept where the encoding has them,
    folded to the bare letter where it has not ("ą" → "a", "ł" → "l"), "?" for anything else
    (an emoji, another script: the core fonts have no such glyphs)."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").translate(BARE_LETTERS)
    out = []
    for char in text:
        if char != "\n" and unicodedata.category(char) in ("Cc", "Cf"):
            continue
        try:
            char.encode(PDF_ENCODING)
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", char).encode(PDF_ENCODING, "ignore").decode(PDF_ENCODING)
            out.append(folded or "?")
        else:
            out.append(char)
    return "".join(out)


class _PanelPack(FPDF):
    """A4 pages, each marked OFFICIAL-SENSITIVE and watermarked with who took the pack, when."""

    def __init__(self, *, watermark: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.core_fonts_encoding = PDF_ENCODING
        self.watermark = watermark
        self.set_margins(left=15, top=24, right=15)
        self.set_auto_page_break(auto=True, margin=18)

    def header(self) -> None:
        # The diagonal watermark first, so the page's text lies over it.
        self.set_text_color(215, 215, 215)
        for text, size, offset in ((MARKING, 40, -8), (self.watermark, 16, 10)):
            self.set_font("Helvetica", "B", size)
            width = self.get_string_width(text)
            with self.rotation(angle=45, x=self.w / 2, y=self.h / 2):
                self.text(x=(self.w - width) / 2, y=self.h / 2 + offset, text=text)
        self.set_text_color(0, 0, 0)
        self.set_xy(self.l_margin, 8)
        self.set_font("Helvetica", "B", 10)
        self.cell(0, 5, MARKING, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 4, self.watermark, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(0, 0, 0)
        self.cell(0, 5, f"{MARKING} · {self.watermark} · page {self.page_no()} of {{nb}}", align="C")

    # small helpers for the body
    def heading(self, text: str, size: int = 13) -> None:
        self.set_font("Helvetica", "B", size)
        self.multi_cell(0, 7, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def paragraph(self, text: str, *, style: str = "", size: int = 10) -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, 5, pdf_text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def rows(self, header: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[int, ...]) -> None:
        self.set_font("Helvetica", "", 9)
        with self.table(col_widths=widths, text_align="LEFT", first_row_as_headings=True) as table:
            for row in [header, *rows]:
                line = table.row()
                for value in row:
                    line.cell(pdf_text(value))
        self.ln(3)


# The same watermarked pages for the portal's other PDF exports (the auditor's subject access
# report, the analyst's exports).
WatermarkedPDF = _PanelPack


def _when(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%a %d %b %Y %H:%M}" if moment else "-"


def _render_pack(*, user, local_authority: Agency, day: date, items: list[AgendaItem], made_at: datetime) -> bytes:
    name = user.get_full_name() or user.get_username()
    pdf = _PanelPack(watermark=pdf_text(f"{name} · {timezone.localtime(made_at):%d %b %Y %H:%M}"))
    pdf.set_title("Disruption panel pack")
    pdf.set_creator("Safeguarding portal")
    pdf.add_page()
    pdf.heading(f"Disruption panel: {local_authority}, {day:%A %d %B %Y}", size=16)
    pdf.paragraph(
        f"Prepared for {name} on {timezone.localtime(made_at):%d %B %Y at %H:%M}. Every child here is a child "
        "to protect, whatever any police record says of them. This pack holds only what the panel's partners "
        "may read; do not copy it, and destroy it after the meeting.",
        size=9,
    )
    if not items:
        pdf.paragraph("No case is due at the panel that day among the cases shared with you.", style="I")
    else:
        pdf.rows(
            ("#", "Reference", "Name", "Why on the list", "Due"),
            [
                (
                    str(number),
                    item.case.reference,
                    f"{item.case.forenames} {item.case.surname}",
                    item.reason,
                    _when(item.due_at),
                )
                for number, item in enumerate(items, start=1)
            ],
            widths=(8, 30, 50, 55, 37),
        )
    for number, item in enumerate(items, start=1):
        case = item.case
        pdf.add_page()
        pdf.heading(f"{number}. {case.reference}: {case.forenames} {case.surname}")
        facts = [
            kind_label(case),
            f"born {case.date_of_birth:%d %B %Y}" if case.date_of_birth else "date of birth unknown",
            f"risk {RiskLevel(case.risk_level).label.lower()}" if case.risk_level else "risk not yet rated",
            S(case.state).label,
        ]
        pdf.paragraph(" · ".join(facts), style="B", size=10)
        pdf.paragraph(f"{item.reason}; due {_when(item.due_at)}.", size=9)
        pdf.heading("Concern", size=11)
        pdf.paragraph(case.concern or "No concern recorded.")
        pdf.heading("Summary", size=11)
        pdf.paragraph(case.summary or "No summary yet.")
        pdf.heading("Latest screening", size=11)
        latest = next(iter(getattr(case, "latest", [])), None)
        if latest is None:
            pdf.paragraph("Not screened yet.")
        else:
            pdf.paragraph(
                f"Score {latest.score} of {MAXIMUM_SCORE}; the tool suggested "
                f"{RiskLevel(latest.suggested_level).label.lower()}, the practitioner chose "
                f"{RiskLevel(latest.chosen_level).label.lower()} ({timezone.localtime(latest.screened_at):%d %b %Y})."
            )
        pdf.heading("Disruption tactics so far", size=11)
        tactics = list(case.tactics.all())
        if not tactics:
            pdf.paragraph("None yet.")
        else:
            pdf.rows(
                ("Tactic", "Owner", "Review on", ""),
                [
                    (
                        str(tactic.kind),
                        str(tactic.owner_agency),
                        f"{tactic.review_on:%d %b %Y}",
                        "due" if tactic.review_on <= day else "",
                    )
                    for tactic in tactics
                ],
                widths=(80, 55, 30, 15),
            )
    return bytes(pdf.output())


def panel_pack_pdf(*, user, local_authority: Agency, day: date, request=None) -> bytes:
    """The disruption panel's pack for `local_authority` on `day`, as PDF: the list, then each
    case (concern, summary, latest screening, tactics with owners and review dates), every
    page watermarked with the user's name, the time and the marking. Recorded as an export
    with the case ids; when the record cannot be written, no pack is returned."""
    items = _panel_items(user=user, local_authority=local_authority, day=day, request=request, pack=True)
    made_at = timezone.now()
    document = _render_pack(user=user, local_authority=local_authority, day=day, items=items, made_at=made_at)
    _record(
        action=AccessAction.EXPORT,
        user=user,
        request=request,
        meeting=MeetingKind.DISRUPTION_PANEL,
        local_authority=local_authority,
        day=day,
        items=items,
        reason="disruption panel pack (PDF)",
    )
    return document
