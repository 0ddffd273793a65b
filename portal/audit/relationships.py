"""Workflow relationships: does the work a user is doing explain why they open a person's record?

Used twice: before a record is opened without one, the portal asks for a purpose ("break-glass",
portal/audit/purpose.py); and a misuse rule about a subject is dismissed when a relationship
explains the access (portal/audit/misuse.py). Both say which explanations were looked for.

Subjects are named as the trail names them: ("safeguarding.case", pk), ("analytics.nominal",
nominal id), ("analytics.nominalresult", "run/nominal").
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.accounts.roles import Role

from .models import AccessAction, AccessEvent

CASE = "safeguarding.case"
NOMINAL = "analytics.nominal"
NOMINAL_IN_RUN = "analytics.nominalresult"
PERSON_TYPES = frozenset({CASE, NOMINAL, NOMINAL_IN_RUN})

# What each explanation means, in the words an alert and the purpose page use.
LOOKED_FOR = {
    "case_team": "a case of this person held by the user's team (their local authority, their hub, or the agency that opened it)",
    "case_work": "the user created, holds, shared or took a step in a case of this person",
    "case_shared": "a case of this person shared with the user or their agency",
    "case_run": "a case of this person opened from an analysis run the user started or reviews",
    "own_run": "this person is in an analysis run the user started",
    "reviewed_run": "this person is in an analysis run the user reviews (intelligence supervisor)",
}


@dataclass(frozen=True)
class Explanation:
    found: str  # the LOOKED_FOR key that explains the access, or "" if none did
    looked_for: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.found)

    @property
    def looked_for_text(self) -> list[str]:
        return [LOOKED_FOR[key] for key in self.looked_for]


def nominal_of(subject_type: str, subject_id: str) -> str | None:
    """The police nominal id a subject is about, when there is one."""
    from safeguarding.models import Case

    if subject_type == NOMINAL:
        return subject_id
    if subject_type == NOMINAL_IN_RUN:
        return subject_id.split("/", 1)[1] if "/" in subject_id else None
    if subject_type == CASE and subject_id.isdigit():
        return Case.objects.filter(pk=int(subject_id)).values_list("nominal_id", flat=True).first()
    return None


def _case_ids(subject_type: str, subject_id: str, nominal_id: str | None) -> list[int]:
    from safeguarding.models import Case

    if subject_type == CASE:
        return [int(subject_id)] if subject_id.isdigit() else []
    if nominal_id:
        return list(Case.objects.filter(nominal_id=nominal_id).values_list("pk", flat=True))
    return []


def explain_access(user, subject_type: str, subject_id: str) -> Explanation:
    """The first workflow relationship that explains `user` opening this subject, if any."""
    from guardian.shortcuts import get_objects_for_user

    from analytics.models import NominalResult
    from safeguarding.models import Case, CaseTransition

    if subject_type not in PERSON_TYPES:
        return Explanation(found="not_a_person", looked_for=())
    nominal_id = nominal_of(subject_type, subject_id)
    case_ids = _case_ids(subject_type, subject_id, nominal_id)
    looked_for: list[str] = []

    def check(key: str, holds) -> bool:
        looked_for.append(key)
        return bool(holds())

    cases = Case.objects.filter(pk__in=case_ids)
    if case_ids:
        if check(
            "case_team",
            lambda: cases.filter(local_authority_id=user.agency_id).exists()
            or cases.filter(hub__officers=user).exists()
            or cases.filter(created_by__agency_id=user.agency_id).exists(),
        ):
            return Explanation("case_team", tuple(looked_for))
        if check(
            "case_work",
            lambda: cases.filter(created_by=user).exists()
            or cases.filter(case_worker=user).exists()
            or CaseTransition.objects.filter(case_id__in=case_ids, actor=user).exists()
            or AccessEvent.objects.filter(
                actor=user, action=AccessAction.GRANT, object_type=CASE, object_id__in=[str(pk) for pk in case_ids]
            ).exists(),
        ):
            return Explanation("case_work", tuple(looked_for))
        if check(
            "case_shared",
            lambda: get_objects_for_user(
                user, "safeguarding.view_case", klass=cases, accept_global_perms=False, with_superuser=False
            ).exists()
            and user.role not in (Role.ANALYST, Role.INTELLIGENCE_SUPERVISOR),
        ):
            return Explanation("case_shared", tuple(looked_for))
    if case_ids and check(
        "case_run",
        lambda: cases.filter(run_links__run__requested_by=user).exists()
        or (user.role == Role.INTELLIGENCE_SUPERVISOR and cases.filter(run_links__isnull=False).exists()),
    ):
        return Explanation("case_run", tuple(looked_for))
    if nominal_id:
        runs = NominalResult.objects.filter(nominal_id=nominal_id)
        run_part = subject_id.split("/", 1)[0]
        if subject_type == NOMINAL_IN_RUN:
            runs = runs.filter(run_id=int(run_part)) if run_part.isdigit() else runs.none()
        if check("own_run", lambda: runs.filter(run__requested_by=user).exists()):
            return Explanation("own_run", tuple(looked_for))
        if check(
            "reviewed_run", lambda: user.role == Role.INTELLIGENCE_SUPERVISOR and runs.exists()
        ):
            return Explanation("reviewed_run", tuple(looked_for))
    return Explanation("", tuple(looked_for))
