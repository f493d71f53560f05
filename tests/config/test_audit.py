"""scripts/audit.sh's verdict on pip-audit's JSON: vulnerable fails, skipped or unreachable says NOT CHECKED."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("audit_summary", ROOT / "scripts" / "audit_summary.py")
audit_summary = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit_summary)


def _report(tmp_path: Path, deps: list[dict]) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"dependencies": deps, "fixes": []}))
    return path


def test_a_known_vulnerability_fails_and_is_named(tmp_path):
    report = _report(tmp_path, [
        {"name": "django", "version": "5.2.1", "vulns": [{"id": "PYSEC-2025-1", "fix_versions": ["5.2.2"]}]},
        {"name": "celery", "version": "5.7.0", "vulns": []},
    ])
    code, lines = audit_summary.verdict(report, "pypi", tmp_path / "err")
    assert code == 1
    assert lines == ["  django 5.2.1: PYSEC-2025-1 (fixed in 5.2.2)", "pip-audit: 1 KNOWN VULNERABILITIES (pypi)"]


def test_skipped_packages_are_not_checked_not_clean(tmp_path):
    report = _report(tmp_path, [
        {"name": "amqp", "skip_reason": "Dependency not found on PyPI and could not be audited: amqp (5.4.2)"},
        {"name": "celery", "version": "5.7.0", "vulns": []},
    ])
    code, lines = audit_summary.verdict(report, "pypi", tmp_path / "err")
    assert code == 2
    assert lines == ["pip-audit: NOT CHECKED (1 of 2 packages skipped by the pypi service, e.g. amqp)"]


def test_an_unreachable_service_is_not_checked(tmp_path):
    err = tmp_path / "err"
    err.write_text("Traceback ...\nrequests.exceptions.ConnectionError: Failed to resolve 'api.osv.dev'\n")
    code, lines = audit_summary.verdict(tmp_path / "absent.json", "osv", err)
    assert code == 2
    assert lines == ["pip-audit: NOT CHECKED (osv service unreachable: "
                     "requests.exceptions.ConnectionError: Failed to resolve 'api.osv.dev')"]


def test_every_package_checked_and_clean(tmp_path):
    report = _report(tmp_path, [{"name": "celery", "version": "5.7.0", "vulns": []},
                                {"name": "kombu", "version": "5.7.0", "vulns": []}])
    assert audit_summary.verdict(report, "pypi", tmp_path / "err") == (
        0, ["pip-audit: no known vulnerabilities in 2 packages (pypi)"])
