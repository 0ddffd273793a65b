"""`python manage.py audit_revoke_privileges [--role ROLE]`: take UPDATE, DELETE and TRUNCATE on
the audit trail's tables away from the portal's database role (AUDIT_APPEND_ONLY_ROLE). Run it as
the tables' owner, again whenever the role changes."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portal.audit.chain import revoke_privileges


class Command(BaseCommand):
    help = "Revoke UPDATE, DELETE and TRUNCATE on the audit trail from the portal's database role."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--role", default="", help="database role (default: AUDIT_APPEND_ONLY_ROLE)")

    def handle(self, *args, **options) -> None:
        role = options["role"] or settings.AUDIT_APPEND_ONLY_ROLE
        if not role:
            raise CommandError("No role: set AUDIT_APPEND_ONLY_ROLE or pass --role.")
        try:
            statements = revoke_privileges(connection, role)
        except ValueError as error:
            raise CommandError(str(error)) from error
        for statement in statements:
            self.stdout.write(statement)
