from __future__ import annotations

from django.urls import path

from . import misuse_urls, views

app_name = "audit"
urlpatterns = [path("", views.event_list, name="event_list"), *misuse_urls.urlpatterns]
