"""Every environment variable the code reads is in the README's configuration table."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READS = re.compile(
    r"""(?:environ\.get|env_bool|env_list|env_int|getenv|environ\.setdefault)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)
NOT_CONFIGURATION = {"DJANGO_SETTINGS_MODULE"}  # Django's own, set by the command itself


def variables_read() -> dict[str, str]:
    found = {}
    for folder in ("retrospector", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for name in READS.findall(path.read_text(encoding="utf-8")):
                found.setdefault(name, str(path.relative_to(ROOT)))
    return {name: where for name, where in found.items() if name not in NOT_CONFIGURATION}


def test_every_environment_variable_read_is_in_the_readme():
    table = (ROOT / "README.md").read_text(encoding="utf-8").split("## Configuration (environment)", 1)[1]
    table = table.split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    missing = {name: where for name, where in variables_read().items() if name not in documented}
    assert not missing, f"read but not in the README's configuration table: {missing}"


def test_the_check_finds_the_variables_it_should():
    found = variables_read()
    assert {"DATABASE_URL", "SECRET_KEY", "TIMELINE_IMPORT_INLINE_BYTES", "WEB_CONCURRENCY"} <= set(found)
