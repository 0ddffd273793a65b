"""`python manage.py analyse [--reference-date D] [--beta B] [--threshold T] [--steps S] [--output FILE]`"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from analytics.analysis import analysis_run_create, analysis_run_execute
from analytics.method.document import render_result_document
from analytics.models import AnalysisRun, Nominal


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--reference-date {value!r} is not a date; expected YYYY-MM-DD.") from error


class Command(BaseCommand):
    help = "Run the county-lines network analysis on the imported records and store the run."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--reference-date", type=_date, help="Ages are worked out on this date (default today).")
        parser.add_argument("--beta", type=float, default=0.25)
        parser.add_argument("--threshold", type=float, default=0.5)
        parser.add_argument("--steps", type=int, default=4)
        parser.add_argument("--output", type=Path, help="Write the result document (METHOD.md section 8) here.")

    def handle(self, *args, reference_date, beta, threshold, steps, output, **options) -> None:
        if not Nominal.objects.exists():
            raise CommandError("No records are imported yet; run `manage.py import_bundle DIR` first.")
        try:
            run = analysis_run_create(
                actor=None, reference_date=reference_date, beta=beta, threshold=threshold, steps=steps
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        run = analysis_run_execute(run=run)
        if run.status != AnalysisRun.Status.SUCCEEDED:
            raise CommandError(f"Run {run.pk} {run.get_status_display().lower()}: {run.error}")
        if output:
            output.write_text(render_result_document(run.document), encoding="utf-8")
        timings = ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in run.ordered_timings)
        self.stdout.write(
            f"Run {run.pk}: {len(run.document['nominals'])} kept nominals in {len(run.document['groups'])} groups; "
            f"{run.nominal_results.filter(is_child=True).count()} children identified for safeguarding."
        )
        self.stdout.write(f"Stages: {timings}")
        if output:
            self.stdout.write(f"Result document written to {output}.")
