"""The auditor's trail pages in the two URL tables (see tests/url_areas.py)."""

from __future__ import annotations

from django.urls import reverse

from portal.audit.models import AccessAction

AUDITOR = {"auditor"}
SAFE = ("get", "head")

VERB_TABLE = {
    "audit:subject_detail": (("subject_type", "case"), AUDITOR, AUDITOR, set(), SAFE),
    # The report form is a GET; its POST (purpose and recipient) makes the PDF.
    "audit:subject_report": (("subject_type", "case"), AUDITOR, AUDITOR, AUDITOR, (*SAFE, "post")),
    "audit:user_detail": (("user_id",), AUDITOR, AUDITOR, set(), SAFE),
    # An empty answer names no record anyone may read: 404 for everyone, and nothing recorded but
    # the refusal.
    "audit:purpose_give": ((), set(), set(), set(), ("post",)),
}

AUDITED_PAGES = {
    "audit:subject_detail": (
        "auditor",
        lambda x: reverse("audit:subject_detail", args=["safeguarding.case", x["case"]]),
        AccessAction.VIEW,
        ("safeguarding.case", "case"),
    ),
    "audit:subject_report": (
        "auditor",
        lambda x: reverse("audit:subject_report", args=["safeguarding.case", x["case"]]),
        AccessAction.VIEW,
        ("safeguarding.case", "case"),
    ),
    "audit:user_detail": (
        "auditor",
        lambda x: reverse("audit:user_detail", args=[x["user_id"]]),
        AccessAction.VIEW,
        ("accounts.user", "user_id"),
    ),
}

# A POST: the purpose is recorded as a VIEW of the record, with an alert (tests/audit/test_purpose.py).
NOT_PERSONAL = {"audit:purpose_give"}


def context(personas) -> dict:
    return {"subject_type": "safeguarding.case", "user_id": personas.analyst.pk}
