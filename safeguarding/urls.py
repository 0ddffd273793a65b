from __future__ import annotations

from django.urls import path

from . import views

app_name = "safeguarding"
urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/edit/", views.case_edit, name="case_edit"),
    path("cases/<int:case_id>/sharing/", views.case_sharing, name="case_sharing"),
    path("cases/<int:case_id>/consent/", views.case_consent, name="case_consent"),
    path("cases/<int:case_id>/sharing/<int:agency_id>/revoke/", views.case_unshare, name="case_unshare"),
]
