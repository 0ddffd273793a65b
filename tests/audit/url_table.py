"""The misuse pages (alerts, rules, report, markers) in the two URL tables (see tests/url_areas.py)."""

from __future__ import annotations

from django.urls import reverse

from portal.audit.models import AccessAction

AUDITOR = {"auditor"}
MARKERS = {"auditor", "supervisor"}
SUPERVISOR = {"supervisor"}
SAFE = ("get", "head")

VERB_TABLE = {
    "audit:alert_list": ((), AUDITOR, AUDITOR, set(), SAFE),
    # The POST is the review step (an empty one is a form error, and changes nothing).
    "audit:alert_detail": (("alert",), AUDITOR, AUDITOR, AUDITOR, (*SAFE, "post")),
    "audit:alert_report": ((), AUDITOR, AUDITOR, set(), SAFE),
    "audit:rule_list": ((), AUDITOR, AUDITOR, AUDITOR, (*SAFE, "post")),
    # Auditors read the markers; only an intelligence supervisor sets (403 for the auditor) or
    # removes them.
    "audit:marker_list": ((), MARKERS, MARKERS, SUPERVISOR, (*SAFE, "post")),
    "audit:marker_remove": (("marker",), SUPERVISOR, set(), SUPERVISOR, ("post",)),
}

AUDITED_PAGES = {
    "audit:alert_list": ("auditor", lambda x: reverse("audit:alert_list"), AccessAction.LIST, "audit.alert"),
    "audit:alert_detail": (
        "auditor",
        lambda x: reverse("audit:alert_detail", args=[x["alert"]]),
        AccessAction.VIEW,
        ("audit.alert", "alert"),
    ),
    "audit:alert_report": ("auditor", lambda x: reverse("audit:alert_report"), AccessAction.LIST, "audit.alert"),
    "audit:rule_list": ("auditor", lambda x: reverse("audit:rule_list"), AccessAction.LIST, "audit.misuserule"),
    "audit:marker_list": (
        "auditor",
        lambda x: reverse("audit:marker_list"),
        AccessAction.LIST,
        "audit.subjectmarker",
    ),
}

# A POST: removing a marker is recorded as an UPDATE naming the person (tests/audit/test_alert_review.py).
NOT_PERSONAL = {"audit:marker_remove"}


def context(personas) -> dict:
    """An alert (a bulk export through record_access, evaluated by the real rules) and a marker
    (set by the supervisor on the tiny bundle's child)."""
    from portal.audit.alerts import subject_marker_set
    from portal.audit.misuse import evaluate_rules
    from portal.audit.models import Alert, MisuseRuleCode
    from portal.audit.services import record_access

    record_access(
        action=AccessAction.EXPORT,
        actor=personas.analyst,
        object_type="analytics.nominal",
        result_count=250,
        via="web",
    )
    evaluate_rules(codes=[MisuseRuleCode.BULK])
    alert = Alert.objects.get(rule=MisuseRuleCode.BULK)
    marker = subject_marker_set(
        actor=personas.supervisor,
        subject_type="analytics.nominal",
        subject_id="N-TEST-1",
        kind="high_profile",
        reason="Child of a public figure",
    )
    return {"alert": alert.pk, "marker": marker.pk}


def state() -> tuple:
    from portal.audit.models import Alert, AlertNote, MisuseRule, SubjectMarker

    return (
        list(Alert.objects.order_by("pk").values_list("pk", "status")),
        AlertNote.objects.count(),
        list(MisuseRule.objects.order_by("pk").values_list("code", "enabled", "params")),
        list(SubjectMarker.objects.order_by("pk").values_list("pk", "removed_at")),
    )
