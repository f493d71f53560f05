"""The README's table of API error codes lists exactly the (status, code) pairs the code in ``api/`` can answer."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Where api/ names a code: ApiError(413, "upload_too_large", ...), the handlers' _answer(api, r, 404, "not_found", ...),
# the middleware's 404: ("not_found", ...), and ninja's HttpError: "invalid_request" if 400 else "http_error".
RAISED = re.compile(r'ApiError\(\s*(\d{3}),\s*"([a-z_]+)"')
HANDLED = re.compile(r'_answer\(api, r, (\d{3}), "([a-z_]+)"')
REWRITTEN = re.compile(r'^\s*(\d{3}): \("([a-z_]+)",', re.MULTILINE)
NINJA = re.compile(r'"([a-z_]+)" if e\.status_code == (\d{3}) else "([a-z_]+)"')
ROW = re.compile(r'^\| (\d{3}|other) \| `([a-z_]+)` \|', re.MULTILINE)


def _source() -> str:
    return "\n".join(p.read_text() for p in sorted((ROOT / "api").rglob("*.py")) if "migrations" not in p.parts)


def _answered() -> set[tuple[str, str]]:
    source = _source()
    pairs = {(status, code) for pattern in (RAISED, HANDLED, REWRITTEN) for status, code in pattern.findall(source)}
    for code, status, otherwise in NINJA.findall(source):
        pairs |= {(status, code), ("other", otherwise)}
    # Every place that answers an error is read above: one written another way would go unread.
    assert len(RAISED.findall(source)) == source.count("ApiError(") - source.count("class ApiError(")
    assert len(HANDLED.findall(source)) + len(NINJA.findall(source)) == source.count("_answer(api, r, ") - 1
    return pairs


def test_the_readme_lists_every_code_the_api_answers_and_no_other():
    readme = (ROOT / "README.md").read_text()
    api_section = readme[readme.index("\n## API\n"):readme.index("\n## Planner\n")]
    listed = ROW.findall(api_section)
    assert len(listed) == len(set(listed))
    answered = _answered()
    assert ("413", "upload_too_large") in answered and ("409", "report_not_ready") in answered
    assert set(listed) == answered
