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
    code = "import json, config.settings as s; print(json.dumps(s.DATABASES['default'].get('OPTIONS', {})))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


@pytest.mark.parametrize("value, expected", [(None, 5), ("2", 2), ("", None)])
def test_postgresql_prepares_repeated_statements_unless_turned_off(value, expected):
    assert database_options(POSTGRESQL, DB_PREPARE_THRESHOLD=value).get("prepare_threshold") == expected


def test_sqlite_has_no_prepare_threshold():
    assert "prepare_threshold" not in database_options("sqlite:////tmp/settings-test.sqlite3", DB_PREPARE_THRESHOLD=None)


def test_a_sqlite_connection_writes_with_wal_a_page_cache_for_a_big_shift_and_big_pages(tmp_path):
    # Each connection's own settings, read back from SQLite: a shift of 100,000 checks is one transaction of
    # some 400,000 rows, its pages kept in a 64 MB cache rather than SQLite's 2 MB.
    # A new database has 16 KB pages: a price list's blocks are rows of half a megabyte.
    code = ("import django; django.setup(); from django.db import connection; c = connection.cursor(); "
            "c.execute('CREATE TABLE t (x)'); "
            "print([c.execute(f'PRAGMA {name}').fetchone()[0] for name in ('journal_mode', 'cache_size', 'page_size')])")
    environment = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path}/settings.sqlite3",
                       DJANGO_SETTINGS_MODULE="config.settings")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, check=True, capture_output=True,
                         text=True).stdout
    assert json.loads(out.replace("'", '"')) == ["wal", -65536, 16384]


def settings_of(**env: str | None) -> dict:
    environment = {key: value for key, value in os.environ.items() if key not in env}
    environment.update({key: value for key, value in env.items() if value is not None})
    names = ["SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
             "CSRF_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS", "USE_X_FORWARDED_HOST", "AUTH_PASSWORD_VALIDATORS"]
    code = ("import json, config.settings as s; "
            f"print(json.dumps({{n: getattr(s, n, None) for n in {names!r}}}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def test_behind_an_https_proxy_cookies_are_secure_with_hsts():
    behind = settings_of(SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto=https", USE_X_FORWARDED_HOST=None)
    assert behind["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert behind["SESSION_COOKIE_SECURE"] and behind["CSRF_COOKIE_SECURE"] and behind["USE_X_FORWARDED_HOST"]
    assert behind["SECURE_HSTS_SECONDS"] >= 180 * 24 * 3600
    assert behind["SESSION_COOKIE_HTTPONLY"] and behind["CSRF_COOKIE_HTTPONLY"]


def test_without_a_proxy_its_headers_are_not_trusted():
    direct = settings_of(SECURE_PROXY_SSL_HEADER=None, USE_X_FORWARDED_HOST=None)
    assert direct["SECURE_PROXY_SSL_HEADER"] is None and not direct["USE_X_FORWARDED_HOST"]
    assert not direct["SESSION_COOKIE_SECURE"] and not direct["SECURE_HSTS_SECONDS"]
    assert direct["SESSION_COOKIE_HTTPONLY"]


def test_password_validators_are_on():
    names = {v["NAME"].rsplit(".", 1)[1] for v in settings_of()["AUTH_PASSWORD_VALIDATORS"]}
    assert {"MinimumLengthValidator", "CommonPasswordValidator", "NumericPasswordValidator",
            "UserAttributeSimilarityValidator"} <= names


def test_hsts_and_secure_cookies_reach_the_browser(client, settings, django_user_model, db):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    page = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.cookies["csrftoken"]["secure"] and page.cookies["csrftoken"]["httponly"]
    # A client that only claims HTTPS without a configured proxy gets no HSTS.
    settings.SECURE_PROXY_SSL_HEADER = None
    assert "Strict-Transport-Security" not in client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
