"""`manage.py evaluate`: one code path with the worker, exit 0 / 2 / 1, the JSON of evaluate-cli.md."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.demo import demo_workbook, write_mistakes_sample
from compliance.rules.ruleset import DEFAULT_PARAMS
from compliance.workbook.template import write_workbook

ROOT = Path(__file__).resolve().parents[2]


def run_evaluate(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    # As a state analyst runs it: no dev profile, no secret key, no broker, and an empty,
    # unmigrated database. The command must need none of them.
    env = {k: v for k, v in os.environ.items()
           if k not in {"DJANGO_DEV", "SECRET_KEY", "CELERY_BROKER_URL", "DEBUG"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'none.sqlite3'}"
    return subprocess.run([sys.executable, "manage.py", "evaluate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def zoned_xlsx(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wb") / "zoned.xlsx"
    write_workbook(path, demo_workbook("zoned", "2026-27"))
    return path


def test_evaluated_workbook_exits_0_with_measures_and_findings(zoned_xlsx, tmp_path):
    out = tmp_path / "out.json"
    result = run_evaluate(str(zoned_xlsx), "--json", str(out), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert set(data) >= {"template_version", "district", "rule_set", "problems", "measures", "findings"}
    assert data["template_version"] == 1
    assert data["district"] == {"district_id": "2611", "district_name": "Riverside County Schools",
                                "school_year": "2026-27"}
    assert data["rule_set"] == {"name": "State default", "version": "1"}
    district = data["measures"]["district"]
    assert set(district["dissimilarity"]) >= {"multigroup", "black_white", "hispanic_white",
                                              "students_of_color_white", "ed_not_ed"}
    assert 0.3 < district["dissimilarity"]["black_white"] < 1
    assert set(data["measures"]["bands"]) == {"elementary", "middle", "high"}
    assert "proposed" in data["measures"]  # the zoned demo proposes a rezoning
    carver = next(s for s in data["measures"]["schools"] if s["school_id"] == "0316")
    assert carver["band"] == "elementary" and carver["enrollment_total"] == 395
    assert carver["share"]["black"] == pytest.approx(366 / 395, abs=1e-9)
    rules = {f["rule"] for f in data["findings"]}
    assert {"INT-01", "INT-02", "INT-03", "INT-05"} <= rules
    int02 = [f for f in data["findings"] if f["rule"] == "INT-02"]
    assert {f["school_id"] for f in int02} == {"0315", "0316", "0317"}
    assert all(f["recommendations"] for f in data["findings"] if f["severity"] == "finding")


def test_json_on_standard_output_is_the_json_alone(zoned_xlsx, tmp_path):
    # The zoned district's remedy programs run (HiGHS prints a banner on first use unless kept
    # from it), and a script reads the evaluation from the pipe.
    result = run_evaluate(str(zoned_xlsx), "--json", "-", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('{"template_version":1,') and result.stdout.rstrip().endswith("}")
    data = json.loads(result.stdout)
    plans = data["remedies"]["integration"]
    assert set(plans) == {"elementary", "middle"} and all(p["students_moved"] > 0 for p in plans.values())
    assert "HiGHS" not in result.stderr


def test_blocking_errors_exit_2_and_are_still_written(tmp_path):
    path = tmp_path / "broken.xlsx"
    write_mistakes_sample(path, demo_workbook("zoned", "2026-27"))
    result = run_evaluate(str(path), "--json", "-", tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    data = json.loads(result.stdout)
    assert data["findings"] == [] and data["measures"] == {}
    # The District sheet has an error (the email), yet the JSON still says whose workbook it is.
    assert data["district"] == {"district_id": "2611", "district_name": "Riverside County Schools",
                                "school_year": "2026-27"}
    found = {(p["sheet"], p["row"], p["column"]) for p in data["problems"] if p["severity"] == "error"}
    assert ("Schools", 4, "black") in found  # "12a"
    assert ("Schools", 7, "school_id") in found  # duplicate id
    assert ("Budget", 12, "school_id") in found  # 9999 is not a school
    assert ("District", 7, "contact_email") in found
    typo = next(p for p in data["problems"] if (p["sheet"], p["row"], p["column"]) == ("Schools", 4, "black"))
    assert typo["value"] == "12a" and typo["code"].startswith("DATA-")


def test_not_a_workbook_exits_2_with_one_clear_error(tmp_path):
    path = tmp_path / "renamed.xlsx"
    path.write_text("school_id,school_name\n001,Carver\n")
    result = run_evaluate(str(path), "--json", "-", tmp_path=tmp_path)
    assert result.returncode == 2
    problems = json.loads(result.stdout)["problems"]
    assert len(problems) == 1 and problems[0]["severity"] == "error"


def test_missing_file_and_bad_rule_set_exit_1(zoned_xlsx, tmp_path):
    assert run_evaluate(str(tmp_path / "nope.xlsx"), tmp_path=tmp_path).returncode == 1
    bad = tmp_path / "rules.json"
    params = copy.deepcopy(DEFAULT_PARAMS)
    params["INT-01"]["band"] = 7
    bad.write_text(json.dumps(params))
    result = run_evaluate(str(zoned_xlsx), "--rule-set", str(bad), tmp_path=tmp_path)
    assert result.returncode == 1 and "INT-01.band" in result.stderr


def test_usage_errors_exit_1_in_one_line_not_2(zoned_xlsx, tmp_path):
    # 2 means "blocking errors, written to the JSON" (docs/evaluate-cli.md); a script reading it
    # looks for the JSON. A mistyped option, a missing workbook argument or an output path that
    # cannot be written is the caller's mistake: exit 1, one line, no traceback, no evaluation.
    for args in [(str(zoned_xlsx), "--json", "-", "--unknown-flag"), ("--json", "-"),
                 (str(zoned_xlsx), "--json", str(tmp_path / "no-such-folder" / "x.json")),
                 (str(zoned_xlsx), "--json", str(tmp_path)),
                 (str(zoned_xlsx), "--pdf", str(tmp_path / "no-such-folder" / "x.pdf"))]:
        result = run_evaluate(*args, tmp_path=tmp_path)
        assert result.returncode == 1, (args, result.returncode, result.stderr)
        assert "Traceback" not in result.stderr and result.stdout == "", args
    result = run_evaluate(str(zoned_xlsx), "--json", str(tmp_path / "no-such-folder" / "x.json"), tmp_path=tmp_path)
    assert result.stderr.strip() == f"Cannot write {tmp_path / 'no-such-folder' / 'x.json'}: the folder " \
                                    f"{tmp_path / 'no-such-folder'} does not exist."


def test_rule_set_file_changes_the_outcome(zoned_xlsx, tmp_path):
    loose = copy.deepcopy(DEFAULT_PARAMS)
    for code in ("INT-01", "INT-02", "INT-03", "INT-04", "INT-05"):
        loose[code]["enabled"] = False
    path = tmp_path / "loose.json"
    path.write_text(json.dumps({"name": "Integration off", "version": 7, "params": loose}))
    result = run_evaluate(str(zoned_xlsx), "--rule-set", str(path), "--json", "-", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["rule_set"] == {"name": "Integration off", "version": "7"}
    assert not any(f["rule"].startswith("INT-0") and f["rule"] != "INT-06" for f in data["findings"])


def test_pdf_written_offline(zoned_xlsx, tmp_path):
    pdf = tmp_path / "report.pdf"
    result = run_evaluate(str(zoned_xlsx), "--pdf", str(pdf), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Riverside County Schools" in text and "Carver Elementary" in text


def test_offline_names_the_center_from_the_nces_id_state(tmp_path):
    # No database knows the district: the NCES LEA id 2800960 starts with 28, Mississippi's FIPS
    # code, served by Region II (Equity Assistance Center-South). An id that is no NCES id says
    # nothing, and the report says the center is not known.
    import dataclasses

    data = demo_workbook("zoned", "2026-27")
    data.district = dataclasses.replace(data.district, district_id="2800960")
    wb = tmp_path / "nces.xlsx"
    write_workbook(wb, data)
    pdf, out = tmp_path / "r.pdf", tmp_path / "r.json"
    result = run_evaluate(str(wb), "--pdf", str(pdf), "--json", str(out), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    first = " ".join(subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True,
                                    text=True).stdout.split())
    assert ("Equity Assistance Center Region II, Equity Assistance Center-South (operated by Southern "
            "Education Foundation)") in first
    bodies = " ".join(r.get("body", "") for f in json.loads(out.read_text())["findings"]
                      for r in f.get("recommendations") or [])
    assert "Equity Assistance Center-South" in bodies

    from compliance.rules.recommendation_library import state_of_nces_id

    assert state_of_nces_id("2800960") == "MS" and state_of_nces_id("0100005") == "AL"
    assert state_of_nces_id("2611") is None and state_of_nces_id("9900001") is None
