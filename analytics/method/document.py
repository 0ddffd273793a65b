"""The result document (METHOD.md section 8): the keys of the specification, in a deterministic
order (nominals by id, groups by number, edges by their two ids), so the same run always gives
the same bytes.

`score` is the nominal weighting W(v), the number the threshold was applied to. `is_child` is
null when the date of birth is unknown (such nominals are listed for review, not routed).
`dismantle_rank` is the position in the harm-aware dismantling order (1 = remove first).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from .centrality import Centrality
from .dismantling import DismantlingPlan
from .groups import Groups
from .harm import GroupHarm, NominalHarm
from .inputs import AnalysisParams
from .network import Network

# The key order of METHOD.md section 8. A stored document comes back from PostgreSQL's jsonb with
# its keys re-ordered (shortest first), so rendering puts them back in this order.
KEY_ORDER: dict[str, tuple[str, ...]] = {
    "document": ("run", "nominals", "groups", "edges"),
    "run": ("id", "reference_date", "params"),
    "params": ("beta", "threshold", "steps"),
    "nominals": (
        "nominal_id",
        "score",
        "group",
        "is_child",
        "harm_cchi",
        "harm_ons",
        "betweenness",
        "strength",
        "eigenvector",
        "dismantle_rank",
    ),
    "groups": ("group", "members", "soc_group_id", "harm_cchi", "harm_ons", "priority_rank"),
    "edges": ("a", "b", "weight"),
}


def build_result_document(
    *,
    params: AnalysisParams,
    network: Network,
    groups: Groups,
    soc_labels: Mapping[int, str | None],
    harm: NominalHarm,
    group_harm: Mapping[int, GroupHarm],
    centrality: Centrality,
    dismantling: DismantlingPlan,
    children: Mapping[str, bool | None],
) -> dict[str, Any]:
    """`children`: nominal_id -> is_child (True, False, or None when age unknown)."""
    rank = dismantling.rank_of()
    nominals = []
    for nominal_id in network.kept:
        cchi, ons = harm.of(nominal_id)
        nominals.append(
            {
                "nominal_id": nominal_id,
                "score": network.weighting[nominal_id],
                "group": groups.group_of[nominal_id],
                "is_child": children.get(nominal_id),
                "harm_cchi": cchi,
                "harm_ons": ons,
                "betweenness": centrality.betweenness[nominal_id],
                "strength": centrality.strength[nominal_id],
                "eigenvector": centrality.eigenvector[nominal_id],
                "dismantle_rank": rank.get(nominal_id),
            }
        )
    group_rows = [
        {
            "group": group,
            "members": list(members),
            "soc_group_id": soc_labels.get(group),
            "harm_cchi": group_harm[group].cchi,
            "harm_ons": group_harm[group].ons,
            "priority_rank": group_harm[group].priority_rank,
        }
        for group, members in sorted(groups.members.items())
    ]
    edges = [{"a": a, "b": b, "weight": w} for (a, b), w in sorted(network.edges.items())]
    return {
        "run": {
            "id": params.run_id,
            "reference_date": _iso(params.reference_date),
            "params": {"beta": params.beta, "threshold": params.threshold, "steps": params.steps},
        },
        "nominals": nominals,
        "groups": group_rows,
        "edges": edges,
    }


def render_result_document(document: Mapping[str, Any]) -> str:
    """The document as UTF-8 JSON text (what `analyse --output FILE` writes): one line per
    nominal, group and edge, so that it reads, greps and diffs by row. (json's indented output
    goes through its pure-Python encoder, seconds for a large run; each row here goes through
    the C encoder.) Keys come in the order of METHOD.md section 8 (`KEY_ORDER`)."""
    parts = []
    for key, value in _in_order(document, "document").items():
        if isinstance(value, list):
            rows = ",\n".join("    " + json.dumps(row, ensure_ascii=False) for row in value)
            parts.append(f"  {json.dumps(key)}: [\n{rows}\n  ]" if value else f"  {json.dumps(key)}: []")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _in_order(value: Any, kind: str) -> Any:
    """`value` with every mapping's keys in `KEY_ORDER` order (the keys it names first, then
    any others as they come), all the way down: a mapping under key k, or the rows of a list
    under k, are ordered as `KEY_ORDER[k]`."""
    if isinstance(value, Mapping):
        order = KEY_ORDER.get(kind, ())
        keys = [key for key in order if key in value] + [key for key in value if key not in order]
        return {key: _in_order(value[key], key) for key in keys}
    if isinstance(value, list):
        return [_in_order(item, kind) for item in value]
    return value


def _iso(value: date) -> str:
    return value.isoformat()
