from __future__ import annotations

from django.apps import AppConfig


class SpocConfig(AppConfig):
    name = "spoc"
    verbose_name = "Communications data (SPoC liaison)"
