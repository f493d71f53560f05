"""No import cycle: a fresh interpreter can import the tasks first, as a Celery worker does."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django
django.setup()
import compliance.tasks
import compliance.services
import compliance.selectors
import compliance.permissions
import compliance.views
import compliance.admin
from compliance import services, tasks
assert services.submission_create.__module__ == "compliance.services.submissions"
assert services.submission_queue.__globals__["evaluation_dispatch"] is services.evaluation_dispatch
assert services.report_queue.__globals__["report_dispatch"] is services.report_dispatch
assert services.evaluation_dispatch.__globals__["tasks"] is tasks
print("ok")
"""


@pytest.mark.parametrize("first", ["compliance.tasks", "compliance.services.evaluation", "compliance.reports.generate"])
def test_fresh_interpreter_imports_in_any_order(first):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEV": "1"}
    script = SCRIPT.replace("django.setup()\n", f"django.setup()\nimport {first}\n", 1)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def _imported_modules(path: Path, package: str) -> set[str]:
    """Absolute names of every module a file imports (relative imports resolved)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_report_rendering_knows_nothing_of_the_database_or_the_pipeline():
    imported = _imported_modules(ROOT / "compliance" / "reports" / "generate.py", "compliance.reports")
    assert "compliance.reports.context" in imported  # the resolver works on this file's imports
    for forbidden in ("compliance.pipeline", "compliance.services", "compliance.models", "django.db"):
        assert not {m for m in imported if m == forbidden or m.startswith(forbidden + ".")}, forbidden
