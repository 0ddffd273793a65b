"""`python manage.py load_spoc_demo`: the SPoC liaison's demo data (after load_demo_data)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from spoc.seed import load


class Command(BaseCommand):
    help = "Create the SPoC demo: two providers and their SPoCs, deal lines from the demo run, requests in every state."

    def handle(self, *args, **options) -> None:
        load(stdout=self.stdout)
