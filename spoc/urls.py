from __future__ import annotations

app_name = "spoc"
urlpatterns: list = []
