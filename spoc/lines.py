"""Which analysis groups a deal line matches: in the latest completed run, the groups with a
member whose police records name the line's number (as dialled, or its digits alone) or call
the line by its name (`'Name'` in quotes, or "Name line")."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from analytics.models import AnalysisRun, GroupResult, Record, RecordNominal

from .models import DealLine


@dataclass(frozen=True)
class GroupMatch:
    run_id: int
    group: int
    priority_rank: int
    size: int
    members_named: tuple[str, ...]


def latest_run() -> AnalysisRun | None:
    return AnalysisRun.objects.filter(status=AnalysisRun.Status.SUCCEEDED).order_by("-finished_at", "-pk").first()


def records_naming(line: DealLine) -> Q:
    wanted = Q(text__icontains=line.number) | Q(text__icontains=line.number_digits)
    name = line.line_name.strip()
    if name:
        for form in (f"'{name}'", f"{name} line", f"{name} drugs line", f"{name} drug line", f"{name} county line"):
            wanted |= Q(text__icontains=form)
    return wanted


def groups_matching(line: DealLine, run: AnalysisRun | None = None) -> list[GroupMatch]:
    """The groups of `run` (the latest completed run unless given) the line matches, by priority."""
    run = run or latest_run()
    if run is None:
        return []
    record_ids = Record.objects.filter(records_naming(line)).values("pk")
    named = set(RecordNominal.objects.filter(record_id__in=record_ids).values_list("nominal_id", flat=True))
    if not named:
        return []
    matches = []
    for group in GroupResult.objects.filter(run=run).order_by("priority_rank"):
        hits = tuple(sorted(named.intersection(str(member) for member in group.members)))
        if hits:
            matches.append(GroupMatch(run.pk, group.group, group.priority_rank, group.size, hits))
    return matches
