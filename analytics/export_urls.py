"""Exports of groups, a group's members and a person's profile (included by urls.py)."""

from __future__ import annotations

from django.urls import path

from . import export_views

urlpatterns = [
    path("analysis/runs/<int:run_id>/export/groups/", export_views.export_groups, name="export_groups"),
    path("analysis/runs/<int:run_id>/groups/<int:group>/export/", export_views.export_members, name="export_members"),
    path(
        "analysis/runs/<int:run_id>/nominals/<str:nominal_id>/export/",
        export_views.export_profile,
        name="export_profile",
    ),
]
