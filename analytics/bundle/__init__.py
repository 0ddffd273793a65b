"""Police-record bundles: what their files must contain and a streaming, validating reader.

Pure Python (no Django). The import layer reads a bundle through `open_bundle`; see
`analytics.bundle.bundle` for the reading protocol and `analytics.bundle.schema` for the rules
each column follows and the row type each file yields.
"""

from __future__ import annotations

from .bundle import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_PROBLEMS,
    Bundle,
    BundleFile,
    BundleSummary,
    FileSummary,
    open_bundle,
    read_table,
    validate_bundle,
)
from .problems import BundleError, BundleProblem
from .schema import (
    FILE_SPECS,
    KNOWN_ROLES,
    SOURCES,
    AssociationRow,
    HarmRow,
    NominalRow,
    RecordNominalRow,
    RecordRow,
    SocGroupRow,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_PROBLEMS",
    "FILE_SPECS",
    "KNOWN_ROLES",
    "SOURCES",
    "AssociationRow",
    "Bundle",
    "BundleError",
    "BundleFile",
    "BundleProblem",
    "BundleSummary",
    "FileSummary",
    "HarmRow",
    "NominalRow",
    "RecordNominalRow",
    "RecordRow",
    "SocGroupRow",
    "open_bundle",
    "read_table",
    "validate_bundle",
]
