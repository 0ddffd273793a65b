"""`make demo`: about four weeks of access events for the demo users, with planted misuse."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from portal.audit.seed import audit_demo_seed


class Command(BaseCommand):
    help = (
        "Give the demo users vetting details, write four weeks of their access events (with a few "
        "patterns that trip each misuse rule) and evaluate the rules. Idempotent."
    )

    def handle(self, *args, **options) -> None:
        try:
            written, planted, alerts = audit_demo_seed()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        if not written:
            self.stdout.write("Audit demo history already seeded.")
        else:
            self.stdout.write(f"Wrote {written} access events of the demo users over four weeks. Planted:")
            for note in planted:
                self.stdout.write(f"  {note}")
        self.stdout.write(f"Misuse rules raised {len(alerts)} new alert(s).")
        for alert in alerts:
            self.stdout.write(f"  [{alert.rule}] {alert.message}")
