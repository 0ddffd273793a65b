from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_save


class AuditConfig(AppConfig):
    name = "portal.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from . import signals  # noqa: F401
        from .chain import on_access_event_saved
        from .models import AccessEvent

        # Each new access event is chained after its transaction commits (portal/audit/chain.py).
        post_save.connect(on_access_event_saved, sender=AccessEvent, dispatch_uid="audit-chain-on-commit")
