from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Agencies and people"

    def ready(self) -> None:
        from . import signals  # noqa: F401
