"""Demo data for `make demo`: a small synthetic bundle (generated, then imported through the
real import path) and a few safeguarding cases shared the way a real deployment shares them."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from analytics.analysis import analysis_run_create, analysis_run_execute
from analytics.importing import bundle_import
from analytics.models import AnalysisRun, ImportBatch
from analytics.synthetic import generate_bundle
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
    help = "Load the demo bundle and demo safeguarding cases (idempotent)."

    def handle(self, *args, **options) -> None:
        self._import_bundle()
        self._analyse()
        self._open_cases()

    def _analyse(self) -> None:
        if AnalysisRun.objects.filter(status=AnalysisRun.Status.SUCCEEDED).exists():
            self.stdout.write("Demo analysis already run.")
            return
        run = analysis_run_execute(
            run=analysis_run_create(actor=User.objects.get(username="analyst"), reference_date=date(2026, 6, 30))
        )
        children = run.nominal_results.filter(is_child=True).count()
        self.stdout.write(f"Ran analysis {run.pk}: {run.nominal_results.count()} kept nominals, {children} children.")

    def _import_bundle(self) -> None:
        if ImportBatch.objects.filter(status=ImportBatch.Status.SUCCEEDED).exists():
            self.stdout.write("Demo records already imported.")
            return
        bundle = settings.BASE_DIR / "var" / "demo-bundle"
        if not (bundle / "truth.json").exists():
            generate_bundle(bundle, seed=1, scale="small")
        batch = bundle_import(
            batch=ImportBatch.objects.create(imported_by=User.objects.get(username="analyst")), path=bundle
        )
        if batch.status != ImportBatch.Status.SUCCEEDED:
            raise RuntimeError(f"The demo bundle did not import: {batch.errors}")
        rows = ", ".join(f"{name} {counts['added']:,}" for name, counts in batch.counts.items())
        self.stdout.write(f"Imported the demo bundle ({rows}).")

    @transaction.atomic
    def _open_cases(self) -> None:
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
