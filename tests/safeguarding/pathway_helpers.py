"""Building cases at any point of the pathway through the real services, for the tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from safeguarding.models import Case, CaseKind
from safeguarding.pathway import case_transition
from safeguarding.screening import INDICATORS
from safeguarding.services import case_create

HIGH_ANSWERS = {indicator.code: True for indicator in INDICATORS}
# missing episodes (3) + found out of area (3) = 6: medium.
MEDIUM_ANSWERS = {
    indicator.code: indicator.code in {"missing_episodes", "found_out_of_area"} for indicator in INDICATORS
}
LOW_ANSWERS = {indicator.code: indicator.code == "substance_misuse" for indicator in INDICATORS}
STRATEGY_ATTENDEES = ["wmp", "birmingham", "health", "education"]


def meeting(**extra: Any) -> dict[str, Any]:
    return {
        "held_on": timezone.localdate().isoformat(),
        "attendees": STRATEGY_ATTENDEES,
        "minutes": "Minutes.",
        **extra,
    }


def step_data(from_state: str, to: str) -> dict[str, Any]:
    """Valid fields for the step from `from_state` to `to`."""
    review_on = (timezone.localdate() + timedelta(days=14)).isoformat()
    table: dict[tuple[str, str], dict[str, Any]] = {
        ("identified", "referred"): {"concern": "A child at risk of exploitation by a county line."},
        ("identified", "closed"): {"reason": "No safeguarding concern: the link was a neighbour dispute."},
        ("referred", "screening"): {},
        ("referred", "no_further_action"): {"reason": "Already open to children's social care; information only."},
        ("screening", "strategy_discussion"): {"answers": HIGH_ANSWERS},
        ("screening", "contextual_meeting"): {"answers": MEDIUM_ANSWERS},
        ("strategy_discussion", "disruption_panel"): meeting(outcome="section_47"),
        ("strategy_discussion", "monitoring"): meeting(outcome="child_in_need_plan"),
        ("strategy_discussion", "closed"): meeting(outcome="no_further_action"),
        ("contextual_meeting", "disruption_panel"): meeting(),
        ("contextual_meeting", "monitoring"): meeting(reason="Risk reduced since screening."),
        ("disruption_panel", "monitoring"): meeting(
            tactics=[{"kind": "closure-order", "owner_agency": "wmp", "review_on": review_on}]
        ),
        ("monitoring", "closed"): {"reason": "Six weeks without concerns; engaged with youth worker."},
        ("monitoring", "screening"): {"reason": "Found in Shrewsbury with cash: new intelligence."},
        ("closed", "referred"): {"reason": "Seen again with the line's runner."},
        ("no_further_action", "referred"): {"reason": "Arrested out of area with drugs."},
    }
    return dict(table[(from_state, to)])


# How to reach each state from `identified`, and who takes each step.
ROUTE = {
    "identified": [],
    "referred": [("referred", "officer")],
    "screening": [("referred", "officer"), ("screening", "mash_birmingham")],
    "strategy_discussion": [
        ("referred", "officer"),
        ("screening", "mash_birmingham"),
        ("strategy_discussion", "mash_birmingham"),
    ],
    "contextual_meeting": [
        ("referred", "officer"),
        ("screening", "mash_birmingham"),
        ("contextual_meeting", "mash_birmingham"),
    ],
    "disruption_panel": [
        ("referred", "officer"),
        ("screening", "mash_birmingham"),
        ("contextual_meeting", "mash_birmingham"),
        ("disruption_panel", "panel_member"),
    ],
    "monitoring": [
        ("referred", "officer"),
        ("screening", "mash_birmingham"),
        ("contextual_meeting", "mash_birmingham"),
        ("disruption_panel", "panel_member"),
        ("monitoring", "panel_member"),
    ],
    "closed": [("closed", "officer")],
    "no_further_action": [("referred", "officer"), ("no_further_action", "mash_birmingham")],
}


def new_case(
    personas, *, surname: str = "Harbottle", authority: str = "birmingham", kind: str = CaseKind.CHILD
) -> Case:
    return case_create(
        actor=personas.analyst,
        kind=kind,
        forenames="Reece",
        surname=surname,
        date_of_birth=date(2010, 5, 1),
        local_authority=personas.agencies[authority] if authority else None,
    )


def case_at(personas, state: str, **kwargs) -> Case:
    case = new_case(personas, **kwargs)
    current = "identified"
    for to, actor in ROUTE[state]:
        case = case_transition(actor=getattr(personas, actor), case_id=case.pk, to=to, data=step_data(current, to))
        current = to
    assert case.state == state
    return case
