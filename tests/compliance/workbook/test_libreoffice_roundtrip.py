"""A template filled in by a test and saved again by LibreOffice reads back unchanged."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from compliance.workbook.reader import read_workbook

from .helpers import sample_data, write

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _resave(src: Path, workdir: Path) -> Path:
    assert SOFFICE, "LibreOffice is needed: apt-get install -y libreoffice-calc-nogui"
    outdir = workdir / "out"
    profile = workdir / "profile"
    env = {**os.environ, "HOME": str(workdir)}
    subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), str(src)],
        check=True, env=env, timeout=120, capture_output=True,
    )
    out = outdir / src.name
    assert out.exists()
    return out


@pytest.mark.slow
def test_libreoffice_resaved_workbook_reads_back_exactly(tmp_path: Path) -> None:
    expected = sample_data()
    src = write(tmp_path / "district.xlsx", expected)
    resaved = _resave(src, tmp_path)
    assert resaved.read_bytes() != src.read_bytes()  # really rewritten by LibreOffice
    data = read_workbook(resaved, expected_district_ids={"000123"}, expected_school_year="2026-27")
    assert data.problems == []
    assert data.district == expected.district
    assert data.schools == expected.schools
    assert data.budget == expected.budget
    assert data.proposed == expected.proposed
    assert data.lottery == expected.lottery
    assert data.has_budget_sheet
