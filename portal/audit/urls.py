from __future__ import annotations

from django.urls import path

from . import misuse_urls, views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("subjects/<str:subject_type>/<str:subject_id>/", views.subject_detail, name="subject_detail"),
    path("subjects/<str:subject_type>/<str:subject_id>/report/", views.subject_report, name="subject_report"),
    path("users/<int:user_id>/", views.user_detail, name="user_detail"),
    path("purpose/", views.purpose_give, name="purpose_give"),
    *misuse_urls.urlpatterns,
]
