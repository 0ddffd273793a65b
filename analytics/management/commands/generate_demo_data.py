"""`python manage.py generate_demo_data --seed N --scale small|medium|large OUT_DIR`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analytics.synthetic import generate_bundle

SCALES = ("small", "medium", "large")


class Command(BaseCommand):
    help = (
        "Write a synthetic West Midlands bundle (CSV) with truth.json. Same seed, same bytes. "
        "small ≈ 10k records, medium ≈ 1M, large ≈ 5M."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("out_dir")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--scale", choices=SCALES, default="small")

    def handle(self, *args, out_dir: str, seed: int, scale: str, **options) -> None:
        target = Path(out_dir)
        if target.exists() and any(target.iterdir()):
            raise CommandError(f"{target} is not empty; choose a new directory so no bundle is overwritten.")
        generate_bundle(target, seed=seed, scale=scale)
        self.stdout.write(f"Wrote a {scale} bundle (seed {seed}) to {target}.")
