"""Command line: python -m analytics.synthetic OUT_DIR [--seed N] [--scale small|medium|large|N]."""

from __future__ import annotations

import argparse
import time

from .generator import SCALES, generate_bundle


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic police-record bundle.")
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", default="small", help=f"{', '.join(SCALES)} or a number of records")
    args = parser.parse_args(argv)
    scale: str | int = int(args.scale) if args.scale.isdigit() else args.scale
    started = time.perf_counter()
    result = generate_bundle(args.out_dir, seed=args.seed, scale=scale)
    elapsed = time.perf_counter() - started
    counts = ", ".join(f"{name} {count}" for name, count in result.counts.items())
    print(f"wrote {result.path} in {elapsed:.1f} s: {counts}")


if __name__ == "__main__":
    main()
