"""Comparing two runs: who came in, who left, which groups split and which merged, which children
are new. Both runs are real, on a bundle and then on its later version.

Every record that matters is a county-lines record (s = 1, or 0.7 for "CLMIDDLE"); beta 0.25,
threshold 0.5. Four filler cliques keep the network large enough that every component is one
group (see analytics.method.groups, shortcut 1), so the groups below are the components.

earlier bundle                               later bundle (same ids, some texts changed, one record added)
- X1 (child), X2: a pair                      - X1, X2, Y1, Y2 share a new record RXY: the pairs merge
- Y1, Y2: a pair
- S1-S2 and T1-T2 (d = 0.7 each) joined       - H's own record no longer matches: W(H) = 0.25 * (0.7 + 0.7)
  through H (d = 1 from its own record), who    = 0.35 < 0.5, H leaves, and S1-S2 / T1-T2 split apart
  shares a non-matching record with S1 and
  another with T1
- Z (child) alone on a matching record        - Z's record no longer matches: Z leaves
- C (child) on a record that matches nothing  - C's record now matches: C comes in, a new child
"""

from __future__ import annotations

from datetime import date

import pytest

from analytics.models import NominalResult
from analytics.run_selectors import previous_run, run_comparison
from tests.analytics.bundles import import_small_bundle, run_to_the_end

pytestmark = pytest.mark.django_db

CHILDREN = {"X1", "Z", "C"}
FILLERS = [[f"F{clique}{member}" for member in range(4)] for clique in range(4)]
PEOPLE = ["X1", "X2", "Y1", "Y2", "S1", "S2", "T1", "T2", "H", "Z", "C", *(n for clique in FILLERS for n in clique)]


def nominals():
    return [(n, "2012-05-01" if n in CHILDREN else "1990-01-01", "Birmingham", "") for n in PEOPLE]


def records(*, later: bool):
    shared = [
        ("RX", "County line phone found on X1"),
        ("RY", "County line deal seen in Aston"),
        ("RS", "CLMIDDLE handing over wraps"),
        ("RT", "CLMIDDLE at the bus station"),
        ("RHS", "Seen together at a shop"),
        ("RHT", "Seen together at a park"),
        *((f"RF{i}", "County line holding address") for i in range(len(FILLERS))),
    ]
    changing = [
        ("RH", "Burglary of a shed" if later else "County line controller"),
        ("RZ", "Shoplifting" if later else "County line runner"),
        ("RC", "County line runner" if later else "Shoplifting"),
    ]
    added = [("RXY", "County lines meeting of both lines")] if later else []
    return shared + changing + added


def links(*, later: bool):
    pairs = [
        ("RX", "X1"), ("RX", "X2"), ("RY", "Y1"), ("RY", "Y2"),
        ("RS", "S1"), ("RS", "S2"), ("RT", "T1"), ("RT", "T2"),
        ("RHS", "H"), ("RHS", "S1"), ("RHT", "H"), ("RHT", "T1"),
        ("RH", "H"), ("RZ", "Z"), ("RC", "C"),
        *((f"RF{i}", n) for i, clique in enumerate(FILLERS) for n in clique),
    ]  # fmt: skip
    if later:
        pairs += [("RXY", n) for n in ("X1", "X2", "Y1", "Y2")]
    return [(record, nominal, "SUSPECT") for record, nominal in pairs]


def group_of(run) -> dict[str, int]:
    return dict(NominalResult.objects.filter(run=run).values_list("nominal_id", "group"))


def test_the_comparison_names_who_came_in_who_left_and_how_groups_changed(tmp_path):
    import_small_bundle(tmp_path / "earlier", nominals(), records(later=False), links(later=False))
    earlier = run_to_the_end(reference_date=date(2026, 6, 30))
    import_small_bundle(tmp_path / "later", nominals(), records(later=True), links(later=True))
    later = run_to_the_end(reference_date=date(2026, 6, 30))
    before, now = group_of(earlier), group_of(later)

    # The runs are what the docstring works out by hand.
    assert set(before) == set(PEOPLE) - {"C"} and set(now) == set(PEOPLE) - {"H", "Z"}
    assert before["S1"] == before["T1"] == before["H"] and before["X1"] != before["Y1"]
    assert now["S1"] != now["T1"] and now["X1"] == now["Y1"]

    assert previous_run(later) == earlier
    comparison = run_comparison(later, earlier)
    assert comparison["earlier"] == earlier
    assert comparison["added"] == ["C"]
    assert comparison["removed"] == ["H", "Z"]
    assert comparison["split"] == [(before["S1"], sorted({now["S1"], now["T1"]}))]
    assert comparison["merged"] == [(now["X1"], sorted({before["X1"], before["Y1"]}))]
    # X1 was a child in both runs and Z, a child, left: only C is newly identified.
    assert comparison["new_children"] == ["C"]
