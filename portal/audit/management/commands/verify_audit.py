"""`python manage.py verify_audit`: check the access trail's chain and, with --subjects, each
entry's subject rows (who was shown) against the digest chained with it; exit 1 naming the
first bad entry. Changes nothing in the trail (a clean run records the head as an AuditAnchor).

The subject rows take about as long again as the chain (10 million entries: 39 s for the chain;
benchmarks/bench_audit_log.py), so they are checked on request here and every hour by beat."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from portal.audit.chain import verify_chain, verify_subjects


class Command(BaseCommand):
    help = "Verify the access trail's hash chain and its newest anchor (--subjects: each entry's subject rows too)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-anchor", action="store_true", help="do not record the head as a new anchor")
        parser.add_argument(
            "--subjects", action="store_true", help="also check each entry's subject rows against its digest"
        )

    def handle(self, *args, **options) -> None:
        outcome = verify_chain(record_anchor=not options["no_anchor"])
        self.stdout.write(f"entries checked: {outcome.entries}")
        self.stdout.write(f"time taken: {outcome.seconds:.2f} s")
        self.stdout.write(f"head: seq {outcome.head_seq} {outcome.head_hash}")
        if not outcome.intact:
            raise CommandError(outcome.describe(), returncode=1)
        if options["subjects"]:
            subjects = verify_subjects()
            self.stdout.write(f"subject rows of {subjects.entries} entries checked in {subjects.seconds:.2f} s")
            if not subjects.intact:
                raise CommandError(subjects.describe(), returncode=1)
        self.stdout.write(self.style.SUCCESS("the audit trail is intact"))
