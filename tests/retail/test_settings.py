"""Settings read from the environment (each read by a fresh interpreter, as a server process reads them)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRESQL = "postgres://retail@db.internal/retail"


def database_options(database_url: str, **env: str | None) -> dict:
    environment = {key: value for key, value in os.environ.items() if key not in env}
    environment.update({key: value for key, value in env.items() if value is not None}, DATABASE_URL=database_url)
    code = "import json, retail.settings as s; print(json.dumps(s.DATABASES['default'].get('OPTIONS', {})))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


@pytest.mark.parametrize("value, expected", [(None, 5), ("2", 2), ("", None)])
def test_postgresql_prepares_repeated_statements_unless_turned_off(value, expected):
    assert database_options(POSTGRESQL, DB_PREPARE_THRESHOLD=value).get("prepare_threshold") == expected


def test_sqlite_has_no_prepare_threshold():
    assert "prepare_threshold" not in database_options("sqlite:////tmp/settings-test.sqlite3", DB_PREPARE_THRESHOLD=None)
