"""compliance/rules must stay free of Django: the same evaluation runs anywhere."""
import ast
import subprocess
import sys
from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "compliance" / "rules"


def test_no_module_in_rules_imports_django():
    offenders = []
    for path in sorted(RULES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n == "django" or n.startswith("django.")]
    assert offenders == []
    assert len(list(RULES.glob("*.py"))) >= 8  # the check really looked at the rules


def test_rules_import_and_run_without_django_installed_in_sys_modules():
    code = (
        "import sys; import compliance.rules.evaluate, compliance.rules.integration, compliance.rules.resources, "
        "compliance.rules.remedies, compliance.rules.recommendations, compliance.rules.measures; "
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=RULES.parents[1], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
