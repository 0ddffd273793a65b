"""The misuse rules, alerts and their review, and subject markers (included by urls.py)."""

from __future__ import annotations

urlpatterns: list = []
