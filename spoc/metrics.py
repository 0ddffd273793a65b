"""Figures of the SPoC liaison: providers' response times, inspection statistics, outcomes.

Response times are measured from the moment a request is sent to the provider: to its
acknowledgement, and to its fulfilment. Where the service level of the request's category and
provider is in working days, only the hours on working days count (`clocks.elapsed_hours`), so
a weekend does not count against a company whose service level is in working days; where it is
in hours (threat to life), every hour counts.

Percentiles interpolate linearly between the closest ranks (the "inclusive" method, numpy's
default): for sorted values x[0..n-1] the p-th percentile is at position (n - 1) × p / 100.
The median is the 50th percentile.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from safeguarding.models import Case, CaseKind, CaseTransition, NrmReferral

from . import clocks
from .models import (
    Category,
    CommsError,
    CommsRequest,
    CommsRequestTransition,
    DealLine,
    ErrorKind,
    RequestState,
)

SAFEGUARDING_STATES = ("strategy_discussion", "contextual_meeting", "disruption_panel", "monitoring")


def percentile(values: Iterable[float], p: float) -> float | None:
    data = sorted(values)
    if not data:
        return None
    position = (len(data) - 1) * p / 100
    low, high = math.floor(position), math.ceil(position)
    if low == high:
        return data[low]
    return data[low] + (data[high] - data[low]) * (position - low)


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period from the start of `start` to the end of `end` (both included, local time)."""
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )


@dataclass
class Times:
    count: int = 0
    acknowledge: list[float] = field(default_factory=list)
    fulfil: list[float] = field(default_factory=list)
    acknowledged_on_time: int = 0
    fulfilled_on_time: int = 0

    def summary(self) -> dict:
        return {
            "requests": self.count,
            "acknowledged": len(self.acknowledge),
            "fulfilled": len(self.fulfil),
            "acknowledge_median": _round(percentile(self.acknowledge, 50)),
            "acknowledge_p90": _round(percentile(self.acknowledge, 90)),
            "fulfil_median": _round(percentile(self.fulfil, 50)),
            "fulfil_p90": _round(percentile(self.fulfil, 90)),
            "acknowledged_on_time": self.acknowledged_on_time,
            "fulfilled_on_time": self.fulfilled_on_time,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def sent_between(start: date, end: date) -> QuerySet[CommsRequest]:
    low, high = bounds(start, end)
    return CommsRequest.objects.filter(sent_at__gte=low, sent_at__lt=high).select_related("provider")


def response_times(*, start: date, end: date) -> dict:
    """Hours to acknowledge and to fulfil the requests sent in the period, by provider, by
    category and by both (the chart's series), with how many were on time."""
    by_provider: dict[str, Times] = defaultdict(Times)
    by_category: dict[str, Times] = defaultdict(Times)
    by_both: dict[tuple[str, str], Times] = defaultdict(Times)
    overall = Times()
    levels: dict[tuple[int, str], clocks.Level] = {}
    for req in sent_between(start, end).order_by("pk"):
        assert req.sent_at is not None  # sent_between keeps sent requests only
        key = (req.provider_id, req.category)
        if key not in levels:
            levels[key] = clocks.level_for(provider_id=req.provider_id, category=req.category)
        level = levels[key]
        buckets = (
            by_provider[req.provider.name],
            by_category[req.category],
            by_both[(req.provider.name, req.category)],
            overall,
        )
        for bucket in buckets:
            bucket.count += 1
        if req.acknowledged_at is not None:
            hours = clocks.elapsed_hours(req.sent_at, req.acknowledged_at, level.acknowledge_unit)
            on_time = req.acknowledge_due_at is not None and req.acknowledged_at <= req.acknowledge_due_at
            for bucket in buckets:
                bucket.acknowledge.append(hours)
                bucket.acknowledged_on_time += int(on_time)
        if req.fulfilled_at is not None:
            hours = clocks.elapsed_hours(req.sent_at, req.fulfilled_at, level.fulfil_unit)
            on_time = req.fulfil_due_at is not None and req.fulfilled_at <= req.fulfil_due_at
            for bucket in buckets:
                bucket.fulfil.append(hours)
                bucket.fulfilled_on_time += int(on_time)
    category_labels = dict(Category.choices)
    return {
        "overall": overall.summary(),
        "by_provider": [{"provider": name, **times.summary()} for name, times in sorted(by_provider.items())],
        "by_category": [
            {"category": code, "label": category_labels[code], **by_category[code].summary()}
            for code in Category.values
            if code in by_category
        ],
        "by_provider_and_category": [
            {"provider": name, "category": code, "label": category_labels[code], **times.summary()}
            for (name, code), times in sorted(by_both.items())
        ],
    }


def chart_data(times: dict) -> dict:
    """The dashboard chart's series: median hours to acknowledge per category, one series per
    provider (so the gap between county lines and sexual exploitation shows per company)."""
    providers = sorted({row["provider"] for row in times["by_provider_and_category"]})
    categories = [code for code in Category.values]
    labels = dict(Category.choices)
    cells = {(row["provider"], row["category"]): row for row in times["by_provider_and_category"]}
    return {
        "categories": [labels[code] for code in categories],
        "series": [
            {
                "name": provider,
                "acknowledge_median": [
                    cells.get((provider, code), {}).get("acknowledge_median") for code in categories
                ],
                "fulfil_median": [cells.get((provider, code), {}).get("fulfil_median") for code in categories],
            }
            for provider in providers
        ],
    }


def inspection_statistics(*, start: date, end: date) -> dict:
    """For the Investigatory Powers Commissioner's inspection: in the period, the applications
    made (submitted to the SPoC the first time), returned by the SPoC (each with its reasons),
    authorised (of which urgently), refused, and the errors recorded (recordable, reportable)."""
    low, high = bounds(start, end)
    submitted = CommsRequest.objects.filter(submitted_at__gte=low, submitted_at__lt=high)
    steps = CommsRequestTransition.objects.filter(at__gte=low, at__lt=high).select_related("request")
    returned = list(steps.filter(to_state=RequestState.RETURNED).order_by("at", "pk"))
    authorised = list(steps.filter(to_state=RequestState.AUTHORISED))
    refused = steps.filter(to_state=RequestState.REFUSED).count()
    errors = CommsError.objects.filter(recorded_at__gte=low, recorded_at__lt=high)
    return {
        "start": start,
        "end": end,
        "applications": submitted.count(),
        "by_category": {code: submitted.filter(category=code).count() for code in Category.values},
        "returned": len(returned),
        "returns": [{"reference": step.request.reference, "at": step.at, "reason": step.reason} for step in returned],
        "authorised": len(authorised),
        "urgent": sum(1 for step in authorised if step.payload.get("route") == "urgent"),
        "refused": refused,
        "errors": errors.count(),
        "errors_recordable": errors.filter(kind=ErrorKind.RECORDABLE).count(),
        "errors_reportable": errors.filter(kind=ErrorKind.REPORTABLE).count(),
        "shown": [step.request for step in returned],
    }


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will not run: text starting = + - @ tab or CR gets a leading
    apostrophe (OWASP's advice on CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def inspection_csv_rows(stats: dict) -> list[list[str]]:
    rows = [
        ["figure", "value"],
        ["period start", stats["start"].isoformat()],
        ["period end", stats["end"].isoformat()],
        ["applications made", str(stats["applications"])],
        *[[f"applications: {Category(code).label}", str(n)] for code, n in stats["by_category"].items()],
        ["returned by the SPoC", str(stats["returned"])],
        ["authorised", str(stats["authorised"])],
        ["of which urgent (designated senior officer)", str(stats["urgent"])],
        ["refused", str(stats["refused"])],
        ["errors", str(stats["errors"])],
        ["errors: recordable", str(stats["errors_recordable"])],
        ["errors: reportable", str(stats["errors_reportable"])],
        [],
        ["returned: reference", "returned: when and why"],
        *[
            [ret["reference"], f"{timezone.localtime(ret['at']):%Y-%m-%d %H:%M}: {ret['reason']}"]
            for ret in stats["returns"]
        ],
    ]
    return [[safe_cell(cell) for cell in row] for row in rows]


def outcomes(*, start: date, end: date) -> dict:
    """What a force reports after an intensification week, for the period: deal lines disrupted,
    children and vulnerable adults safeguarded (cases that entered a safeguarding step of the
    pathway: a strategy discussion, contextual safeguarding meeting, disruption panel or
    monitoring), NRM referrals submitted, and communications-data requests made and answered
    (fulfilled), of which within the provider's service level."""
    low, high = bounds(start, end)
    disrupted = DealLine.objects.filter(disrupted_on__gte=start, disrupted_on__lte=end)
    safeguarded_ids = set(
        CaseTransition.objects.filter(at__gte=low, at__lt=high, to_state__in=SAFEGUARDING_STATES).values_list(
            "case_id", flat=True
        )
    )
    kinds = dict(Case.objects.filter(pk__in=safeguarded_ids).values_list("pk", "kind"))
    nrm = NrmReferral.objects.filter(submitted_on__gte=start, submitted_on__lte=end)
    made = CommsRequest.objects.filter(submitted_at__gte=low, submitted_at__lt=high).count()
    answered = CommsRequest.objects.filter(fulfilled_at__gte=low, fulfilled_at__lt=high)
    on_time = sum(
        1
        for due, done in answered.values_list("fulfil_due_at", "fulfilled_at")
        if due is not None and done is not None and done <= due
    )
    return {
        "start": start,
        "end": end,
        "lines_disrupted": disrupted.count(),
        "lines": list(disrupted.order_by("disrupted_on", "pk")),
        "children_safeguarded": sum(1 for kind in kinds.values() if kind == CaseKind.CHILD),
        "adults_safeguarded": sum(1 for kind in kinds.values() if kind == CaseKind.VULNERABLE_ADULT),
        "nrm_referrals": nrm.count(),
        "nrm_children": nrm.filter(case__kind=CaseKind.CHILD).count(),
        "requests_made": made,
        "requests_answered": answered.count(),
        "requests_answered_on_time": on_time,
    }
