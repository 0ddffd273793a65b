"""Demo data for `make demo`: a few safeguarding cases shared the way a real deployment shares
them. Later stages (import of a generated bundle, analysis) extend this command."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction

from portal.access import Access
from portal.accounts.models import Agency, User
from safeguarding.models import Case, CaseKind
from safeguarding.services import case_create, case_share

DEMO_CASES = [
    # forenames, surname, date of birth, kind, local authority code, summary
    (
        "Jayden",
        "Morris",
        date(2011, 3, 14),
        CaseKind.CHILD,
        "birmingham",
        "Found in Shrewsbury during a missing episode; linked to a Birmingham deal line.",
    ),
    (
        "Kieran",
        "Walsh",
        date(2010, 9, 2),
        CaseKind.CHILD,
        "coventry",
        "Arrested with wraps of crack cocaine in Leamington; treated as a victim of exploitation.",
    ),
    (
        "Maureen",
        "Doyle",
        date(1961, 1, 30),
        CaseKind.VULNERABLE_ADULT,
        "sandwell",
        "Flat believed cuckooed by a Wolverhampton line. No consent to share recorded yet.",
    ),
]


class Command(BaseCommand):
    help = "Load demo safeguarding cases (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        if Case.objects.exists():
            self.stdout.write("Demo cases already loaded.")
            return
        analyst = User.objects.get(username="analyst")
        supervisor = User.objects.get(username="supervisor")
        agencies = {agency.code: agency for agency in Agency.objects.all()}
        for forenames, surname, dob, kind, la_code, summary in DEMO_CASES:
            case = case_create(
                actor=analyst,
                kind=kind,
                forenames=forenames,
                surname=surname,
                date_of_birth=dob,
                local_authority=agencies[la_code],
                summary=summary,
            )
            if kind == CaseKind.CHILD:
                case_share(actor=supervisor, case=case, agency=agencies["health"], level=Access.READ)
        self.stdout.write(f"Loaded {len(DEMO_CASES)} demo cases.")
