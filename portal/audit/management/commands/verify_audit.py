"""`python manage.py verify_audit`: check the access trail's chain; exit 1 naming the first bad
entry. Changes nothing in the trail (a clean run records the head as an AuditAnchor)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from portal.audit.chain import verify_chain


class Command(BaseCommand):
    help = "Verify the access trail's hash chain and its newest anchor."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-anchor", action="store_true", help="do not record the head as a new anchor")

    def handle(self, *args, **options) -> None:
        outcome = verify_chain(record_anchor=not options["no_anchor"])
        self.stdout.write(f"entries checked: {outcome.entries}")
        self.stdout.write(f"time taken: {outcome.seconds:.2f} s")
        self.stdout.write(f"head: seq {outcome.head_seq} {outcome.head_hash}")
        if not outcome.intact:
            raise CommandError(outcome.describe(), returncode=1)
        self.stdout.write(self.style.SUCCESS("the audit trail is intact"))
