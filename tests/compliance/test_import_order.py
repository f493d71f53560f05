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


def test_commands_and_the_web_start_without_the_renderers():
    # What every command, worker and web process loads (the admin pulls in services, pipeline and
    # reports): the PDF, chart, workbook-writing and scipy solver libraries wait for their first use.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEV": "1"}
    heavy = ("matplotlib", "openpyxl", "weasyprint", "scipy.optimize")
    script = ("import sys, django; django.setup(); import compliance.admin, compliance.views, compliance.pipeline; "
              f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


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


# What gathers data: a renderer is handed what it prints and reaches for none of these.
GATHERING = ("compliance.pipeline", "compliance.services", "compliance.models", "compliance.models_review",
             "compliance.selectors", "compliance.selectors_review", "compliance.selectors_statewide",
             "compliance.tasks", "compliance.workbook.guarded", "districts.models", "planner", "django.db")


def test_report_rendering_knows_nothing_of_the_database_or_the_pipeline():
    modules = sorted((ROOT / "compliance" / "reports").glob("*.py"))
    assert {"generate.py", "cycle_export.py", "exports.py", "render.py"} <= {p.name for p in modules}
    imported = {p.name: _imported_modules(p, "compliance.reports") for p in modules}
    assert "compliance.reports.context" in imported["generate.py"]  # the resolver works on these imports
    offenders = {name: sorted(m for m in names for forbidden in GATHERING
                              if m == forbidden or m.startswith(forbidden + "."))
                 for name, names in imported.items()}
    assert {name: found for name, found in offenders.items() if found} == {}
    # The check can fail: the cycle export's old function-level gathering.
    old = ast.parse("def f():\n    from compliance.services.reports import _stored_workbook\n")
    assert any(isinstance(n, ast.ImportFrom) and n.module and n.module.startswith(GATHERING[1]) for n in ast.walk(old))


APP_PACKAGES = ("accounts", "api", "compliance", "config", "districts", "planner")


def _unexplained_imports(path: Path) -> list[int]:
    """Lines of imports inside functions with no comment on them or on the line just above them.

    Consecutive imports share the comment above the first (``from a import b`` then ``from c import d``).
    """
    lines = path.read_text().splitlines()
    found = []
    for fn in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            own = lines[node.lineno - 1:node.end_lineno or node.lineno]
            above = node.lineno - 2
            while above >= 0 and lines[above].strip().startswith(("import ", "from ")):
                own.append(lines[above])  # an import run: its first line's comment speaks for all
                above -= 1
            if not any("#" in line for line in own) and not (above >= 0 and lines[above].strip().startswith("#")):
                found.append(node.lineno)
    return found


def test_every_function_level_import_says_why():
    files = [p for package in APP_PACKAGES for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]
    assert len(files) > 100
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in files for n in _unexplained_imports(p)]
    assert offenders == []


def test_the_import_check_can_fail(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import json\n\n\ndef g():\n    # heavy: only here\n    import csv\n    import io\n"
                      "\n\ndef h():\n    import re  # why\n")
    assert _unexplained_imports(sample) == [2]
