"""pytest plugin for `make mutation` (loaded by pyproject's [tool.mutmut] only): fastest tests first.

mutmut runs each mutant against every test that reached the mutated function and stops at the
first failure. It passes the test ids fastest first, but pytest collects them in file order, so
the end-to-end tests of tests/analytics (each imports a bundle and executes a whole analysis run)
would run before the unit tests of tests/method. Sorting the collected items again makes a killed
mutant cost a fraction of a second instead of a minute. The durations are those mutmut measured in
its stats run (mutmut-stats.json in its working directory); before that run the order is left alone.
"""

from __future__ import annotations

import json
from pathlib import Path

STATS = Path("mutmut-stats.json")


def pytest_collection_modifyitems(session, config, items) -> None:
    if not STATS.is_file():
        return
    durations = json.loads(STATS.read_text())["duration_by_test"]
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))
