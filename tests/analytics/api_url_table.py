"""The analyst's API (/api/v1/runs/..., /api/v1/exports/) and the export pages in the two URL
tables (see tests/url_areas.py)."""

from __future__ import annotations

from django.urls import reverse

from portal.audit.models import AccessAction

POLICE = {"analyst", "supervisor"}
SAFE = ("get", "head")
RUN = "analytics.analysisrun"
GROUP = "analytics.groupresult"
IN_RUN = "analytics.nominalresult"


def _u(name, *args):
    return lambda x: reverse(name, args=[x[a] for a in args])


VERB_TABLE = {
    # The export pages: a GET is the purpose form, a POST makes the file (an empty POST is a form
    # error and exports nothing). The analyst did not start the run, so the profile's page asks
    # them for a purpose first (403, not 404).
    "analytics:export_groups": (("run",), POLICE, POLICE, POLICE, (*SAFE, "post")),
    "analytics:export_members": (("run", "group"), POLICE, POLICE, POLICE, (*SAFE, "post")),
    "analytics:export_profile": (("run", "nominal"), POLICE, POLICE, POLICE, (*SAFE, "post")),
    "analysis-run-list": ((), POLICE, POLICE, set(), SAFE),
    "analysis-run-detail": (("run",), POLICE, POLICE, set(), SAFE),
    "run-group-list": (("run",), POLICE, POLICE, set(), SAFE),
    "run-group-detail": (("run", "group"), POLICE, POLICE, set(), SAFE),
    "run-nominal-list": (("run",), POLICE, POLICE, set(), SAFE),
    "run-nominal-detail": (("run", "nominal"), POLICE, POLICE, set(), SAFE),
    "run-nominal-explanation": (("run", "nominal"), POLICE, POLICE, set(), SAFE),
    # Creating an export: who may export is checked before the body is read.
    "export-list": ((), POLICE, set(), POLICE, ("post",)),
    # An export's record is its maker's alone: the supervisor gets the same 404 as anyone.
    "export-detail": (("export",), {"analyst"}, {"analyst"}, set(), SAFE),
}

# The API's description and its browsable docs: no records.
OPEN = {"api-v1-schema", "api-v1-docs"}

AUDITED_PAGES = {
    "analytics:export_groups": ("analyst", _u("analytics:export_groups", "run"), AccessAction.VIEW, (RUN, "run")),
    "analytics:export_members": (
        "analyst",
        _u("analytics:export_members", "run", "group"),
        AccessAction.VIEW,
        (GROUP, "run/group"),
    ),
    "analytics:export_profile": (
        "supervisor",  # reviews the run (the analyst would be asked why first)
        _u("analytics:export_profile", "run", "nominal"),
        AccessAction.VIEW,
        (IN_RUN, "run/nominal"),
    ),
    "analysis-run-list": ("analyst", _u("analysis-run-list"), AccessAction.LIST, RUN),
    "analysis-run-detail": ("analyst", _u("analysis-run-detail", "run"), AccessAction.VIEW, (RUN, "run")),
    "run-group-list": ("analyst", _u("run-group-list", "run"), AccessAction.LIST, GROUP),
    "run-group-detail": ("analyst", _u("run-group-detail", "run", "group"), AccessAction.VIEW, (GROUP, "run/group")),
    "run-nominal-list": ("analyst", _u("run-nominal-list", "run"), AccessAction.LIST, IN_RUN),
    "run-nominal-detail": (
        "supervisor",
        _u("run-nominal-detail", "run", "nominal"),
        AccessAction.VIEW,
        (IN_RUN, "run/nominal"),
    ),
    "run-nominal-explanation": (
        "supervisor",
        _u("run-nominal-explanation", "run", "nominal"),
        AccessAction.VIEW,
        (IN_RUN, "run/nominal"),
    ),
    "export-detail": ("analyst", _u("export-detail", "export"), AccessAction.VIEW, ("analytics.export", "export")),
}

NOT_PERSONAL = {
    "api-v1-schema",
    "api-v1-docs",
    "export-list",  # a POST: recorded as an EXPORT with the file's hash and ids, or as REFUSED
}


def context(personas) -> dict:
    """An export the analyst made of the shared fixtures' completed run, through the service."""
    from analytics.exports import ExportFormat, ExportKind, export_create, export_request_clean
    from analytics.models import AnalysisRun

    run = AnalysisRun.objects.get(status=AnalysisRun.Status.SUCCEEDED)
    spec = export_request_clean(
        kind=ExportKind.GROUPS,
        format=ExportFormat.CSV,
        run_id=run.pk,
        purpose="investigation",
        justification="Operation Larch: the groups for the briefing.",
    )
    return {"export": export_create(user=personas.analyst, spec=spec).export_id}
