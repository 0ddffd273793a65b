"""Each case's next due step and when it is due, from its state and its local authority's
timescales (Timescales, with the defaults of the model when an authority has none)."""

from __future__ import annotations

from datetime import datetime

from .models import Case, CaseState, NrmDecision, Timescales
from .timescales import add_working_days, due_after, end_of_working_day

S = CaseState
# state -> (what is due next, the Timescales field giving its working days)
NEXT_STEP: dict[str, tuple[str, str]] = {
    S.IDENTIFIED: ("police review", "police_review_days"),
    S.REFERRED: ("MASH decision", "mash_decision_days"),
    S.SCREENING: ("screening", "screening_days"),
    S.STRATEGY_DISCUSSION: ("strategy discussion", "strategy_discussion_days"),
    S.CONTEXTUAL_MEETING: ("contextual safeguarding meeting", "contextual_meeting_days"),
    S.DISRUPTION_PANEL: ("disruption panel", "disruption_panel_days"),
    S.MONITORING: ("monitoring review", "monitoring_review_days"),
}


def timescales_for(case: Case) -> Timescales:
    if case.local_authority_id is not None:
        stored = Timescales.objects.filter(local_authority_id=case.local_authority_id).first()
        if stored is not None:
            return stored
    return Timescales()  # the defaults, unsaved


def next_due(case: Case, since: datetime, timescales: Timescales | None = None) -> tuple[str, datetime | None]:
    """(step, due) for `case` entering its current state at `since`; NRM's reasonable-grounds
    decision counts when it falls earlier. Pass `timescales` when known (bulk callers)."""
    timescales = timescales or timescales_for(case)
    step, due = "", None
    if case.state in NEXT_STEP:
        step, field = NEXT_STEP[case.state]
        due = due_after(since, getattr(timescales, field))
    nrm = getattr(case, "nrm", None) if case.pk else None
    if (
        nrm is not None
        and nrm.reasonable_grounds == NrmDecision.PENDING
        and case.state not in (S.CLOSED, S.NO_FURTHER_ACTION)
    ):
        nrm_due = end_of_working_day(add_working_days(nrm.submitted_on, timescales.nrm_reasonable_grounds_days))
        if due is None or nrm_due < due:
            step, due = "NRM reasonable-grounds decision", nrm_due
    return step, due


def case_deadline_refresh(*, case: Case, since: datetime) -> None:
    """Set and save `case`'s next due step (caller holds the row lock or is creating it)."""
    case.next_due_step, case.next_due_at = next_due(case, since)
    case.escalated_at = None
    Case.objects.filter(pk=case.pk).update(
        next_due_step=case.next_due_step, next_due_at=case.next_due_at, escalated_at=None
    )
