from __future__ import annotations

from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("nominals/", views.nominal_list, name="nominal_list"),
    path("nominals/<str:nominal_id>/", views.nominal_detail, name="nominal_detail"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:batch_id>/", views.import_detail, name="import_detail"),
    path("imports/<int:batch_id>/progress/", views.import_progress_json, name="import_progress"),
    path("analysis/terms/", views.term_list, name="term_list"),
    path("analysis/terms/edit/", views.term_edit, name="term_edit"),
]
