"""The county-lines network method (METHOD.md sections 2 to 8) as a pure-Python core.

Nothing here imports Django. Callers hand in plain data (ids, texts, dates, dataclasses from
`analytics.method.inputs`) and get plain results back; the Django layer loads querysets into
`AnalysisInputs`, calls `run_analysis`, and stores what comes back.

Modules, in the order the method runs:

- `terms`: search-term groups, the default table, validation of a user-supplied pattern.
- `scoring`: record score s(r) with a fast multi-pattern engine and the plain `re` reference.
- `network`: d(v), the provisional set, deepening, W(v), w(u, v), the threshold.
- `groups`: Walktrap groups (exactly igraph's whole-network result) and SOC association.
- `harm`: CCHI and ONS harm per nominal and group, group priority, data-quality counts.
- `centrality`: betweenness, strength, eigenvector on the kept network.
- `dismantling`: robustness R, adaptive degree/betweenness removal, the harm-aware plan.
- `people`: children and vulnerable adults to safeguard.
- `explain`: why a nominal is in the network, with the arithmetic.
- `validation`: the review sample and the Beta lower credible bound.
- `document`: the result document of section 8.
- `pipeline`: `run_analysis`, which runs all of the above with progress and cancellation.
"""

from __future__ import annotations

from .inputs import (
    AnalysisInputs,
    AnalysisParams,
    Association,
    HarmEntry,
    Nominal,
    Record,
    RecordLink,
    SocMembership,
)
from .pipeline import AnalysisResult, Cancelled, run_analysis
from .terms import DEFAULT_TERM_GROUPS, Term, TermGroup, term_pattern_problem

__all__ = [
    "DEFAULT_TERM_GROUPS",
    "AnalysisInputs",
    "AnalysisParams",
    "AnalysisResult",
    "Association",
    "Cancelled",
    "HarmEntry",
    "Nominal",
    "Record",
    "RecordLink",
    "SocMembership",
    "Term",
    "TermGroup",
    "run_analysis",
    "term_pattern_problem",
]
