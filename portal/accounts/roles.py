"""Roles and what each may do. One place, so pages, menus and services agree.

A role says what kind of work a person does; *which records* they may see is decided per
object by sharing (see portal.access). The capabilities below only gate whole areas.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ANALYST = "analyst", "Analyst"
    INTELLIGENCE_SUPERVISOR = "intelligence_supervisor", "Intelligence supervisor"
    POLICE_SAFEGUARDING_OFFICER = "police_safeguarding_officer", "Police safeguarding officer (SOCEx hub)"
    MASH_PRACTITIONER = "mash_practitioner", "MASH practitioner"
    MASH_MANAGER = "mash_manager", "MASH manager"
    PANEL_MEMBER = "panel_member", "Panel member"
    PARTNER_PRACTITIONER = "partner_practitioner", "Partner practitioner"
    AUDITOR = "auditor", "Auditor"
    SPOC = "spoc", "SPoC"
    PROVIDER_SPOC = "provider_spoc", "Provider SPoC"
    # Investigatory Powers Act 2016: the designated senior officer who may authorise an urgent
    # communications-data request (threat to life), and the senior responsible officer who
    # reviews the force's errors.
    DESIGNATED_SENIOR_OFFICER = "designated_senior_officer", "Designated senior officer (communications data)"
    SENIOR_RESPONSIBLE_OFFICER = "senior_responsible_officer", "Senior responsible officer (communications data)"
    ADMINISTRATOR = "administrator", "Administrator"


# Police intelligence (nominals, records, analysis runs) is held by the force and seen by its
# intelligence staff by role; partner agencies only ever see what is shared with them as cases.
POLICE_DATA_ROLES = frozenset({Role.ANALYST, Role.INTELLIGENCE_SUPERVISOR})

# Roles that work safeguarding cases (what they see is still limited to what is shared).
CASE_ROLES = frozenset(
    {
        Role.ANALYST,
        Role.INTELLIGENCE_SUPERVISOR,
        Role.POLICE_SAFEGUARDING_OFFICER,
        Role.MASH_PRACTITIONER,
        Role.MASH_MANAGER,
        Role.PANEL_MEMBER,
        Role.PARTNER_PRACTITIONER,
    }
)

# Roles that may share a case they can write with another agency or person.
SHARING_ROLES = frozenset({Role.INTELLIGENCE_SUPERVISOR, Role.MASH_MANAGER})

# Roles that may hold an API token: the API serves cases and nominals, so the roles that work
# them (local authorities' own case systems read it with a MASH user's token).
API_ROLES = CASE_ROLES

AUDIT_ROLES = frozenset({Role.AUDITOR})
COMMS_DATA_ROLES = frozenset({Role.SPOC, Role.PROVIDER_SPOC})
# Who applies for communications data: analysts and investigating officers.
COMMS_APPLICANT_ROLES = frozenset({Role.ANALYST, Role.POLICE_SAFEGUARDING_OFFICER})
# The police side of communications data (requests, deal lines, dashboards).
COMMS_POLICE_ROLES = frozenset(
    {
        Role.SPOC,
        Role.ANALYST,
        Role.INTELLIGENCE_SUPERVISOR,
        Role.POLICE_SAFEGUARDING_OFFICER,
        Role.DESIGNATED_SENIOR_OFFICER,
        Role.SENIOR_RESPONSIBLE_OFFICER,
    }
)
ADMIN_ROLES = frozenset({Role.ADMINISTRATOR})


def role_has(user, roles: frozenset[str]) -> bool:
    """True when an authenticated, active user holds one of `roles`."""
    return bool(user.is_authenticated and user.is_active and getattr(user, "role", None) in roles)
