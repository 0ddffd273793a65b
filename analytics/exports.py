"""Exports of an analysis run: its groups table, one group's members, one person's profile, as
CSV or PDF. Police intelligence leaving the portal, so every export

- is made only by a role allowed to export (EXPORT_ROLES), of a run the user may read;
- carries the purpose it was made for (a PurposeReason for disclosure and free text) and, when
  it leaves the force, who receives it;
- is watermarked with who made it, when, its export id and the marking: on every page of a PDF,
  on the first and last line of a CSV;
- has every CSV cell that a spreadsheet would read as a formula (starting with = + - @, a tab or
  a carriage return) prefixed with an apostrophe, so a name typed into a police system cannot
  run in the analyst's spreadsheet;
- is recorded as an EXPORT access event with the file's SHA-256, the ids it contained (`shown`),
  the purpose and recipients. The export id is a uuid kept in that event's detail; the file
  itself is not kept (`export_get_for_user` describes it from the event).
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone

from portal.access import require_role
from portal.accounts.roles import POLICE_DATA_ROLES, Role, role_has
from portal.audit.models import AccessAction, AccessEvent, PurposeReason
from portal.audit.services import record_access, subject_keys

from .models import AnalysisRun, GroupResult, NominalResult
from .run_selectors import nominal_result_get_for_user, run_get_for_user

# Who may take police intelligence out of the portal: the analysts and their supervisors.
# (Today every police data role; kept apart so that a new intelligence role is not an exporter
# by default.)
EXPORT_ROLES = frozenset({Role.ANALYST, Role.INTELLIGENCE_SUPERVISOR})
MARKING = "OFFICIAL-SENSITIVE"
# What a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_OBJECT_TYPE = "analytics.export"
GROUP = "analytics.groupresult"
MAX_MEMBERS = 100_000  # one group's members in one file: the largest run's kept network


class ExportKind(models.TextChoices):
    GROUPS = "groups", "Groups of a run"
    MEMBERS = "members", "A group's members"
    PROFILE = "profile", "A person's profile in a run"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV (spreadsheet)"
    PDF = "pdf", "PDF"


CONTENT_TYPES = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.PDF: "application/pdf"}


class ExportNotPossible(Exception):
    """The run has no results to export (queued, running, failed or cancelled)."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export and why; validated by `export_request_clean`."""

    kind: str
    format: str
    run_id: int
    purpose: PurposeReason
    justification: str
    group: int | None = None
    nominal_id: str = ""
    recipient_agency: str = ""
    recipient_person: str = ""

    @property
    def recipients(self) -> list[dict[str, str]]:
        if not (self.recipient_agency or self.recipient_person):
            return []
        return [{"agency": self.recipient_agency, "person": self.recipient_person}]


@dataclass(frozen=True)
class Export:
    export_id: str
    kind: str
    format: str
    run_id: int
    filename: str
    content_type: str
    content: bytes
    sha256: str
    made_at: datetime
    shown: tuple[tuple[str, str], ...] = field(default=())
    event_id: int | None = None


def neutralise_cell(value: object) -> str:
    """`value` as CSV text a spreadsheet shows as text: a leading apostrophe when it would
    otherwise start a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def may_export(user) -> bool:
    return role_has(user, EXPORT_ROLES)


def disclosure_purposes() -> models.QuerySet[PurposeReason]:
    return PurposeReason.objects.filter(active=True, for_disclosure=True)


def export_allowed_or_refuse(*, user, request=None, object_id: str = "") -> None:
    """404 (recorded) for anyone outside police intelligence; 403 (recorded) for a police
    intelligence role that may read but not export."""
    require_role(user=user, roles=POLICE_DATA_ROLES, request=request, object_type=EXPORT_OBJECT_TYPE)
    if not may_export(user):
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            actor=user,
            object_type=EXPORT_OBJECT_TYPE,
            object_id=object_id,
            reason="role may not export",
        )
        raise PermissionDenied("Your role may read analysis runs but not export them.")


def export_request_clean(
    *,
    kind: str,
    format: str,  # noqa: A002 - the word the form and the API use
    run_id: int,
    purpose: str,
    justification: str,
    group: int | None = None,
    nominal_id: str = "",
    recipient_agency: str = "",
    recipient_person: str = "",
) -> ExportRequest:
    """The request as an ExportRequest, or ValidationError naming each field at fault."""
    errors: dict[str, list[str]] = {}
    if kind not in ExportKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(ExportKind.values)}."]
    if format not in ExportFormat.values:
        errors["format"] = [f"Choose one of: {', '.join(ExportFormat.values)}."]
    reason = disclosure_purposes().filter(code=purpose).first() if isinstance(purpose, str) else None
    if reason is None:
        errors["purpose"] = ["Choose a purpose from the list for disclosures."]
    justification = " ".join((justification or "").split())
    if len(justification) < 10:
        errors["justification"] = ["Say what the export is for, in at least 10 characters."]
    elif len(justification) > 500:
        errors["justification"] = ["Keep the justification to 500 characters."]
    recipient_agency = " ".join((recipient_agency or "").split())
    recipient_person = " ".join((recipient_person or "").split())
    if len(recipient_agency) > 200 or len(recipient_person) > 200:
        errors["recipient_agency"] = ["Keep the recipient's agency and name to 200 characters each."]
    elif recipient_person and not recipient_agency:
        errors["recipient_agency"] = ["Name the agency the person you send it to works for."]
    if kind == ExportKind.MEMBERS and group is None:
        errors["group"] = ["Name the group whose members to export."]
    if kind == ExportKind.PROFILE and not nominal_id:
        errors["nominal"] = ["Name the person whose profile to export."]
    if errors:
        raise ValidationError(errors)
    assert reason is not None
    return ExportRequest(
        kind=kind,
        format=format,
        run_id=run_id,
        purpose=reason,
        justification=justification,
        group=group if kind == ExportKind.MEMBERS else None,
        nominal_id=nominal_id if kind == ExportKind.PROFILE else "",
        recipient_agency=recipient_agency,
        recipient_person=recipient_person,
    )


# --- what each export holds --------------------------------------------------------------------


@dataclass
class _Content:
    title: str
    filename: str
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    shown: list[Any]  # records (NominalResult, named also by the person) or (type, id) keys
    widths: tuple[int, ...]
    facts: list[str] = field(default_factory=list)
    sections: list[tuple[str, tuple[str, ...], list[tuple[Any, ...]], tuple[int, ...]]] = field(default_factory=list)


def _person_kind(result: NominalResult) -> str:
    # A child or vulnerable adult is marked as someone to protect, never by a record role.
    if result.is_child:
        return "child"
    if result.is_vulnerable_adult:
        return "vulnerable adult"
    return ""


def _groups_content(run: AnalysisRun) -> _Content:
    groups = list(GroupResult.objects.filter(run=run).defer("members").order_by("priority_rank"))
    return _Content(
        title=f"Groups of analysis run {run.pk}",
        filename=f"run-{run.pk}-groups",
        header=("Priority", "Group", "Members", "Harm (CCHI days)", "Harm (ONS)", "Children", "SOC group"),
        rows=[
            (
                g.priority_rank,
                g.group,
                g.size,
                f"{g.harm_cchi:.1f}",
                f"{g.harm_ons:.1f}",
                g.children_present,
                g.soc_group_id,
            )
            for g in groups
        ],
        shown=[(GROUP, f"{run.pk}/{g.group}") for g in groups],
        widths=(18, 18, 22, 30, 26, 22, 44),
    )


def _members_content(run: AnalysisRun, group: int, *, user, request) -> _Content:
    group_result = GroupResult.objects.filter(run=run, group=group).defer("members").first()
    if group_result is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            actor=user,
            object_type=GROUP,
            object_id=f"{run.pk}/{group}",
            reason="not found",
        )
        raise Http404
    members = list(
        NominalResult.objects.filter(run=run, group=group)
        .select_related("nominal")
        .defer("explanation")
        .order_by("dismantle_rank", "nominal_id")[:MAX_MEMBERS]
    )
    return _Content(
        title=f"Group {group} of analysis run {run.pk}: {group_result.size} members",
        filename=f"run-{run.pk}-group-{group}-members",
        header=("Nominal", "Forenames", "Surname", "Born", "Protect", "W", "d", "Harm (CCHI)", "Betweenness", "Rank"),
        rows=[
            (
                m.nominal_id,
                m.nominal.forenames,
                m.nominal.surname,
                m.nominal.date_of_birth.isoformat() if m.nominal.date_of_birth else "",
                _person_kind(m),
                f"{m.score:.3f}",
                f"{m.direct_evidence:.3f}",
                f"{m.harm_cchi:.1f}",
                f"{m.betweenness:.1f}",
                m.dismantle_rank if m.dismantle_rank is not None else "",
            )
            for m in members
        ],
        # Each member is named as the person in the run and as the person (subject_keys).
        shown=[(GROUP, f"{run.pk}/{group}"), *members],
        widths=(22, 22, 22, 18, 18, 12, 12, 18, 20, 16),
    )


def _profile_content(result: NominalResult) -> _Content:
    run, nominal = result.run, result.nominal
    explanation = result.explanation or {}
    records = explanation.get("records", []) or []
    related = explanation.get("related", []) or []
    facts = [
        f"{nominal.forenames} {nominal.surname} ({result.nominal_id})",
        f"Born {nominal.date_of_birth:%d %B %Y}" if nominal.date_of_birth else "Date of birth not recorded",
        f"Weighting W {result.score:.3f} (threshold {run.threshold}); direct evidence d {result.direct_evidence:.3f}",
        f"Group {result.group}; dismantling rank {result.dismantle_rank if result.dismantle_rank is not None else '-'}",
        f"Harm: CCHI {result.harm_cchi:.1f} days, ONS {result.harm_ons:.1f}",
        f"Centrality: betweenness {result.betweenness_text}, strength {result.strength:.3f}, "
        f"eigenvector {result.eigenvector:.3f}",
    ]
    if result.is_child:
        facts.append(f"A child to protect: routed to the MASH of {result.route_to or 'their local authority'}.")
    elif result.is_vulnerable_adult:
        facts.append("A vulnerable adult to protect.")
    facts.extend(str(line) for line in explanation.get("lines", []) or [])
    record_rows = [
        (
            rec.get("record_id", ""),
            rec.get("score", ""),
            "; ".join(
                f"{t.get('group', '')} {t.get('pattern', '')} ({t.get('weight', '')})" for t in rec.get("terms", [])
            ),
            rec.get("arithmetic", ""),
        )
        for rec in records
    ]
    related_rows = [
        (
            rel.get("nominal_id", ""),
            rel.get("direct_evidence", ""),
            ", ".join(str(r) for r in rel.get("shared_records", []) or []),
            "yes" if rel.get("associated") else "no",
        )
        for rel in related
    ]
    header = ("Section", "Id", "Value", "Detail", "Arithmetic or association")
    rows: list[tuple[Any, ...]] = [("fact", result.nominal_id, fact, "", "") for fact in facts]
    rows += [("record behind d", r[0], r[1], r[2], r[3]) for r in record_rows]
    rows += [("related behind W", r[0], r[1], r[2], r[3]) for r in related_rows]
    shown: list[Any] = [result]
    shown += [("analytics.nominal", str(rel.get("nominal_id"))) for rel in related if rel.get("nominal_id")]
    shown += [("analytics.record", str(rec.get("record_id"))) for rec in records if rec.get("record_id")]
    return _Content(
        title=f"Profile of {result.nominal_id} in analysis run {run.pk}",
        filename=f"run-{run.pk}-profile-{result.nominal_id}",
        header=header,
        rows=rows,
        shown=shown,
        widths=(30, 30, 40, 40, 40),
        facts=facts,
        sections=[
            ("Records behind d", ("Record", "s(r)", "Matched terms", "Arithmetic"), record_rows, (30, 20, 70, 60)),
            (
                "Related people behind W",
                ("Nominal", "d(u)", "Shared records", "Known association"),
                related_rows,
                (40, 25, 85, 30),
            ),
        ],
    )


# --- the files -----------------------------------------------------------------------------------


def watermark_text(*, user, made_at: datetime, export_id: str) -> str:
    name = user.get_full_name() or user.get_username()
    return (
        f"{MARKING} · exported by {name} ({user.get_username()}) · "
        f"{timezone.localtime(made_at):%d %b %Y %H:%M:%S %Z} · export {export_id}"
    )


def _csv(content: _Content, *, watermark: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # The watermark line is the file's own text, written by the portal: not neutralised, but
    # it starts with the marking, never with a formula's first character.
    writer.writerow([watermark])
    writer.writerow([neutralise_cell(value) for value in content.header])
    for row in content.rows:
        writer.writerow([neutralise_cell(value) for value in row])
    writer.writerow([watermark])
    # A byte-order mark so that spreadsheets read the names' accents as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _pdf(content: _Content, *, watermark: str) -> bytes:
    from safeguarding.meetings import WatermarkedPDF, pdf_text

    pdf = WatermarkedPDF(watermark=pdf_text(watermark))
    pdf.set_title(pdf_text(content.title))
    pdf.set_creator("Safeguarding portal")
    pdf.add_page()
    pdf.heading(content.title, size=14)
    pdf.paragraph(
        "Police intelligence from the safeguarding portal. Every child and vulnerable adult named here is a "
        "person to protect. Do not copy or pass it on beyond the purpose it was exported for.",
        size=9,
    )
    if content.facts:
        for fact in content.facts:
            pdf.paragraph(fact, size=10)
        for heading, header, rows, widths in content.sections:
            pdf.heading(heading, size=11)
            if rows:
                pdf.rows(header, [tuple(str(value) for value in row) for row in rows], widths=widths)
            else:
                pdf.paragraph("None.", style="I")
    elif content.rows:
        pdf.rows(content.header, [tuple(str(value) for value in row) for row in content.rows], widths=content.widths)
    else:
        pdf.paragraph("Nothing to list.", style="I")
    return bytes(pdf.output())


def _keys(shown: Iterable[Any]) -> tuple[tuple[str, str], ...]:
    """Every trail key of the records an export contained, once each, in order."""
    return tuple(dict.fromkeys(key for item in shown for key in subject_keys(item)))


def export_create(*, user, spec: ExportRequest, request=None) -> Export:
    """Make the file `spec` asks for and record it; the caller sends the bytes back.

    Access is checked here, as for the pages: a run (or group, or person) the user may not read
    is a 404; a role that may not export is a 403; both recorded. A run without results raises
    ExportNotPossible. If the access event cannot be written, no file is returned.
    """
    export_allowed_or_refuse(user=user, request=request, object_id=str(spec.run_id))
    run = run_get_for_user(user=user, run_id=spec.run_id, request=request, record=False)
    if run.status != AnalysisRun.Status.SUCCEEDED:
        raise ExportNotPossible(f"Run {run.pk} is {run.get_status_display().lower()}: only a finished run has results.")
    if spec.kind == ExportKind.GROUPS:
        content = _groups_content(run)
    elif spec.kind == ExportKind.MEMBERS:
        assert spec.group is not None
        content = _members_content(run, spec.group, user=user, request=request)
    else:
        result = nominal_result_get_for_user(user=user, run_id=run.pk, nominal_id=spec.nominal_id, request=request)
        content = _profile_content(result)
    export_id = str(uuid.uuid4())
    made_at = timezone.now()
    watermark = watermark_text(user=user, made_at=made_at, export_id=export_id)
    data = _csv(content, watermark=watermark) if spec.format == ExportFormat.CSV else _pdf(content, watermark=watermark)
    digest = hashlib.sha256(data).hexdigest()
    shown = _keys(content.shown)
    filename = f"{content.filename}-{export_id[:8]}.{spec.format}"
    with transaction.atomic():
        event = record_access(
            action=AccessAction.EXPORT,
            request=request,
            actor=user,
            object_type=EXPORT_OBJECT_TYPE,
            object_id=export_id,
            result_count=len(content.rows),
            shown=[*shown, ("analytics.analysisrun", str(run.pk))],
            purpose=spec.purpose.code,
            reason=spec.justification,
            recipients=spec.recipients,
            detail={
                "export_id": export_id,
                "kind": spec.kind,
                "format": spec.format,
                "run": run.pk,
                "group": spec.group,
                "nominal": spec.nominal_id or None,
                "filename": filename,
                "sha256": digest,
                "bytes": len(data),
                "made_at": made_at.isoformat(),
                "ids": [f"{kind}:{key}" for kind, key in shown],
            },
        )
    return Export(
        export_id=export_id,
        kind=spec.kind,
        format=spec.format,
        run_id=run.pk,
        filename=filename,
        content_type=CONTENT_TYPES[ExportFormat(spec.format)],
        content=data,
        sha256=digest,
        made_at=made_at,
        shown=shown,
        event_id=event.pk,
    )


def export_get_for_user(*, user, export_id: str, request=None) -> AccessEvent:
    """The access event describing one of the user's own exports (recorded as a view, naming
    the ids it contained). Anyone else's export, or no such export: the same 404."""
    export_allowed_or_refuse(user=user, request=request, object_id=str(export_id)[:64])
    event = None
    try:
        key = str(uuid.UUID(str(export_id)))
    except ValueError:
        key = ""
    if key:
        event = AccessEvent.objects.filter(
            action=AccessAction.EXPORT, actor=user, object_type=EXPORT_OBJECT_TYPE, object_id=key
        ).first()
    if event is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            actor=user,
            object_type=EXPORT_OBJECT_TYPE,
            object_id=str(export_id)[:64],
            reason="not found",
        )
        raise Http404
    record_access(
        action=AccessAction.VIEW,
        request=request,
        actor=user,
        object_type=EXPORT_OBJECT_TYPE,
        object_id=key,
        shown=[(subject.subject_type, subject.subject_id) for subject in event.subjects.all()],
        reason="export metadata",
    )
    return event


def export_ids(event: AccessEvent) -> Sequence[str]:
    return list(event.detail.get("ids", []))
