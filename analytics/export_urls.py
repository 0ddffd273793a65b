"""Exports of groups, a group's members and a person's profile (included by urls.py)."""

from __future__ import annotations

urlpatterns: list = []
