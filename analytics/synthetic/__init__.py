"""Synthetic police-record bundles for demonstrations and tests (no real data, no Django).

`generate_bundle(out_dir, seed=1, scale="small")` writes a bundle that looks like a West
Midlands extract with planted county lines; `truth.json` beside it says what was planted.
"""

from __future__ import annotations

from .generator import REFERENCE_DATE, SCALES, GeneratedBundle, generate_bundle

__all__ = ["REFERENCE_DATE", "SCALES", "GeneratedBundle", "generate_bundle"]
