"""Writes for the analysis: search-term versions and analysis runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.audit.models import AccessAction
from portal.audit.services import record_access

from .method.terms import DEFAULT_TERM_GROUPS, TermGroup, term_pattern_problem
from .models import SearchTermVersion

LEGACY_CUCKOO_GROUP = "CUCKOO"
"""Versions stored before groups carried `marks_cuckooing` keyed the rule to this name."""


def groups_to_json(groups: Sequence[TermGroup]) -> list[dict]:
    return [
        {"name": g.name, "weight": g.weight, "patterns": list(g.patterns), "marks_cuckooing": g.marks_cuckooing}
        for g in groups
    ]


def stored_marks_cuckooing(group: Mapping[str, Any]) -> bool:
    """Whether a stored (or editor) group marks cuckooing. A version stored before the key
    existed has none: its group named CUCKOO marks cuckooing, as the name did then, so old
    versions compute what they computed."""
    return bool(group.get("marks_cuckooing", group.get("name") == LEGACY_CUCKOO_GROUP))


def groups_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[TermGroup, ...]:
    return tuple(
        TermGroup(g["name"], float(g["weight"]), tuple(g["patterns"]), stored_marks_cuckooing(g)) for g in data
    )


def cuckooing_problem(groups: Sequence[TermGroup]) -> str | None:
    """Why `groups` cannot drive METHOD.md section 6's vulnerable-adult rule, or None.

    Exactly one group must mark cuckooing: with none, victims of cuckooing would silently stop
    being identified; with two, the rule would no longer say which terms describe it.
    """
    marking = [g.name.strip() or "(unnamed group)" for g in groups if g.marks_cuckooing]
    if not marking:
        return (
            "No group marks cuckooing, so victims on cuckooing records would no longer be identified as "
            "vulnerable adults. Tick “Marks cuckooing” on the group whose terms describe cuckooing "
            "(by default CUCKOO)."
        )
    if len(marking) > 1:
        return (
            f"Only one group may mark cuckooing, but {', '.join(marking)} do. Untick “Marks cuckooing” "
            "on all but the group whose terms describe cuckooing."
        )
    return None


def term_groups_problems(groups: Sequence[TermGroup]) -> list[str]:
    """Everything wrong with a proposed set of term groups, as sentences; empty when valid."""
    problems: list[str] = []
    if not groups:
        problems.append("Keep at least one term group.")
    names = [g.name.strip().upper() for g in groups]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"The group name {name!r} is used twice; merge the groups or rename one.")
    if groups and (problem := cuckooing_problem(groups)):
        problems.append(problem)
    for group in groups:
        label = group.name.strip() or "(unnamed group)"
        if not group.name.strip():
            problems.append("Every group needs a name.")
        if not 0 < group.weight <= 1:
            problems.append(f"{label}: the weight must be more than 0 and at most 1 (got {group.weight:g}).")
        if not group.patterns:
            problems.append(f"{label}: add at least one pattern, or remove the group.")
        for pattern in group.patterns:
            problem = term_pattern_problem(pattern)
            if problem:
                problems.append(f"{label}: {pattern!r}: {problem}")
    return problems


def term_version_current() -> SearchTermVersion:
    """The newest version; version 1 (METHOD.md section 2 defaults) is created on first use."""
    current = SearchTermVersion.objects.order_by("-number").first()
    if current is None:
        current, _ = SearchTermVersion.objects.get_or_create(
            number=1,
            defaults={"groups": groups_to_json(DEFAULT_TERM_GROUPS), "note": "Defaults of METHOD.md section 2"},
        )
    return current


@transaction.atomic
def term_version_create(*, actor, groups: Sequence[TermGroup], note: str, request=None) -> SearchTermVersion:
    """Save `groups` as the next version. Raises ValidationError listing every problem; nothing
    is saved then. Returns the current version unchanged when nothing differs."""
    problems = term_groups_problems(groups)
    if problems:
        raise ValidationError(problems)
    current = term_version_current()
    normalised = groups_to_json(
        [TermGroup(g.name.strip(), g.weight, tuple(p.strip() for p in g.patterns), g.marks_cuckooing) for g in groups]
    )
    # Compared as read back, so a version stored before `marks_cuckooing` existed is not
    # replaced by an identical one that merely spells the key out.
    if normalised == groups_to_json(groups_from_json(current.groups)):
        return current
    latest = SearchTermVersion.objects.select_for_update().order_by("-number").first()
    assert latest is not None  # term_version_current made sure there is one
    version = SearchTermVersion.objects.create(
        number=latest.number + 1, groups=normalised, note=note.strip()[:300], created_by=actor
    )
    record_access(
        action=AccessAction.UPDATE,
        request=request,
        actor=actor,
        obj=version,
        reason=f"search terms v{current.number} → v{version.number}: {note.strip()[:200]}",
    )
    return version
