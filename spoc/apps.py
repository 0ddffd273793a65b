from __future__ import annotations

from django.apps import AppConfig


class SpocConfig(AppConfig):
    name = "spoc"
    verbose_name = "Communications data (SPoC liaison)"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.CommsRequest)
        auditlog.register(models.DealLine, m2m_fields={"people", "cases"})
        for model in (models.ProviderResponse, models.CommsError, models.ServiceLevel):
            auditlog.register(model)
