"""From a completed run to the safeguarding pathway: every child (and vulnerable adult) the run
identifies has exactly one case.

One set-based pass per run, whatever its size: a handful of queries, not a query per child.
- People without a case get one, in `identified`, owned by the SOCEx hub covering their local
  authority, or in the force-wide triage queue when the authority is unknown or outside the
  seven. They are the police's alone until the police review refers them.
- People already in the pathway (from any earlier run) get the run linked to their case as new
  intelligence, and their case worker (or, without one, their hub's officers) is notified.
- Two runs finishing together still give one case per person: the database's unique constraint
  on the nominal decides, and the loser of the race links to the winner's case.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TypedDict

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from analytics.models import AnalysisRun, NominalResult
from portal.access import Access, access_grant
from portal.accounts.models import Agency, AgencyKind
from portal.audit.models import AccessAction
from portal.audit.services import record_access

from .deadlines import next_due
from .models import Case, CaseKind, CaseRun, CaseState, CaseTransition, HubCoverage, Notification, Timescales
from .references import next_references


def local_authority_index() -> dict[str, Agency]:
    """Local authorities by every name police records use for them: the code ("birmingham"),
    the full name ("Birmingham City Council") and the place ("Birmingham"), case-insensitive."""
    index: dict[str, Agency] = {}
    for agency in Agency.objects.filter(kind=AgencyKind.LOCAL_AUTHORITY):
        place = agency.name.replace("City of ", "").split(" City Council")[0].split(" Metropolitan Borough")[0]
        place = place.replace(" Council", "")
        for key in (agency.code, agency.name, place):
            index[key.strip().lower()] = agency
    return index


class _Person(TypedDict):
    nominal_id: str
    is_child: bool
    nominal__surname: str
    nominal__forenames: str
    nominal__date_of_birth: date | None
    nominal__local_authority: str


def _people(run: AnalysisRun) -> list[_Person]:
    return list(
        NominalResult.objects.filter(Q(is_child=True) | Q(is_vulnerable_adult=True), run=run)
        .order_by("nominal_id")
        .values(
            "nominal_id",
            "is_child",
            "nominal__surname",
            "nominal__forenames",
            "nominal__date_of_birth",
            "nominal__local_authority",
        )
    )


@transaction.atomic
def cases_from_run(*, run: AnalysisRun) -> dict[str, int]:
    """Open or update the case of everyone `run` identifies. Returns counts: opened, linked
    (new intelligence on an existing case), and triage (opened without a known authority)."""
    people = _people(run)
    if not people:
        return {"opened": 0, "linked": 0, "triage": 0}
    ids = [person["nominal_id"] for person in people]
    existing = set(Case.objects.filter(nominal_id__in=ids).values_list("nominal_id", flat=True))
    new_people = [person for person in people if person["nominal_id"] not in existing]

    authorities = local_authority_index()
    hubs = dict(HubCoverage.objects.values_list("local_authority_id", "hub_id"))
    stored_timescales = {t.local_authority_id: t for t in Timescales.objects.all()}
    default_timescales = Timescales()
    now = timezone.now()
    references = next_references(len(new_people))
    candidates = []
    for person, reference in zip(new_people, references, strict=True):
        recorded = (person["nominal__local_authority"] or "").strip()
        authority = authorities.get(recorded.lower())
        case = Case(
            reference=reference,
            kind=CaseKind.CHILD if person["is_child"] else CaseKind.VULNERABLE_ADULT,
            nominal_id=person["nominal_id"],
            forenames=person["nominal__forenames"] or "(not recorded)",
            surname=person["nominal__surname"] or "(not recorded)",
            date_of_birth=person["nominal__date_of_birth"],
            local_authority=authority,
            recorded_local_authority=recorded[:64],
            hub_id=hubs.get(authority.pk) if authority else None,
            needs_triage=authority is None,
            state=CaseState.IDENTIFIED,
        )
        timescales = stored_timescales.get(authority.pk, default_timescales) if authority else default_timescales
        case.next_due_step, case.next_due_at = next_due(case, now, timescales)
        candidates.append(case)
    # A concurrent run may have opened some of these cases since `existing` was read: the
    # unique constraint skips them here, and they are linked below like any existing case.
    Case.objects.bulk_create(candidates, ignore_conflicts=True, batch_size=2_000)
    opened_refs = [case.reference for case in candidates]
    opened = Case.objects.filter(reference__in=opened_refs) if opened_refs else Case.objects.none()
    opened_ids = dict(opened.values_list("nominal_id", "pk"))
    all_cases = dict(Case.objects.filter(nominal_id__in=ids).values_list("nominal_id", "pk"))

    if opened_ids:
        police = Agency.objects.filter(kind=AgencyKind.POLICE_FORCE)
        for force in police:
            access_grant(
                actor=None, target=Case.objects.filter(pk__in=opened_ids.values()), level=Access.WRITE, agency=force
            )
        CaseTransition.objects.bulk_create(
            [
                CaseTransition(
                    case_id=pk,
                    from_state="",
                    to_state=CaseState.IDENTIFIED,
                    actor_label=f"analysis run {run.pk}",
                    at=now,
                    reason="identified by the network analysis",
                    payload={"run": run.pk},
                )
                for pk in opened_ids.values()
            ],
            batch_size=2_000,
        )
    CaseRun.objects.bulk_create(
        [CaseRun(case_id=pk, run=run, opened_case=nominal_id in opened_ids) for nominal_id, pk in all_cases.items()],
        ignore_conflicts=True,
        batch_size=2_000,
    )
    linked = {nominal_id: pk for nominal_id, pk in all_cases.items() if nominal_id not in opened_ids}
    _notify_new_intelligence(run, Case.objects.filter(pk__in=linked.values()))
    record_access(
        action=AccessAction.CREATE,
        object_type="safeguarding.case",
        reason=f"cases from analysis run {run.pk}: {len(opened_ids)} opened, {len(linked)} new intelligence",
        via="task",
        detail={"run": run.pk, "opened": sorted(opened_ids.values()), "linked": sorted(linked.values())},
    )
    triage = sum(1 for case in candidates if case.needs_triage and case.nominal_id in opened_ids)
    return {"opened": len(opened_ids), "linked": len(linked), "triage": triage}


def _notify_new_intelligence(run: AnalysisRun, cases: QuerySet[Case]) -> None:
    notifications = []
    for case in cases.select_related("hub").prefetch_related("hub__officers"):
        recipients: Iterable = (
            [case.case_worker] if case.case_worker_id else (case.hub.officers.all() if case.hub else [])
        )
        for recipient in recipients:
            notifications.append(
                Notification(
                    recipient=recipient,
                    case=case,
                    kind="new_intelligence",
                    message=f"Analysis run {run.pk} identified {case.reference} again: new intelligence on the case.",
                    dedupe_key=f"intelligence:{case.pk}:{run.pk}",
                )
            )
    Notification.objects.bulk_create(notifications, ignore_conflicts=True, batch_size=2_000)
