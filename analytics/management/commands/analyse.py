"""`python manage.py analyse [--reference-date D] [--beta B] [--threshold T] [--steps S]
[--requested-by USERNAME] [--output FILE]`

The run is executed in this process and audited like any other: its creation and every
transition are in the access trail with via "command" and the operating-system user. With
`--requested-by`, the named police intelligence user is the run's requester and the actor of
its creation.
"""

from __future__ import annotations

import getpass
import os
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from analytics.analysis import analysis_params_problems, analysis_run_create, analysis_run_execute
from analytics.method.document import render_result_document
from analytics.method.inputs import PARAM_RANGES
from analytics.models import AnalysisRun, Nominal
from portal.accounts.models import User
from portal.accounts.roles import POLICE_DATA_ROLES, role_has


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--reference-date {value!r} is not a date; expected YYYY-MM-DD.") from error


def os_user() -> str:
    """Who runs the command, as the operating system knows them (for the access trail)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return f"uid {os.getuid()}"


class Command(BaseCommand):
    help = "Run the county-lines network analysis on the imported records and store the run."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--reference-date", type=_date, help="Ages are worked out on this date (default today).")
        for name, kind in (("beta", float), ("threshold", float), ("steps", int)):
            bounds = PARAM_RANGES[name]
            parser.add_argument(f"--{name}", type=kind, default=kind(bounds.default), help=bounds.problem_text)
        parser.add_argument(
            "--requested-by",
            metavar="USERNAME",
            help="The police intelligence user (analyst or intelligence supervisor) the run is for.",
        )
        parser.add_argument("--output", type=Path, help="Write the result document (METHOD.md section 8) here.")

    def handle(self, *args, reference_date, beta, threshold, steps, requested_by, output, **options) -> None:
        # Parameters first, so a mistyped value is reported whatever else is wrong.
        problems = analysis_params_problems(beta=beta, threshold=threshold, steps=steps)
        if problems:
            raise CommandError(" ".join(f"--{name}: {problem}" for name, problem in problems.items()))
        actor = self._requester(requested_by) if requested_by else None
        if not Nominal.objects.exists():
            raise CommandError("No records are imported yet; run `manage.py import_bundle DIR` first.")
        command_user = os_user()
        try:
            run = analysis_run_create(
                actor=actor,
                reference_date=reference_date,
                beta=beta,
                threshold=threshold,
                steps=steps,
                command_user=command_user,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        run = analysis_run_execute(run=run, command_user=command_user)
        if run.status != AnalysisRun.Status.SUCCEEDED:
            raise CommandError(f"Run {run.pk} {run.get_status_display().lower()}: {run.error}")
        document = run.document
        assert document is not None  # a succeeded run holds its result document
        if output:
            output.write_text(render_result_document(document), encoding="utf-8")
        timings = ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in run.ordered_timings)
        self.stdout.write(
            f"Run {run.pk}: {len(document['nominals'])} kept nominals in {len(document['groups'])} groups; "
            f"{run.nominal_results.filter(is_child=True).count()} children identified for safeguarding."
        )
        self.stdout.write(f"Stages: {timings}")
        if output:
            self.stdout.write(f"Result document written to {output}.")

    def _requester(self, username: str) -> User:
        """The active police intelligence user named `username`; anyone else is refused."""
        user = User.objects.filter(username=username).first()
        if user is None or not role_has(user, POLICE_DATA_ROLES):
            raise CommandError(
                f"--requested-by {username!r} does not name an active police intelligence user "
                "(an analyst or intelligence supervisor)."
            )
        return user
