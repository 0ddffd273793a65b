"""Per-area additions to the two tables every URL must be in: `tests/portal/test_every_verb.py`
(who may use each URL with each verb) and `tests/portal/test_audit_coverage.py` (what each page
leaves in the trail).

An area (the auditor's workspace, SPoC liaison, the analyst's workspace) keeps its rows beside its
own tests, in a module named in AREAS, so that its URLs are tested by the same two tests. A module
may define:

- VERB_TABLE: url name -> the same tuple as test_every_verb.TABLE;
- OPEN: url names anyone may reach, with nothing personal;
- AUDITED_PAGES: url name -> the same tuple as test_audit_coverage.AUDITED_PAGES;
- NOT_PERSONAL: url names that show no personal data;
- context(personas) -> dict: the values its URLs' arguments name, built through the real services
  (called only for the area's own URLs, after the shared fixtures);
- state() -> tuple: what its URLs could change, compared before and after a refusal.
"""

from __future__ import annotations

import importlib
from types import ModuleType

AREAS = (
    "tests.audit.url_table",
    "tests.audit.trail_url_table",
    "tests.spoc.url_table",
    "tests.analytics.workspace_url_table",
    "tests.analytics.api_url_table",
)


def areas() -> list[ModuleType]:
    found = []
    for name in AREAS:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as error:
            if error.name is None or not name.startswith(error.name):
                raise
    return found


def merged(attribute: str) -> dict:
    rows: dict = {}
    for module in areas():
        rows.update(getattr(module, attribute, {}))
    return rows


def merged_set(attribute: str) -> set[str]:
    return set().union(*(getattr(module, attribute, set()) for module in areas()))


def area_of(url_name: str, attribute: str) -> ModuleType | None:
    return next((m for m in areas() if url_name in getattr(m, attribute, {})), None)


def context_for(url_name: str, attribute: str, personas) -> dict:
    module = area_of(url_name, attribute)
    build = getattr(module, "context", None)
    return build(personas) if build is not None else {}


def area_state() -> tuple:
    return tuple(module.state() for module in areas() if hasattr(module, "state"))
