"""Fixtures for the pure-Python method: nothing here touches the database or Django.

The real criminal networks are read from CRIMINAL_NETWORKS_DIR, else from the shared data
directory of the project. A missing directory fails the tests that need it (never skips them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analytics.method.network_files import read_network

_CANDIDATES = (
    os.environ.get("CRIMINAL_NETWORKS_DIR", ""),
    str(Path(__file__).resolve().parents[2] / "data" / "criminal-networks"),
    # CI clones the repository with the project's shared/ folder beside it.
    str(Path(__file__).resolve().parents[3] / "shared" / "data" / "criminal-networks"),
    "/work/shared/data/criminal-networks",
)

NETWORK_FILES = (
    "ITALIAN_GANGS.csv",
    "LONDON_GANG.csv",
    "MONTREALGANG.csv",
    "Montagna_meetings_edgelist.csv",
    "Montagna_phonecalls_edgelist.csv",
    "macdonald_tfc.csv",
    "morselli_caviar.csv",
    "morselli_siren.csv",
)


def networks_dir() -> Path:
    for candidate in _CANDIDATES:
        if candidate and Path(candidate, "Montagna_meetings_edgelist.csv").is_file():
            return Path(candidate)
    pytest.fail(
        "The criminal-network files were not found; set CRIMINAL_NETWORKS_DIR to the directory "
        "holding Montagna_meetings_edgelist.csv and the other files of data/criminal-networks."
    )


@pytest.fixture(scope="session")
def real_networks() -> dict[str, tuple[list[str], dict[tuple[str, str], float]]]:
    """name -> (nodes, weighted edges) for every file of data/criminal-networks."""
    directory = networks_dir()
    return {name: read_network(directory / name) for name in NETWORK_FILES}
