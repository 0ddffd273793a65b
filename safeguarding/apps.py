from __future__ import annotations

from django.apps import AppConfig


class SafeguardingConfig(AppConfig):
    name = "safeguarding"
    verbose_name = "Safeguarding"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .models import Case, Consent

        auditlog.register(Case)
        auditlog.register(Consent, m2m_fields={"agencies"})
