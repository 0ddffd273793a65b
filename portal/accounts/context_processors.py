"""The menu a user sees follows their role."""

from __future__ import annotations

from django.urls import reverse

from safeguarding.selectors import DASHBOARD_ROLES
from spoc.selectors import REQUEST_ROLES

from .roles import (
    ADMIN_ROLES,
    AUDIT_ROLES,
    CASE_ROLES,
    COMMS_POLICE_ROLES,
    POLICE_DATA_ROLES,
    Role,
    role_has,
)

# (label, url name, roles that see it). Later areas add their entries here.
MENU = [
    ("Home", "home", None),
    ("Imports", "analytics:import_list", POLICE_DATA_ROLES),
    ("Analysis", "analytics:run_list", POLICE_DATA_ROLES),
    ("Nominals", "analytics:nominal_list", POLICE_DATA_ROLES),
    ("Search terms", "analytics:term_list", POLICE_DATA_ROLES),
    ("Dashboard", "safeguarding:dashboard", DASHBOARD_ROLES),
    ("Meetings", "safeguarding:meeting_contextual", DASHBOARD_ROLES),
    ("Cases", "safeguarding:case_list", CASE_ROLES),
    ("Communications data", "spoc:workspace", REQUEST_ROLES),
    ("Deal lines", "spoc:line_list", COMMS_POLICE_ROLES),
    ("Audit trail", "audit:event_list", AUDIT_ROLES),
    ("Alerts", "audit:alert_list", AUDIT_ROLES),
    ("Misuse rules", "audit:rule_list", AUDIT_ROLES),
    ("Markers", "audit:marker_list", AUDIT_ROLES | {Role.INTELLIGENCE_SUPERVISOR}),
    ("Administration", "admin:index", ADMIN_ROLES),
]


def menu_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    return [
        {"label": label, "url": reverse(name)} for label, name, roles in MENU if roles is None or role_has(user, roles)
    ]


def navigation(request) -> dict:
    return {"menu": menu_for(request.user)}
