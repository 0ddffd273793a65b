"""Reads behind the analyst's workspace: the network view's data, the groups table, the
dismantling curves, the charts and a run's progress estimate.

Callers have fetched the run through `run_get_for_user` (police intelligence roles only, 404 to
everyone else); the functions here record every person or group they return (`shown=`), so the
trail names who was seen on the network as on any list.

A view never ships more than a browser draws smoothly: the run's network is drawn as its
group-level graph, and a group opens into at most MEMBER_CAP of its members (the most central).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from portal.access import objects_for_user
from portal.audit.models import AccessAction
from portal.audit.services import record_access

from .models import AnalysisRun, GroupLayout, GroupResult, NominalResult, Record, RunLayout, SocMembership, Source

MEMBER_CAP = 5_000
"""Most people drawn in one group's view: larger groups show their most central members."""
EDGE_CAP = 40_000
"""Most edges drawn in one view (the heaviest are kept)."""
GROUP_CAP = 5_000
"""Most groups drawn in the run's group-level graph (by priority)."""
NEIGHBOUR_CAP = 200
"""Most neighbours one "expand" adds."""
GROUPS_PER_PAGE = 50
RANKS_PER_PAGE = 100
TABLE_ROWS_PER_PAGE = 250
"""Rows of a group's table alternative per page (the drawing has every member drawn)."""
GROUP = "analytics.groupresult"
RESULT = "analytics.nominalresult"


# What the drawing and its table show of a person: read as plain values, because a group's
# view can hold thousands of rows and model instances cost several times as much to build.
PERSON_FIELDS = (
    "nominal_id",
    "group",
    "score",
    "harm_cchi",
    "harm_ons",
    "betweenness",
    "betweenness_margin",
    "strength",
    "dismantle_rank",
    "is_child",
    "is_vulnerable_adult",
    "age_unknown",
    "nominal__forenames",
    "nominal__surname",
)


def _kind(row: dict[str, Any]) -> str:
    """How a person is marked on the network: a child or vulnerable adult is someone to
    safeguard, never labelled with a role from the records."""
    if row["is_child"]:
        return "child"
    if row["is_vulnerable_adult"]:
        return "vulnerable_adult"
    if row["age_unknown"]:
        return "age_unknown"
    return ""


def _shown_people(run: AnalysisRun, nominal_ids) -> list[tuple[str, str]]:
    """The trail's names for people of a run shown from plain values: the same two names a
    NominalResult instance gets (`subject_keys`), the run's row and the person."""
    keys: list[tuple[str, str]] = []
    for nominal_id in nominal_ids:
        keys += [(RESULT, f"{run.pk}/{nominal_id}"), ("analytics.nominal", str(nominal_id))]
    return keys


def _group_key(run: AnalysisRun, group: int) -> tuple[str, str]:
    return (GROUP, f"{run.pk}/{group}")


def _layout(run: AnalysisRun) -> RunLayout | None:
    return RunLayout.objects.filter(run=run).first()


def run_network_data(*, run: AnalysisRun, request) -> dict[str, Any]:
    """The group-level graph of a run: one node per group, sized by its members, one edge per
    pair of groups with links between them."""
    layout = _layout(run)
    groups = list(run.group_results.order_by("priority_rank")[:GROUP_CAP])
    total = run.group_results.count()
    positions = layout.group_positions if layout else {}
    shown_numbers = {g.group for g in groups}
    edges = [
        edge for edge in (layout.group_edges if layout else []) if edge[0] in shown_numbers and edge[1] in shown_numbers
    ]
    edges.sort(key=lambda edge: -edge[2])
    record_access(
        action=AccessAction.LIST,
        request=request,
        object_type=GROUP,
        object_id=str(run.pk),
        result_count=len(groups),
        reason="network view of a run",
        shown=[_group_key(run, g.group) for g in groups],
    )
    note = ""
    if total > len(groups):
        note = (
            f"The {len(groups):,} groups of highest priority are drawn, of {total:,}; the groups table lists them all."
        )
    if layout is None:
        note = "This run was stored before network layouts were kept: the groups are drawn on a circle."
    return {
        "level": "groups",
        "note": note,
        "nodes": [
            {
                "key": f"g{g.group}",
                "group": g.group,
                "label": f"Group {g.group}",
                "x": positions.get(str(g.group), [0, 0])[0] if positions else _circle(i, len(groups))[0],
                "y": positions.get(str(g.group), [0, 0])[1] if positions else _circle(i, len(groups))[1],
                "size": g.size,
                "harm_cchi": round(g.harm_cchi, 1),
                "harm_ons": round(g.harm_ons, 1),
                "children": g.children_present,
                "soc": g.soc_group_id,
                "priority": g.priority_rank,
            }
            for i, g in enumerate(groups)
        ],
        "edges": [{"source": f"g{a}", "target": f"g{b}", "weight": links} for a, b, links in edges[:EDGE_CAP]],
    }


def _circle(i: int, n: int) -> tuple[float, float]:
    import math

    angle = 2 * math.pi * i / max(n, 1)
    return (round(math.cos(angle), 4), round(math.sin(angle), 4))


def _soc_of(run: AnalysisRun, **where) -> dict[str, str]:
    """nominal id -> the SOC group they belong to, for the run's kept people matching `where`."""
    results = NominalResult.objects.filter(run=run, **where).values("nominal_id")
    return dict(SocMembership.objects.filter(nominal_id__in=results).values_list("nominal_id", "soc_group_id"))


def _betweenness_text(value: float, margin: float | None) -> str:
    """As the profile shows it (`NominalResult.betweenness_text`): exact, or an estimate with
    its 95% margin."""
    return f"{value:,.1f}" if margin is None else f"≈ {value:,.0f} ± {margin:,.0f}"


def _person(row: dict[str, Any], position, soc: dict[str, str]) -> dict[str, Any]:
    nominal_id = row["nominal_id"]
    margin = row["betweenness_margin"]
    return {
        "key": nominal_id,
        "group": row["group"],
        "label": f"{row['nominal__forenames']} {row['nominal__surname']}".strip() or nominal_id,
        "x": position[0],
        "y": position[1],
        "score": round(row["score"], 3),
        "harm_cchi": round(row["harm_cchi"], 1),
        "harm_ons": round(row["harm_ons"], 1),
        "betweenness": round(row["betweenness"], 1),
        "betweenness_text": _betweenness_text(row["betweenness"], margin),
        "strength": round(row["strength"], 3),
        "rank": row["dismantle_rank"],
        "kind": _kind(row),
        "soc": soc.get(nominal_id, ""),
    }


def group_network_data(*, run: AnalysisRun, group: GroupResult, request) -> dict[str, Any]:
    """A group's members with the group's edges, recorded as a view of the group naming every
    person shown; for a group of more than MEMBER_CAP people, its MEMBER_CAP most central (by
    betweenness, then strength). The nodes, in dismantling order, are also the rows of the
    page's table alternative."""
    layout = GroupLayout.objects.filter(run=run, group=group.group).first()
    positions = layout.positions if layout else {}
    members = run.nominal_results.filter(group=group.group)
    rows = list(members.order_by("-betweenness", "-strength", "nominal_id").values(*PERSON_FIELDS)[:MEMBER_CAP])
    rows.sort(key=lambda r: (r["dismantle_rank"] is None, r["dismantle_rank"] or 0, r["nominal_id"]))
    drawn = {r["nominal_id"] for r in rows}
    edges = [edge for edge in (layout.edges if layout else []) if edge[0] in drawn and edge[1] in drawn]
    if len(edges) > EDGE_CAP:
        edges = sorted(edges, key=lambda edge: -edge[2])[:EDGE_CAP]
    soc = _soc_of(run, group=group.group)
    # One event: the group was viewed, and these are the people its page showed.
    record_access(
        action=AccessAction.VIEW,
        request=request,
        object_type=GROUP,
        object_id=f"{run.pk}/{group.group}",
        result_count=len(rows),
        shown=_shown_people(run, (r["nominal_id"] for r in rows)),
    )
    notes = []
    if group.size > len(rows):
        notes.append(
            f"This group has {group.size:,} members: the {len(rows):,} most central are drawn "
            "(by betweenness); the table below lists the same people."
        )
    if layout is None:
        notes.append("This run was stored before network layouts were kept: the members are drawn on a circle.")
    n = len(rows)
    return {
        "level": "members",
        "group": group.group,
        "note": " ".join(notes),
        "nodes": [_person(r, positions.get(r["nominal_id"]) or _circle(i, n), soc) for i, r in enumerate(rows)],
        "edges": [{"source": a, "target": b, "weight": round(w, 3)} for a, b, w in edges],
    }


def neighbours_data(*, result: NominalResult, request) -> dict[str, Any]:
    """A person's neighbours in the kept network, inside and outside their group, for the
    network view's "expand" (at most NEIGHBOUR_CAP, heaviest links first)."""
    run = result.run
    layout = GroupLayout.objects.filter(run=run, group=result.group).first()
    links: dict[str, float] = {}
    if layout is not None:
        me = result.nominal_id
        for a, b, w in layout.edges:
            if me in (a, b):
                links[b if a == me else a] = w
        for member, other, _, w in layout.external:
            if member == me:
                links[other] = w
    chosen = sorted(links, key=lambda other: (-links[other], other))[:NEIGHBOUR_CAP]
    rows = {row["nominal_id"]: row for row in run.nominal_results.filter(nominal_id__in=chosen).values(*PERSON_FIELDS)}
    neighbours = [rows[nominal_id] for nominal_id in chosen if nominal_id in rows]
    soc = _soc_of(run, nominal_id__in=chosen)
    record_access(
        action=AccessAction.LIST,
        request=request,
        object_type=RESULT,
        object_id=f"{run.pk}/{result.nominal_id}",
        result_count=len(neighbours),
        reason="neighbours on the network view",
        shown=[result, *_shown_people(run, (row["nominal_id"] for row in neighbours))],
    )
    return {
        "key": result.nominal_id,
        "note": (
            f"The {NEIGHBOUR_CAP} strongest links are shown, of {len(links):,}." if len(links) > NEIGHBOUR_CAP else ""
        ),
        "nodes": [_person(row, (0.0, 0.0), soc) for row in neighbours],
        "edges": [
            {"source": result.nominal_id, "target": row["nominal_id"], "weight": round(links[row["nominal_id"]], 3)}
            for row in neighbours
        ],
    }


# The groups table: sorting and filtering by what analysts ask of a group.
GROUP_SORTS = {
    "priority": ("priority_rank",),
    "harm_cchi": ("-harm_cchi", "priority_rank"),
    "harm_ons": ("-harm_ons", "priority_rank"),
    "size": ("-size", "priority_rank"),
    "children": ("-children_present", "priority_rank"),
}


class GroupTableForm(forms.Form):
    """The groups table's filters (a GET form: bad values are reported and ignored)."""

    CHOICES = [("", "either"), ("yes", "yes"), ("no", "no")]
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("priority", "Priority"),
            ("harm_cchi", "CCHI harm (highest first)"),
            ("harm_ons", "ONS harm (highest first)"),
            ("size", "Size (largest first)"),
            ("children", "Children (most first)"),
        ],
    )
    min_cchi = forms.FloatField(required=False, min_value=0, label="CCHI harm at least (days)")
    min_ons = forms.FloatField(required=False, min_value=0, label="ONS harm at least")
    min_size = forms.IntegerField(required=False, min_value=1, label="Members at least")
    children = forms.ChoiceField(required=False, choices=CHOICES, label="Children present")
    soc = forms.ChoiceField(required=False, choices=CHOICES, label="Associated with a SOC group")

    def filters(self) -> dict[str, Any]:
        """The valid filters (a field with a bad value is left out)."""
        data = (
            self.cleaned_data
            if self.is_valid()
            else {name: value for name, value in getattr(self, "cleaned_data", {}).items() if name not in self.errors}
        )
        return {
            "sort": data.get("sort") or "priority",
            "min_cchi": data.get("min_cchi"),
            "min_ons": data.get("min_ons"),
            "min_size": data.get("min_size"),
            "children": data.get("children") or "",
            "soc": data.get("soc") or "",
        }


def group_table(
    *,
    run: AnalysisRun,
    request,
    sort: str,
    min_cchi: float | None,
    min_ons: float | None,
    min_size: int | None,
    children: str,
    soc: str,
    page: int | str,
) -> Page:
    """One page of `run`'s groups, filtered and sorted (the form has validated the values)."""
    groups: QuerySet[GroupResult] = run.group_results.all()
    if min_cchi is not None:
        groups = groups.filter(harm_cchi__gte=min_cchi)
    if min_ons is not None:
        groups = groups.filter(harm_ons__gte=min_ons)
    if min_size is not None:
        groups = groups.filter(size__gte=min_size)
    if children == "yes":
        groups = groups.filter(children_present__gt=0)
    elif children == "no":
        groups = groups.filter(children_present=0)
    if soc == "yes":
        groups = groups.exclude(soc_group_id="")
    elif soc == "no":
        groups = groups.filter(soc_group_id="")
    groups = groups.order_by(*GROUP_SORTS.get(sort, GROUP_SORTS["priority"])).defer("members")
    shown = Paginator(groups, GROUPS_PER_PAGE).get_page(page)
    record_access(
        action=AccessAction.LIST,
        request=request,
        object_type=GROUP,
        object_id=str(run.pk),
        result_count=len(shown.object_list),
        reason="groups table",
        shown=[_group_key(run, g.group) for g in shown.object_list],
    )
    return shown


def dismantling_page(*, run: AnalysisRun, request, page: int | str) -> dict[str, Any]:
    """One page of the dismantling order with the robustness curves of the chosen order and
    the two reference strategies."""
    ranked = (
        run.nominal_results.filter(dismantle_rank__isnull=False).select_related("nominal").order_by("dismantle_rank")
    )
    shown = Paginator(ranked, RANKS_PER_PAGE).get_page(page)
    # Only the first removals keep their reason (the run stores 200).
    reasons = {removal["nominal_id"]: removal["reason"] for removal in run.dismantling.get("removals", [])}
    rows = list(shown.object_list)
    for row in rows:
        row.removal_reason = reasons.get(row.nominal_id, "")  # type: ignore[attr-defined]
    record_access(
        action=AccessAction.LIST,
        request=request,
        object_type=RESULT,
        object_id=str(run.pk),
        result_count=len(rows),
        reason="dismantling order",
        shown=rows,
    )
    layout = _layout(run)
    curves = layout.curves if layout else {}
    # The table alternative of the plot: the largest piece left at a few shares removed.
    marks = [0.05, 0.1, 0.2, 0.3, 0.5]
    summary = [{"strategy": name, "points": [_at(points, mark) for mark in marks]} for name, points in curves.items()]
    return {
        "page": shown,
        "rows": rows,
        "curves": curves,
        "curves_note": layout.curves_note if layout else "This run was stored before the curves were kept.",
        "marks": marks,
        "curve_summary": summary,
    }


def _at(points: list[list[float]], fraction: float) -> float | None:
    """The LCC fraction left once `fraction` of the people are removed (the first point at or past it)."""
    for removed, left in points:
        if removed >= fraction:
            return left
    return points[-1][1] if points else None


def chart_data(*, run: AnalysisRun) -> dict[str, Any]:
    """Counts for the run's charts: harm by group (the 30 of highest priority), the kept
    people's records by month and source, and children identified per local authority.
    Counts only: no one is named."""
    groups = list(run.group_results.order_by("priority_rank").values("group", "harm_cchi", "harm_ons", "size")[:30])
    by_month = (
        Record.objects.filter(links__nominal__results__run=run)
        .annotate(month=TruncMonth("recorded_at"))
        .values("month", "source")
        .annotate(n=Count("record_id", distinct=True))
        .order_by("month", "source")
    )
    months: dict[str, Counter[str]] = {}
    for row in by_month:
        months.setdefault(row["month"].strftime("%Y-%m"), Counter())[row["source"]] += row["n"]
    children = (
        run.nominal_results.filter(is_child=True).values("route_to").annotate(n=Count("id")).order_by("-n", "route_to")
    )
    return {
        "harm_by_group": [
            {"group": g["group"], "cchi": round(g["harm_cchi"], 1), "ons": round(g["harm_ons"], 1), "size": g["size"]}
            for g in groups
        ],
        "sources": [{"code": code, "label": str(label)} for code, label in Source.choices],
        "records_by_month": [
            {"month": month, "counts": [counts.get(code, 0) for code in Source.values]}
            for month, counts in sorted(months.items())
        ],
        "children_by_authority": [
            {"authority": row["route_to"] or "unknown", "children": row["n"]} for row in children
        ],
    }


def safeguarding_case_for(*, user, result: NominalResult):
    """The person's safeguarding case, if one was opened: (case, whether the user may open it)."""
    from safeguarding.models import Case

    case = Case.objects.filter(nominal_id=result.nominal_id).first()
    if case is None:
        return None, False
    return case, objects_for_user(user, Case.objects.filter(pk=case.pk)).exists()


# Seconds a run takes per link between a record and a person when no earlier run says better:
# the demo bundle's run on the development machine (about 0.5 s for 13,407 links). A first
# guess only; the latest completed run's own rate replaces it.
SECONDS_PER_LINK = 0.00004


def run_progress_state(run: AnalysisRun) -> dict[str, Any]:
    """What the progress bar shows: status, fraction and stage, the time elapsed, and an
    estimate of the whole run from the size of its data (scaled from the latest completed run,
    or a rate measured on the synthetic bundles)."""
    state: dict[str, Any] = {
        "status": run.status,
        "fraction": run.progress,
        "stage": run.stage or run.get_status_display(),
        "elapsed_seconds": None,
        "estimate_seconds": None,
    }
    if run.started_at is None:
        return state
    end = run.finished_at or timezone.now()
    state["elapsed_seconds"] = max(0, round((end - run.started_at) / timedelta(seconds=1)))
    size = (run.data_counts or {}).get("record_nominals")
    if not size or run.status in AnalysisRun.FINISHED:
        return state
    earlier = (
        AnalysisRun.objects.filter(status=AnalysisRun.Status.SUCCEEDED, started_at__isnull=False)
        .filter(~Q(pk=run.pk))
        .only("data_counts", "started_at", "finished_at")
        .order_by("-finished_at")
        .first()
    )
    if (
        earlier is not None
        and earlier.started_at
        and earlier.finished_at
        and (earlier.data_counts or {}).get("record_nominals")
    ):
        seconds = (earlier.finished_at - earlier.started_at) / timedelta(seconds=1)
        estimate = seconds * size / earlier.data_counts["record_nominals"]
    else:
        estimate = SECONDS_PER_LINK * size
    state["estimate_seconds"] = max(round(estimate), state["elapsed_seconds"])
    return state
