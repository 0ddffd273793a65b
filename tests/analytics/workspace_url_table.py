"""The analyst's workspace (network view, groups table, dismantling) in the two URL tables
(see tests/url_areas.py). The context values "run", "group" and "nominal" are the shared ones."""

from __future__ import annotations

from django.urls import reverse

from portal.audit.models import AccessAction

POLICE = {"analyst", "supervisor"}
SAFE = ("get", "head")
RESULT = "analytics.nominalresult"
GROUP = "analytics.groupresult"

VERB_TABLE: dict[str, tuple] = {
    "analytics:run_network": (("run",), POLICE, POLICE, set(), SAFE),
    "analytics:run_groups": (("run",), POLICE, POLICE, set(), SAFE),
    "analytics:run_dismantling": (("run",), POLICE, POLICE, set(), SAFE),
    "analytics:run_nominal_neighbours": (("run", "nominal"), POLICE, POLICE, set(), SAFE),
}


def _u(name, *args):
    return lambda x: reverse(name, args=[x[a] for a in args])


AUDITED_PAGES = {
    "analytics:run_network": ("analyst", _u("analytics:run_network", "run"), AccessAction.LIST, GROUP),
    "analytics:run_groups": ("analyst", _u("analytics:run_groups", "run"), AccessAction.LIST, GROUP),
    "analytics:run_dismantling": ("analyst", _u("analytics:run_dismantling", "run"), AccessAction.LIST, RESULT),
    "analytics:run_nominal_neighbours": (
        "analyst",
        _u("analytics:run_nominal_neighbours", "run", "nominal"),
        AccessAction.LIST,
        (RESULT, "run/nominal"),
    ),
}
