"""Demo data for `make demo`: a small synthetic bundle (generated, then imported through the
real import path), two analysis runs (the second finds the same children again: new
intelligence on their cases), and the children's cases taken along the safeguarding pathway by
the demo users through the real services, so every state shows, across three local
authorities, some of them overdue."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from analytics.analysis import analysis_run_create, analysis_run_execute
from analytics.importing import bundle_import
from analytics.models import AnalysisRun, ImportBatch
from analytics.synthetic import generate_bundle
from portal.access import Access
from portal.accounts.models import Agency, User
from safeguarding.deadlines import case_deadline_refresh
from safeguarding.models import Case, CaseKind, CaseTransition, SocexHub
from safeguarding.pathway import case_transition
from safeguarding.screening import INDICATORS
from safeguarding.services import case_create, case_share

HIGH = {indicator.code: True for indicator in INDICATORS}
MEDIUM = {i.code: i.code in {"missing_episodes", "found_out_of_area"} for i in INDICATORS}
LOW = {i.code: i.code == "substance_misuse" for i in INDICATORS}
# Per authority: who acts (officer, MASH practitioner, manager, panel member), and the states to
# leave one case in each.
AUTHORITY_ACTORS = {
    "birmingham": ("officer.birmingham", "mash.birmingham", "mashmanager.birmingham", "panel"),
    "coventry": ("officer.coventry", "mash.coventry", "mashmanager.coventry", "panel.coventry"),
    # Solihull is covered by the Birmingham hub.
    "solihull": ("officer.birmingham", "mash.solihull", "mashmanager.solihull", "panel.solihull"),
}
HUB_OFFICERS = {
    "birmingham-hub": "officer.birmingham",
    "coventry-hub": "officer.coventry",
    "wolverhampton-hub": "officer.wolverhampton",
}
DEMO_STATES = [
    "identified",
    "referred",
    "screening",
    "strategy_discussion",
    "contextual_meeting",
    "disruption_panel",
    "monitoring",
    "closed",
    "no_further_action",
]

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
        self._hub_officers()
        first_run = self._analyse()
        if first_run is not None:
            self._pathway()
            self._second_run()
        self._open_cases()

    def _hub_officers(self) -> None:
        for code, username in HUB_OFFICERS.items():
            officer = User.objects.filter(username=username).first()
            if officer is not None:
                SocexHub.objects.get(code=code).officers.add(officer)

    def _analyse(self) -> AnalysisRun | None:
        if AnalysisRun.objects.filter(status=AnalysisRun.Status.SUCCEEDED).exists():
            self.stdout.write("Demo analysis already run.")
            return None
        run = analysis_run_execute(
            run=analysis_run_create(actor=User.objects.get(username="analyst"), reference_date=date(2026, 6, 30))
        )
        children = run.nominal_results.filter(is_child=True).count()
        self.stdout.write(
            f"Ran analysis {run.pk}: {run.nominal_results.count()} kept nominals, {children} children, "
            f"{Case.objects.count()} safeguarding cases opened."
        )
        return run

    def _second_run(self) -> None:
        """A later run on the same records: the children it finds again get the run linked to
        their existing case as new intelligence (and their case worker a notification)."""
        run = analysis_run_execute(
            run=analysis_run_create(actor=User.objects.get(username="supervisor"), reference_date=date(2026, 9, 30))
        )
        again = run.case_links.filter(opened_case=False).count()
        self.stdout.write(f"Ran analysis {run.pk}: {again} people identified again (new intelligence on their cases).")

    def _pathway(self) -> None:
        """One case in every state in each of three authorities, moved by the demo users; the
        earliest of them entered their state two weeks ago, so they show as overdue."""
        users = {user.username: user for user in User.objects.all()}
        moved = 0
        for authority, (officer, mash, manager, panel) in AUTHORITY_ACTORS.items():
            cases = list(
                Case.objects.filter(local_authority__code=authority, kind=CaseKind.CHILD).order_by("reference")
            )
            for case, target in zip(cases, DEMO_STATES, strict=False):
                self._advance(case, target, users[officer], users[mash], users[manager], users[panel])
                moved += 1
            for case in cases[: len(DEMO_STATES)][:3]:
                self._backdate(case, days=14)
        self.stdout.write(f"Took {moved} cases along the pathway in {len(AUTHORITY_ACTORS)} local authorities.")

    @staticmethod
    def _advance(case: Case, target: str, officer, mash, manager, panel) -> None:
        today = timezone.localdate().isoformat()
        review = (timezone.localdate() + timedelta(days=21)).isoformat()
        assert case.local_authority is not None  # _pathway picks cases by their authority
        attendees = ["wmp", case.local_authority.code, "health", "education"]
        # target state -> the (actor, to, step data) transitions that reach it
        route: dict[str, list[tuple[Any, str, dict[str, Any]]]] = {
            "identified": [],
            "referred": [
                (officer, "referred", {"concern": "A child at risk of criminal exploitation by a county line."})
            ],
            "closed": [
                (officer, "closed", {"reason": "No safeguarding concern: a neighbour's dispute, not exploitation."})
            ],
        }
        referred = route["referred"]
        accepted = referred + [(mash, "screening", {})]
        route["no_further_action"] = referred + [
            (mash, "no_further_action", {"reason": "Open to children's social care already; information only."})
        ]
        route["screening"] = accepted
        route["strategy_discussion"] = accepted + [(mash, "strategy_discussion", {"answers": HIGH})]
        route["contextual_meeting"] = accepted + [(mash, "contextual_meeting", {"answers": MEDIUM})]
        meeting: dict[str, Any] = {
            "held_on": today,
            "attendees": attendees,
            "minutes": "Discussed at the daily meeting.",
        }
        route["disruption_panel"] = route["contextual_meeting"] + [(panel, "disruption_panel", meeting)]
        tactics = [
            {"kind": "child-abduction-warning-notice", "owner_agency": "wmp", "review_on": review},
            {"kind": "youth-worker-mentoring", "owner_agency": "charity", "review_on": review},
        ]
        route["monitoring"] = route["disruption_panel"] + [(panel, "monitoring", {**meeting, "tactics": tactics})]
        for actor, to, data in route[target]:
            case_transition(actor=actor, case_id=case.pk, to=to, data=data)

    @staticmethod
    def _backdate(case: Case, *, days: int) -> None:
        """Demo history only: as if the case had entered its state `days` ago."""
        entered = timezone.now() - timedelta(days=days)
        CaseTransition.objects.filter(case=case).update(at=entered)
        case.refresh_from_db()
        case_deadline_refresh(case=case, since=entered)

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
        """A few cases opened by hand, outside any run (one a vulnerable adult without consent)."""
        if Case.objects.filter(nominal__isnull=True).exists():
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
                case = case_transition(
                    actor=supervisor,
                    case_id=case.pk,
                    to="referred",
                    data={"concern": "A child at risk of criminal exploitation: " + summary},
                )
                case_share(actor=supervisor, case=case, agency=agencies["health"], level=Access.READ)
        self.stdout.write(f"Loaded {len(DEMO_CASES)} demo cases.")
