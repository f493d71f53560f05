"""`manage.py evaluate` reads and evaluates the workbook once, and writes the same JSON in pieces."""
from __future__ import annotations

import io
import json

import pytest

from compliance import pipeline
from compliance.demo import demo_workbook
from compliance.management.commands import evaluate as command
from compliance.workbook.template import write_workbook


@pytest.fixture
def nces_xlsx(tmp_path):
    import dataclasses

    data = demo_workbook("zoned", "2026-27")
    data.district = dataclasses.replace(data.district, district_id="2800960")  # Mississippi's FIPS prefix
    path = tmp_path / "nces.xlsx"
    write_workbook(path, data)
    return path


@pytest.mark.django_db
def test_the_pipeline_runs_once_and_names_the_states_center(nces_xlsx, tmp_path, monkeypatch):
    calls = []
    real = pipeline.evaluate_path

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(command, "evaluate_path", counting)
    out = tmp_path / "out.json"
    code = command.Command().evaluate(workbook=str(nces_xlsx), rule_set=None, json_out=str(out), pdf_out=None)
    assert code == 0 and len(calls) == 1  # before: once, then again once the state was known
    bodies = " ".join(r["body"] for f in json.loads(out.read_text())["findings"] for r in f["recommendations"])
    assert "Equity Assistance Center-South" in bodies and "serves Mississippi" in bodies


def test_json_written_in_pieces_reads_back_as_the_result():
    result = {"template_version": 1, "findings": [{"rule": "INT-01", "n": i, "x": 0.5} for i in range(2345)],
              "remedies": {"integration": {}}, "empty": []}
    buf = io.BytesIO()
    command.write_json(result, buf)
    assert json.loads(buf.getvalue()) == result
    buf = io.BytesIO()
    command.write_json({"findings": []}, buf)
    assert json.loads(buf.getvalue()) == {"findings": []}
