"""The SPoC liaison's URLs in the two URL tables (see tests/url_areas.py).

The context is one request drafted by the analyst about a deal line, taken by the SPoC and
Northmoor's provider SPoC to acknowledged, with a response uploaded and an error recorded. It is
seen by the SPoC, the analyst (its applicant) and Northmoor's SPoC only; everyone else gets 404.
"""

from __future__ import annotations

from django.urls import reverse

from portal.audit.models import AccessAction

SAFE = ("get", "head")
SPOC = {"spoc"}
PROVIDER = {"provider_spoc"}
# Who sees the context's request: its applicant, the police SPoC, the addressed company's SPoC.
SEES = {"spoc", "analyst", "provider_spoc"}
# Personas with requests to see (each scoped): applicants, SPoCs, provider SPoCs.
REQUEST_USERS = {"spoc", "provider_spoc", "analyst", "officer"}
APPLICANTS = {"analyst", "officer"}
# The police side of communications data: deal lines, outcomes.
POLICE = {"analyst", "supervisor", "officer", "spoc"}
LINE_EDITORS = {"analyst", "supervisor", "spoc"}
DASHBOARD = {"spoc", "supervisor"}
REQUEST = "spoc.commsrequest"
LINE = "spoc.dealline"

VERB_TABLE = {
    "spoc:workspace": ((), REQUEST_USERS, REQUEST_USERS, set(), SAFE),
    # A blank application form, for the applicant roles only; an empty POST is a form error.
    "spoc:request_create": ((), APPLICANTS, APPLICANTS, APPLICANTS, (*SAFE, "post")),
    "spoc:request_detail": (("comms_request",), SEES, SEES, set(), SAFE),
    # The analyst's draft: theirs to amend (the SPoC sees it, 403); an empty POST is a form error.
    "spoc:request_edit": (("comms_draft",), {"spoc", "analyst"}, {"analyst"}, {"analyst"}, (*SAFE, "post")),
    # The step to declined is the company's; its empty POST lacks the reason and changes nothing.
    "spoc:request_step": (("comms_request", "comms_to"), SEES, PROVIDER, PROVIDER, (*SAFE, "post")),
    "spoc:response_upload": (("comms_request",), SEES, set(), PROVIDER, ("post",)),
    "spoc:urgent_confirm": (("comms_request",), SEES, set(), SPOC, ("post",)),
    "spoc:error_create": (("comms_request",), SEES, set(), SPOC, ("post",)),
    "spoc:response_download": (("response",), SEES, SEES, set(), SAFE),
    "spoc:error_list": ((), SPOC, SPOC, set(), SAFE),
    # Only the senior responsible officer reviews an error (403 for the SPoC who reads the list).
    "spoc:error_review": (("error",), SPOC, set(), set(), ("post",)),
    "spoc:dashboard": ((), DASHBOARD, DASHBOARD, set(), SAFE),
    "spoc:inspection": ((), SPOC, SPOC, set(), SAFE),
    "spoc:inspection_csv": ((), SPOC, SPOC, set(), SAFE),
    "spoc:outcomes": ((), POLICE, POLICE, set(), SAFE),
    "spoc:line_list": ((), POLICE, POLICE, set(), SAFE),
    "spoc:line_create": ((), POLICE, LINE_EDITORS, LINE_EDITORS, (*SAFE, "post")),
    "spoc:line_detail": (("line",), POLICE, POLICE, set(), SAFE),
    "spoc:line_edit": (("line",), POLICE, LINE_EDITORS, LINE_EDITORS, (*SAFE, "post")),
    "spoc:line_status": (("line",), POLICE, set(), LINE_EDITORS, ("post",)),
    "comms-request-list": ((), REQUEST_USERS, REQUEST_USERS, set(), SAFE),
    "comms-request-detail": (("comms_request",), SEES, SEES, set(), SAFE),
    # The body is read after the scope check: whoever sees the request gets past it (the step
    # itself may then be refused with 400, 403 or 409, changing nothing).
    "comms-request-transitions": (("comms_request",), SEES, set(), SEES, ("post",)),
    "deal-line-list": ((), POLICE, POLICE, set(), SAFE),
    "deal-line-detail": (("line",), POLICE, POLICE, set(), SAFE),
}


def _u(name, *args):
    return lambda x: reverse(name, args=[x[a] for a in args])


AUDITED_PAGES = {
    "spoc:workspace": ("spoc", _u("spoc:workspace"), AccessAction.LIST, REQUEST),
    "spoc:request_detail": (
        "spoc",
        _u("spoc:request_detail", "comms_request"),
        AccessAction.VIEW,
        (REQUEST, "comms_request"),
    ),
    "spoc:request_edit": (
        "analyst",
        _u("spoc:request_edit", "comms_draft"),
        AccessAction.VIEW,
        (REQUEST, "comms_draft"),
    ),
    "spoc:request_step": (
        "provider_spoc",
        _u("spoc:request_step", "comms_request", "comms_to"),
        AccessAction.VIEW,
        (REQUEST, "comms_request"),
    ),
    "spoc:response_download": (
        "analyst",
        _u("spoc:response_download", "response"),
        AccessAction.EXPORT,
        ("spoc.providerresponse", "response"),
    ),
    "spoc:error_list": ("spoc", _u("spoc:error_list"), AccessAction.LIST, "spoc.commserror"),
    "spoc:dashboard": ("spoc", _u("spoc:dashboard"), AccessAction.LIST, REQUEST),
    "spoc:inspection": ("spoc", _u("spoc:inspection"), AccessAction.LIST, REQUEST),
    "spoc:inspection_csv": ("spoc", _u("spoc:inspection_csv"), AccessAction.EXPORT, REQUEST),
    "spoc:outcomes": ("supervisor", _u("spoc:outcomes"), AccessAction.LIST, LINE),
    "spoc:line_list": ("analyst", _u("spoc:line_list"), AccessAction.LIST, LINE),
    "spoc:line_detail": ("officer", _u("spoc:line_detail", "line"), AccessAction.VIEW, (LINE, "line")),
    "spoc:line_edit": ("spoc", _u("spoc:line_edit", "line"), AccessAction.VIEW, (LINE, "line")),
    "comms-request-list": ("provider_spoc", _u("comms-request-list"), AccessAction.LIST, REQUEST),
    "comms-request-detail": (
        "provider_spoc",
        _u("comms-request-detail", "comms_request"),
        AccessAction.VIEW,
        (REQUEST, "comms_request"),
    ),
    "deal-line-list": ("spoc", _u("deal-line-list"), AccessAction.LIST, LINE),
    "deal-line-detail": ("analyst", _u("deal-line-detail", "line"), AccessAction.VIEW, (LINE, "line")),
}

# Blank forms (nothing of a record on them), and POSTs whose services record what they change.
NOT_PERSONAL = {
    "spoc:request_create",
    "spoc:line_create",
    "spoc:response_upload",
    "spoc:urgent_confirm",
    "spoc:error_create",
    "spoc:error_review",
    "spoc:line_status",
    "comms-request-transitions",
}


def context(personas) -> dict:
    """The request, its response and error, its deal line, and a draft, built through the real
    services (once per test: a second call finds them)."""
    from spoc.models import CommsRequest
    from spoc.seed import application, take_path, upload_demo_response
    from spoc.services import deal_line_create, error_record, request_create

    req = CommsRequest.objects.filter(state="acknowledged", investigation__startswith="Operation Kestrel").first()
    if req is None:
        line = deal_line_create(
            actor=personas.analyst, data={"number": "07700 900777", "line_name": "Smokey", "runners": 3}
        )
        req = request_create(
            actor=personas.analyst,
            data=application(provider="provider-northmoor", category="child_criminal_exploitation", deal_line=line.pk),
        )
        req = take_path(req, "acknowledged", {"spoc": personas.spoc, "provider-northmoor": personas.provider_spoc})
        upload_demo_response(req, personas.provider_spoc)
        error_record(actor=personas.spoc, request_id=req.pk, kind="recordable", description="Keyed a day early.")
        request_create(
            actor=personas.analyst,
            data=application(
                provider="provider-northmoor", category="child_criminal_exploitation", investigation="Op Draft"
            ),
        )
    draft = CommsRequest.objects.get(state="draft", investigation="Op Draft")
    return {
        "comms_request": req.pk,
        "comms_draft": draft.pk,
        "comms_to": "declined",
        "response": req.responses.get().pk,
        "error": req.errors.get().pk,
        "line": req.deal_line_id,
    }


def state() -> tuple:
    from spoc.models import CommsError, CommsRequest, CommsRequestTransition, DealLine, ProviderResponse, ServiceLevel

    return (
        list(CommsRequest.objects.order_by("pk").values()),
        CommsRequestTransition.objects.count(),
        list(ProviderResponse.objects.order_by("pk").values_list("pk", "sha256")),
        list(CommsError.objects.order_by("pk").values()),
        list(DealLine.objects.order_by("pk").values()),
        ServiceLevel.objects.count(),
    )
