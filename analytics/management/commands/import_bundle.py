"""`python manage.py import_bundle DIR`: the same import as the upload page, from a directory."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from analytics.importing import bundle_import
from analytics.models import ImportBatch
from portal.accounts.models import User


class Command(BaseCommand):
    help = "Import a bundle directory (nominals, records, record_nominals, ...; CSV or Parquet). All or nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory")
        parser.add_argument("--as-user", help="Username recorded as the importer (default: none, a system import).")

    def handle(self, *args, directory: str, as_user: str | None = None, **options) -> None:
        actor = None
        if as_user:
            actor = User.objects.filter(username=as_user).first()
            if actor is None:
                raise CommandError(f"No user called {as_user!r}.")
        batch = ImportBatch.objects.create(imported_by=actor)
        last = {"stage": ""}

        def progress(fraction: float, stage: str) -> None:
            if stage != last["stage"] and options["verbosity"] > 0:
                self.stderr.write(f"{fraction:6.1%}  {stage}")
                last["stage"] = stage

        batch = bundle_import(batch=batch, path=directory, progress=progress)
        if batch.status != ImportBatch.Status.SUCCEEDED:
            raise CommandError("Nothing was imported:\n  " + "\n  ".join(error["message"] for error in batch.errors))
        for name, count in batch.counts.items():
            self.stdout.write(
                f"{name:16} added {count['added']:>9,}  updated {count['updated']:>9,}  unchanged {count['unchanged']:>9,}"
            )
        self.stdout.write(f"Import {batch.pk} done; harm table: {batch.harm_table}.")
