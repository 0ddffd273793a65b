"""Reads of safeguarding cases, scoped to what the user may see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from analytics.models import NominalResult
from portal.access import Access, get_object_for_user, objects_for_user, require_role
from portal.accounts.models import Agency, AgencyKind
from portal.accounts.roles import CASE_ROLES, Role
from portal.audit.models import AccessAction
from portal.audit.purpose import require_purpose
from portal.audit.services import record_access
from portal.text import clean_query

from .deadlines import NEXT_STEP
from .models import (
    FINISHED_STATES,
    Case,
    CaseRun,
    CaseState,
    CaseTransition,
    DisruptionTactic,
    LinkedInvestigation,
    Meeting,
    MonitoringReview,
    Notification,
    NrmDecision,
    NrmReferral,
    Screening,
)

# The steps in pathway order, for the dashboard's groups.
STEP_ORDER = [step for step, _ in NEXT_STEP.values()]


def case_list_for_user(*, user, query: str = "", request=None, via: str = "") -> QuerySet[Case]:
    """Cases shared with the user or their agency, optionally filtered. Records the list or
    search; the caller records nothing more."""
    require_role(user=user, roles=CASE_ROLES, request=request, object_type="safeguarding.case")
    cases = objects_for_user(user, Case.objects.select_related("local_authority"), Access.READ)
    query = clean_query(query)
    if query:
        cases = cases.filter(Q(reference__iexact=query) | Q(surname__icontains=query) | Q(forenames__icontains=query))
    return cases.order_by("-created_at", "-id")


def case_list_filtered(
    *,
    user,
    query: str = "",
    state: str = "",
    local_authority: Agency | None = None,
    overdue: bool | None = None,
    run_id: int | None = None,
    request=None,
) -> QuerySet[Case]:
    """`case_list_for_user` narrowed by the API's filters (already checked by the caller).
    Records nothing more: the caller records the page it shows (`record_case_list`)."""
    cases = case_list_for_user(user=user, query=query, request=request)
    if state:
        cases = cases.filter(state=state)
    if local_authority is not None:
        cases = cases.filter(local_authority=local_authority)
    if overdue is not None:
        # The same test as Case.overdue, in the database: due, and the moment has passed.
        late = Q(next_due_at__isnull=False, next_due_at__lt=timezone.now())
        cases = cases.filter(late if overdue else ~late)
    if run_id is not None:
        cases = cases.filter(run_links__run_id=run_id)  # one link per case and run: no duplicates
    return cases


def record_case_list(*, user, query: str, shown: int, ids: Iterable | None = None, request=None) -> None:
    """Record a list or search of cases; `ids`, when given, are the cases shown (the API
    lists them so that the trail says who was seen, not only how many)."""
    query = clean_query(query)
    record_access(
        action=AccessAction.SEARCH if query else AccessAction.LIST,
        request=request,
        actor=user,
        object_type="safeguarding.case",
        query=query,
        result_count=shown,
        detail={"ids": [str(pk) for pk in ids]} if ids is not None else None,
    )


def case_get_for_user(*, user, case_id, level: Access = Access.READ, request=None) -> Case:
    """The case, if `user` may read it (404 otherwise) and, for WRITE, change it (403)."""
    require_role(user=user, roles=CASE_ROLES, request=request, object_type="safeguarding.case", object_id=case_id)
    # Opened with no workflow relationship: the purpose first (portal/audit/purpose.py).
    purpose = require_purpose(request, user=user, subject_type="safeguarding.case", subject_id=str(case_id))
    return get_object_for_user(
        user=user,
        queryset=Case.objects.select_related("local_authority", "created_by"),
        pk=case_id,
        level=level,
        request=request,
        purpose=purpose,
    )


# --- the case page's chronology ----------------------------------------------------------------


def _moment(day: date, recorded: datetime | None = None) -> datetime:
    """Where an event known only by its day sits in the chronology: at the time it was recorded
    when that was the same day (a meeting typed up straight away stays before the decision it
    led to), else at the start of the day."""
    if recorded is not None and timezone.localdate(recorded) == day:
        return recorded
    return timezone.make_aware(datetime.combine(day, time.min))


def _entry(at: datetime, kind: str, title: str, *, text: str = "", by: str = "", details=(), **extra) -> dict:
    return {"at": at, "kind": kind, "title": title, "text": text, "by": by, "details": list(details), **extra}


def _person(user) -> str:
    return f"{user.get_username()} ({user.agency})" if user is not None else ""


def _is_police(user) -> bool:
    return user is not None and user.agency.kind == AgencyKind.POLICE_FORCE


def case_chronology(case: Case, *, police: bool = False) -> list[dict]:
    """Everything that happened to `case`, oldest first, as plain dicts (at, kind, title, text,
    by, details, date_only): transitions, screenings, meetings, tactics, monitoring reviews,
    NRM decisions and, with `police`, investigation decisions and the runs that found the person.

    The caller has authorised the read. Pass `police` only for a police-agency viewer: without
    it the police's intelligence (which runs found the person and why) and the police's own
    words (reasons written by police staff, the portal's labels for runs) are left out. The
    concern, shown on its own, is the only police text a partner reads; investigations stay
    with the police because they would name the child's role in police records.
    """
    entries: list[dict] = []
    transitions = CaseTransition.objects.filter(case=case).select_related("actor__agency").order_by("at", "id")
    for transition in transitions:
        title = (
            f"{CaseState(transition.from_state).label} → {CaseState(transition.to_state).label}"
            if transition.from_state
            else f"Opened: {CaseState(transition.to_state).label}"
        )
        by_police = transition.actor is None or _is_police(transition.actor)
        if police:
            by = _person(transition.actor) or transition.actor_label
            text = transition.reason
            override = transition.payload.get("consent_override", "")
            details = [f"Shared without consent: {override}"] if override else []
        else:
            by = _person(transition.actor) if transition.actor is not None else "the safeguarding portal"
            text = "" if by_police else transition.reason
            details = []
        entries.append(_entry(transition.at, "transition", title, text=text, by=by, details=details))

    for screening in Screening.objects.filter(case=case).select_related("screened_by__agency"):
        details = [
            f"Score {screening.score}; the tool suggests {screening.get_suggested_level_display().lower()}",
            f"Level chosen: {screening.get_chosen_level_display().lower()}",
        ]
        entries.append(
            _entry(
                screening.screened_at,
                "screening",
                "Exploitation screening",
                text=screening.override_reason,
                by=_person(screening.screened_by),
                details=details,
            )
        )

    meetings = Meeting.objects.filter(case=case).select_related("recorded_by__agency").prefetch_related("attendees")
    for meeting in meetings:
        details = [f"Agencies present: {', '.join(str(agency) for agency in meeting.attendees.all())}"]
        if meeting.attendee_names:
            details.append(f"Present: {meeting.attendee_names}")
        if meeting.outcome:
            details.append(f"Outcome: {meeting.get_outcome_display()}")
        details.append(f"Decision: {meeting.get_decision_display()}")
        entries.append(
            _entry(
                _moment(meeting.held_on, meeting.recorded_at),
                "meeting",
                f"{meeting.get_kind_display()} held",
                text=meeting.minutes,
                by=_person(meeting.recorded_by),
                details=details,
                date_only=True,
            )
        )

    for tactic in DisruptionTactic.objects.filter(case=case).select_related("kind", "owner_agency"):
        entries.append(
            _entry(
                tactic.created_at,
                "tactic",
                f"Disruption tactic: {tactic.kind}",
                text=tactic.notes,
                details=[f"Owner: {tactic.owner_agency}", f"Review by {tactic.review_on:%d %b %Y}"],
            )
        )

    for review in MonitoringReview.objects.filter(case=case).select_related("recorded_by__agency"):
        entries.append(
            _entry(
                _moment(review.done_on or review.due_on),
                "review",
                "Monitoring review" if review.done_on else "Monitoring review due",
                text="" if _is_police(review.recorded_by) and not police else review.notes,
                by=_person(review.recorded_by),
                date_only=True,
            )
        )

    nrm = NrmReferral.objects.filter(case=case).select_related("first_responder").first()
    if nrm is not None:
        entries.append(
            _entry(
                _moment(nrm.submitted_on),
                "nrm",
                "National Referral Mechanism referral submitted",
                by=str(nrm.first_responder),
                details=[nrm.get_adult_basis_display()] if nrm.adult_basis else [],
                date_only=True,
            )
        )
        for stage, decision, day in (
            ("Reasonable grounds", nrm.reasonable_grounds, nrm.reasonable_grounds_on),
            ("Conclusive grounds", nrm.conclusive_grounds, nrm.conclusive_grounds_on),
        ):
            if decision != NrmDecision.PENDING and day is not None:
                label = NrmDecision(decision).label.lower()
                entries.append(_entry(_moment(day), "nrm", f"NRM {stage.lower()} decision: {label}", date_only=True))

    if police:
        investigations = LinkedInvestigation.objects.filter(case=case).select_related("recorded_by__agency")
        for investigation in investigations:
            details = [
                "Outcome 22: diversionary activity, no prosecution"
                if investigation.outcome_22
                else "Outcome 22 not used",
                "Section 45 defence considered" if investigation.section_45_considered else "Section 45 not considered",
            ]
            if investigation.diversion_activity:
                details.append(f"Diversion: {investigation.diversion_activity}")
            entries.append(
                _entry(
                    _moment(investigation.decided_on, investigation.recorded_at)
                    if investigation.decided_on
                    else investigation.recorded_at,
                    "investigation",
                    f"Investigation {investigation.crime_reference}: decision recorded",
                    by=_person(investigation.recorded_by),
                    details=details,
                )
            )
        results = {
            result.run_id: result
            for result in NominalResult.objects.filter(
                run_id__in=CaseRun.objects.filter(case=case).values("run_id"), nominal_id=case.nominal_id
            )
        }
        for link in CaseRun.objects.filter(case=case).order_by("linked_at", "id"):
            result = results.get(link.run_id)
            entries.append(
                _entry(
                    link.linked_at,
                    "intelligence",
                    f"Identified by analysis run #{link.run_id}"
                    if link.opened_case
                    else f"New intelligence: analysis run #{link.run_id} identified the person again",
                    by=f"analysis run {link.run_id}",
                    details=list(result.safeguarding_reasons) if result else [],
                    explanation=list((result.explanation or {}).get("lines", [])) if result else [],
                    run_id=link.run_id,
                    nominal_id=case.nominal_id or "",
                )
            )

    # Records before the transition they led to when both carry the same moment.
    order = {"transition": 1}
    entries.sort(key=lambda entry: (entry["at"], order.get(entry["kind"], 0)))
    for entry in entries:
        entry.setdefault("date_only", False)
    return entries


# --- the dashboard -------------------------------------------------------------------------------

# Who has a dashboard, and over which cases: their authority's, their hub's, or all.
AUTHORITY_DASHBOARD_ROLES = frozenset({Role.MASH_PRACTITIONER, Role.MASH_MANAGER, Role.PANEL_MEMBER})
DASHBOARD_ROLES = AUTHORITY_DASHBOARD_ROLES | {Role.POLICE_SAFEGUARDING_OFFICER, Role.INTELLIGENCE_SUPERVISOR}
DASHBOARD_ROWS = 200  # per list; the case list and the API page through the rest


def dashboard_cases(*, user, request=None) -> tuple[str, QuerySet[Case]]:
    """(what the scope is called, the cases of the user's dashboard): their local authority's for
    MASH roles and the panel, their SOCEx hubs' for a police safeguarding officer, every case
    for an intelligence supervisor; always within what they may read. Anyone else: Http404."""
    require_role(user=user, roles=DASHBOARD_ROLES, request=request, object_type="safeguarding.case")
    readable = case_list_for_user(user=user, request=request)
    if user.role == Role.INTELLIGENCE_SUPERVISOR:
        return "every case", readable
    if user.role == Role.POLICE_SAFEGUARDING_OFFICER:
        hubs = list(user.socex_hubs.all())
        return ", ".join(hub.name for hub in hubs) or "no SOCEx hub", readable.filter(hub__in=hubs)
    return str(user.agency), readable.filter(local_authority_id=user.agency_id)


def dashboard_for_user(*, user, request=None) -> dict:
    """The user's dashboard: cases overdue and due today (each list and grouped by the step that
    is due), the count of cases in each state and, for the police, the force-wide triage queue.
    `ids` are the cases it shows, for the caller to record (`record_case_list`)."""
    scope, cases = dashboard_cases(user=user, request=request)
    now = timezone.now()
    end_of_today = timezone.make_aware(datetime.combine(timezone.localdate(now), time.max))
    due = cases.exclude(state__in=FINISHED_STATES).filter(next_due_at__isnull=False).order_by("next_due_at", "id")
    overdue = list(due.filter(next_due_at__lt=now)[:DASHBOARD_ROWS])
    due_today = list(due.filter(next_due_at__gte=now, next_due_at__lte=end_of_today)[:DASHBOARD_ROWS])
    groups: dict[str, dict] = {}
    for key, rows in (("overdue", overdue), ("due_today", due_today)):
        for case in rows:
            step = case.next_due_step or "—"
            groups.setdefault(step, {"step": step, "overdue": [], "due_today": []})[key].append(case)
    known = {step: position for position, step in enumerate(STEP_ORDER)}
    by_step = sorted(groups.values(), key=lambda group: (known.get(group["step"], len(known)), group["step"]))
    counted = dict(cases.order_by().values_list("state").annotate(n=Count("id")))
    counts = [{"state": state, "label": label, "count": counted.get(state, 0)} for state, label in CaseState.choices]
    triage = []
    if user.agency.kind == AgencyKind.POLICE_FORCE:
        queue = case_list_for_user(user=user, request=request).filter(needs_triage=True, state=CaseState.IDENTIFIED)
        triage = list(queue.order_by("next_due_at", "id")[:DASHBOARD_ROWS])
    ids = list(dict.fromkeys(case.pk for case in (*overdue, *due_today, *triage)))
    return {
        "scope": scope,
        "now": now,
        "overdue": overdue,
        "due_today": due_today,
        "by_step": by_step,
        "counts": counts,
        "total": sum(row["count"] for row in counts),
        "triage": triage,
        "police": user.agency.kind == AgencyKind.POLICE_FORCE,
        "ids": ids,
    }


# --- notifications -------------------------------------------------------------------------------


def notifications_for_user(*, user) -> QuerySet[Notification]:
    """The user's own notifications, newest first: nobody reads or marks another's."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def record_notification_list(*, user, ids: Iterable, request=None) -> None:
    """Record a page of the user's notifications with their ids (they name cases)."""
    shown = [str(pk) for pk in ids]
    record_access(
        action=AccessAction.LIST,
        request=request,
        actor=user,
        object_type="safeguarding.notification",
        result_count=len(shown),
        detail={"ids": shown},
    )
