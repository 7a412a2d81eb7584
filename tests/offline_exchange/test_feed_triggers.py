"""The change feed's installed triggers are today's definition (offline_exchange/feed_sql.py) after every
migrate, on SQLite and PostgreSQL: a migration keeps the SQL it ran as text (0011 created older triggers on
PostgreSQL), and post_migrate puts today's in place (offline_exchange.apps)."""
import importlib
import re

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from offline_exchange import feed_sql
from offline_exchange.feed_sql import feed_triggers_create, feed_triggers_sql, trigger_names
from tests.offline_exchange.test_migrations import back_to_the_latest  # noqa: F401 - the fixture

FUNCTION = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\(\) RETURNS trigger LANGUAGE plpgsql AS \$\$(.*)\$\$")
TRIGGER = re.compile(r"CREATE TRIGGER (\w+) .* EXECUTE FUNCTION (\w+)\(\)")


def installed() -> dict[str, tuple]:
    """Each trigger of the feed the database has: on SQLite its statement as sqlite_master keeps it; on
    PostgreSQL its definition as the server prints it, its function and the function's body."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT t.tgname, pg_get_triggerdef(t.oid), p.proname, p.prosrc FROM pg_trigger t "
                           "JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal")
            rows = {name: (definition, function, body) for name, definition, function, body in cursor.fetchall()}
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            rows = {name: (sql,) for name, sql in cursor.fetchall()}
    return {name: row for name, row in rows.items() if name.startswith("feed_")}


def functions_of(statements: list[str]) -> dict[str, tuple[str, str]]:
    """trigger → (its function, the function's body) as these PostgreSQL statements create them."""
    bodies = dict(match.groups() for match in map(FUNCTION.fullmatch, statements) if match)
    return {trigger: (function, bodies[function])
            for trigger, function in (match.groups() for match in map(TRIGGER.fullmatch, statements) if match)}


def assert_todays() -> None:
    found = installed()
    assert set(found) == set(trigger_names(connection.vendor))
    statements = feed_triggers_sql(connection)
    if connection.vendor == "sqlite":
        assert found == {statement.split()[2]: (statement,) for statement in statements}
        return
    assert {name: (function, body) for name, (_definition, function, body) in found.items()} == functions_of(
        statements)
    # The definitions as the server prints them (events, WHEN, transition tables): creating today's again
    # changes none of them.
    feed_triggers_create(connection)
    assert installed() == found


@pytest.mark.django_db
def test_the_installed_triggers_are_todays():
    assert_todays()


@pytest.mark.django_db
def test_a_failed_recreation_leaves_the_triggers_as_they_were(monkeypatch):
    """Dropped and created in one transaction: a writer meanwhile never finds a table without them, and a
    failure in the middle keeps the ones there were."""
    before = installed()
    todays = feed_triggers_sql(connection)
    monkeypatch.setattr(feed_sql, "feed_triggers_sql", lambda connection: [*todays[:3], "CREATE TRIGGER broken"])
    with pytest.raises(DatabaseError):
        feed_triggers_create(connection)
    assert installed() == before


@pytest.mark.django_db(transaction=True)
def test_migrating_through_the_feed_leaves_todays_triggers(back_to_the_latest):
    call_command("migrate", "offline_exchange", "0010_goods_blocks", verbosity=0)
    assert installed() == {}

    # The migration alone (the executor sends no post_migrate) creates what it created in its day: on
    # PostgreSQL its SQL kept as text, whatever feed_sql.py says now; on SQLite none.
    executor = MigrationExecutor(connection)
    executor.migrate([("offline_exchange", "0011_change_feed")])
    frozen = importlib.import_module("offline_exchange.migrations.0011_change_feed").POSTGRESQL_TRIGGERS
    if connection.vendor == "postgresql":
        assert {name: (function, body) for name, (_d, function, body) in installed().items()} == functions_of(
            frozen.strip().splitlines())
        assert installed() != {}
    else:
        assert installed() == {}

    call_command("migrate", "offline_exchange", "0011_change_feed", verbosity=0)
    assert_todays()  # today's, as far as the feed's columns go so far (no scope columns before 0031)
    call_command("migrate", verbosity=0)
    assert_todays()
    # Today's record the positions a write is about, not the whole items 0011's did.
    assert all("scope_pack" in installed()[name][-1] for name in ("feed_retail_price_ins", "feed_retail_barcode_upd"))
