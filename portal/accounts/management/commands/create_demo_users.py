"""One demo user per role, with a printed login. For the embedded demo only."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from portal.accounts.models import Agency, User
from portal.accounts.roles import Role
from portal.accounts.services import user_create

DEMO_PASSWORD = "demo-portal-2026"

# username, role, agency code, first name, last name
DEMO_USERS = [
    ("analyst", Role.ANALYST, "wmp", "Asha", "Patel"),
    ("supervisor", Role.INTELLIGENCE_SUPERVISOR, "wmp", "Dan", "Hughes"),
    ("officer.birmingham", Role.POLICE_SAFEGUARDING_OFFICER, "wmp", "Priya", "Sandhu"),
    ("officer.coventry", Role.POLICE_SAFEGUARDING_OFFICER, "wmp", "Owen", "Price"),
    ("officer.wolverhampton", Role.POLICE_SAFEGUARDING_OFFICER, "wmp", "Bea", "Kowalski"),
    ("mash.birmingham", Role.MASH_PRACTITIONER, "birmingham", "Grace", "Okafor"),
    ("mash.coventry", Role.MASH_PRACTITIONER, "coventry", "Tom", "Reilly"),
    ("mash.solihull", Role.MASH_PRACTITIONER, "solihull", "Ade", "Bello"),
    ("mashmanager.birmingham", Role.MASH_MANAGER, "birmingham", "Helen", "Shaw"),
    ("mashmanager.coventry", Role.MASH_MANAGER, "coventry", "Rachel", "Dunn"),
    ("mashmanager.solihull", Role.MASH_MANAGER, "solihull", "Karl", "Fenton"),
    ("panel", Role.PANEL_MEMBER, "birmingham", "Imran", "Ali"),
    ("panel.coventry", Role.PANEL_MEMBER, "coventry", "Joy", "Mensah"),
    ("panel.solihull", Role.PANEL_MEMBER, "solihull", "Luke", "Harper"),
    ("partner.health", Role.PARTNER_PRACTITIONER, "health", "Nia", "Evans"),
    ("auditor", Role.AUDITOR, "wmp", "Ruth", "Clarke"),
    ("spoc", Role.SPOC, "wmp", "Mark", "Bennett"),
    ("provider.spoc", Role.PROVIDER_SPOC, "provider-northmoor", "Lena", "Fischer"),
    ("admin", Role.ADMINISTRATOR, "wmp", "Sam", "Turner"),
]


class Command(BaseCommand):
    help = "Create one demo user per role (password printed) if they do not exist."

    def handle(self, *args, **options) -> None:
        agencies = {agency.code: agency for agency in Agency.objects.all()}
        rows = []
        for username, role, agency_code, first, last in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(
                    username=username,
                    password=DEMO_PASSWORD,
                    agency=agencies[agency_code],
                    role=role,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@example.invalid",
                )
                if role == Role.ADMINISTRATOR:
                    user.is_staff = user.is_superuser = True
                    user.save(update_fields=["is_staff", "is_superuser"])
            rows.append((username, user.get_role_display(), str(user.agency)))
        width = max(len(r[0]) for r in rows)
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for username, role_label, agency in rows:
            self.stdout.write(f"  {username.ljust(width)}  {role_label}, {agency}")
