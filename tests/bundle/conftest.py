"""A small valid bundle that each test spoils in one way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

VALID_FILES: dict[str, str] = {
    "nominals.csv": (
        "nominal_id,surname,forenames,date_of_birth,gender,local_authority,flags\n"
        "N1,SMITH,Jack,2010-03-04,M,Birmingham,LAC\n"
        "N2,KHAN,Aisha,,F,Coventry,\n"
        "N3,JONES,Paul,1970-01-31,M,Walsall,VULNERABLE_ADULT;MENTAL_HEALTH\n"
    ),
    "records.csv": (
        "record_id,source,recorded_at,offence_code,text\n"
        "R1,CRIMES,2024-05-01,092/01,PWITS - county line phone seized\n"
        'R2,COMPACT,2024-06-02,,"MISPER found in Shrewsbury,\nconcerns re CL"\n'
        "R3,IMS,2024-07-03,,cuckooed address\n"
    ),
    "record_nominals.csv": ("record_id,nominal_id,role\nR1,N1,SUSPECT\nR2,N1,MISSING_PERSON\nR3,N3,VICTIM\n"),
    "associations.csv": "nominal_id_a,nominal_id_b,kind\nN1,N2,FAMILY\n",
    "soc_groups.csv": "soc_group_id,nominal_id\nSOC1,N2\n",
}

BundleFactory = Callable[..., Path]


@pytest.fixture
def make_bundle(tmp_path: Path) -> BundleFactory:
    """make_bundle({"records.csv": text_or_bytes_or_None}) -> a new bundle directory.

    Files not named are the valid defaults; None leaves a file out.
    """

    made: list[Path] = []

    def make(overrides: dict[str, str | bytes | None] | None = None) -> Path:
        directory = tmp_path / f"bundle{len(made) + 1}"
        directory.mkdir()
        made.append(directory)
        files: dict[str, str | bytes | None] = {**VALID_FILES, **(overrides or {})}
        for name, content in files.items():
            if content is None:
                continue
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            (directory / name).write_bytes(data)
        return directory

    return make
