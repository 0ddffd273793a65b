"""Reads of analysis runs and their results, for police intelligence roles only."""

from __future__ import annotations

from portal.access import get_in_area, require_role
from portal.accounts.roles import POLICE_DATA_ROLES
from portal.audit.models import AccessAction
from portal.audit.purpose import require_purpose
from portal.audit.services import record_access

from .models import AnalysisRun, NominalResult

RUN = "analytics.analysisrun"


def run_list_for_user(*, user, request=None, limit: int = 50) -> list[AnalysisRun]:
    require_role(user=user, roles=POLICE_DATA_ROLES, request=request, object_type=RUN)
    runs = list(AnalysisRun.objects.select_related("requested_by", "term_version").defer("document")[:limit])
    record_access(
        action=AccessAction.LIST, request=request, actor=user, object_type=RUN, result_count=len(runs), shown=runs
    )
    return runs


def run_get_for_user(*, user, run_id: int, request=None, record: bool = True, action=AccessAction.VIEW) -> AnalysisRun:
    return get_in_area(
        user=user,
        roles=POLICE_DATA_ROLES,
        queryset=AnalysisRun.objects.select_related("requested_by", "term_version", "harm_table"),
        request=request,
        object_id=run_id,
        record=record,
        action=action,
        pk=run_id,
    )


def nominal_result_get_for_user(*, user, run_id: int, nominal_id: str, request=None) -> NominalResult:
    """A person's profile in a run; opened with no workflow relationship (not in a run the user
    started or reviews), the purpose first (portal/audit/purpose.py)."""
    key = f"{run_id}/{nominal_id}"
    purpose = require_purpose(request, user=user, subject_type="analytics.nominalresult", subject_id=key)
    return get_in_area(
        user=user,
        roles=POLICE_DATA_ROLES,
        queryset=NominalResult.objects.select_related("nominal", "run"),
        request=request,
        object_type="analytics.nominalresult",
        object_id=key,
        reason=purpose or "explanation of a score",
        run_id=run_id,
        nominal_id=nominal_id,
    )


def previous_run(run: AnalysisRun) -> AnalysisRun | None:
    return (
        AnalysisRun.objects.filter(status=AnalysisRun.Status.SUCCEEDED, created_at__lt=run.created_at)
        .exclude(pk=run.pk)
        .defer("document")
        .order_by("-created_at")
        .first()
    )


def run_comparison(run: AnalysisRun, earlier: AnalysisRun) -> dict:
    """What changed from `earlier` to `run`: nominals in and out, groups split or merged,
    children newly identified."""
    now = dict(NominalResult.objects.filter(run=run).values_list("nominal_id", "group"))
    before = dict(NominalResult.objects.filter(run=earlier).values_list("nominal_id", "group"))
    children_now = set(NominalResult.objects.filter(run=run, is_child=True).values_list("nominal_id", flat=True))
    children_before = set(NominalResult.objects.filter(run=earlier, is_child=True).values_list("nominal_id", flat=True))
    common = now.keys() & before.keys()
    # A group of the earlier run "split" when its common members now sit in several groups;
    # groups "merged" when members of several earlier groups now share one group.
    destinations: dict[int, set[int]] = {}
    origins: dict[int, set[int]] = {}
    for nominal_id in common:
        destinations.setdefault(before[nominal_id], set()).add(now[nominal_id])
        origins.setdefault(now[nominal_id], set()).add(before[nominal_id])
    return {
        "earlier": earlier,
        "added": sorted(now.keys() - before.keys()),
        "removed": sorted(before.keys() - now.keys()),
        "split": sorted((g, sorted(d)) for g, d in destinations.items() if len(d) > 1),
        "merged": sorted((g, sorted(o)) for g, o in origins.items() if len(o) > 1),
        "new_children": sorted(children_now - children_before),
    }
