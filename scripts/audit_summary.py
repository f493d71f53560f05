"""One verdict line from a pip-audit JSON report; exit 0 checked and clean, 1 vulnerable, 2 not (fully) checked."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def verdict(report: Path, service: str, stderr: Path) -> tuple[int, list[str]]:
    if not report.exists():
        lines = [line for line in stderr.read_text().splitlines() if line.strip()] if stderr.exists() else []
        return 2, [f"pip-audit: NOT CHECKED ({service} service unreachable: {(lines or ['no output'])[-1][:200]})"]
    deps = json.loads(report.read_text())["dependencies"]
    skipped = [d["name"] for d in deps if d.get("skip_reason")]
    vulnerable = [f"  {d['name']} {d['version']}: {v['id']} (fixed in {', '.join(v.get('fix_versions') or ['-'])})"
                  for d in deps for v in d.get("vulns", [])]
    if vulnerable:
        return 1, [*vulnerable, f"pip-audit: {len(vulnerable)} KNOWN VULNERABILITIES ({service})"]
    if skipped:
        return 2, [f"pip-audit: NOT CHECKED ({len(skipped)} of {len(deps)} packages skipped by the {service} "
                   f"service, e.g. {', '.join(skipped[:5])})"]
    return 0, [f"pip-audit: no known vulnerabilities in {len(deps)} packages ({service})"]


if __name__ == "__main__":
    code, lines = verdict(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
    print("\n".join(lines))
    sys.exit(code)
