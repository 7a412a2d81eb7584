"""The change feed's triggers (PROTOCOL §5.2) as they are today: SQL for SQLite and PostgreSQL, (re)created
after every `migrate` by a post_migrate handler (offline_exchange.apps), which owns them. Migration 0011
created the first ones on PostgreSQL with the SQL of its day, kept in it as text, so an edit here never
changes an old migration; and SQLite's way of altering a table (copy it into a new one and rename) drops
its triggers: a later migration of any of these tables would otherwise switch change capture off without
a word.

Every write to a table whose rows make up what a device shows appends the affected item (or order) to
`offline_exchange_changefeedentry`, whatever wrote it (the admin, an import, `QuerySet.update()`,
`bulk_*`, raw SQL). Nothing is written per device.

- PostgreSQL: statement-level triggers over transition tables append one row per distinct item of the
  statement (a repricing of 100,000 rows is one `INSERT … SELECT DISTINCT` of 100,000 rows). An update
  appends only rows that really changed, and both the old and the new item (a barcode moved from one
  item to another re-sends both). Before its first write to one of these tables a transaction takes the
  feed's advisory lock until it ends, so feed rows become visible in the order of their sequence: a
  reader that sees position N has seen every row below N, and a device's watermark can never pass over
  a change still being committed (sequence values are handed out before commit, out of order).
- SQLite: row-level triggers (SQLite has no others); its single writer already commits in order.
"""
from __future__ import annotations

from django.db import transaction

# ITEM: what an item's Goods are made of changed (their text, the goods cache's key); VALUES: only a price or a
# balance, which the cached Goods leave as slots filled when a list is written (offline_exchange.services.
# price_list): a chain-wide repricing or a day's sales rebuild no Good. Both are changes a device receives.
ITEM, ORDER, VALUES = 1, 2, 3
ITEM_KINDS = (ITEM, VALUES)
FEED = "offline_exchange_changefeedentry"
# Advisory lock key of the feed (two 32-bit halves): b"feed" and 0.
LOCK_CLASS = int.from_bytes(b"feed", "big") - 2**31

# (table, column holding the item or order id, kind, which positions, which packs): each write of a row
# records that id and the positions it is about, as SQL over the row's columns (`{r}` is the row: NEW./OLD.
# on SQLite, the transition table's alias on PostgreSQL). NULL: any; 0: none (see ChangeFeedEntry).
ANY = "CAST(NULL AS BIGINT)"
_SKU_SCOPE = ('CASE WHEN {r}"characteristic_id" IS NULL AND {r}"pack_id" IS NULL THEN NULL '
              'ELSE COALESCE({r}"%s", 0) END')  # the plain position's code decides whether the item goes at all
DIRECT = [
    ("retail_item", "id", ITEM, ANY, ANY),
    ("retail_characteristic", "item_id", ITEM, '{r}"id"', ANY),
    ("retail_pack", "item_id", ITEM, ANY, '{r}"id"'),
    ("retail_barcode", "item_id", ITEM, 'COALESCE({r}"characteristic_id", 0)', 'COALESCE({r}"pack_id", 0)'),
    # The item's own price (no characteristic) is every position's, packs priced from it.
    ("retail_price", "item_id", VALUES, '{r}"characteristic_id"', ANY),
    ("retail_stockbalance", "item_id", VALUES, 'COALESCE({r}"characteristic_id", 0)', ANY),
    ("offline_exchange_skucode", "item_id", ITEM, _SKU_SCOPE % "characteristic_id", _SKU_SCOPE % "pack_id"),
    ("retail_customerorder", "id", ORDER, ANY, ANY),
    ("retail_customerorderline", "order_id", ORDER, ANY, ANY),
    ("retail_customerorderpayment", "order_id", ORDER, ANY, ANY),
]
# A characteristic or a pack gone leaves nothing of its positions to send (the format has no delete): the
# item goes whole, as it now is.
DELETED_WHOLE = {"retail_characteristic", "retail_pack"}
# (table, the item column that refers to it): an update of a unit or a group records its items.
VIA_ITEMS = [
    ("retail_unit", "base_unit_id"),
    ("retail_itemgroup", "group_id"),
]
RULES = "offline_exchange_exchangerule"
RULE_COLUMNS = ["warehouse_id", "export_groups", "filter_kinds"]
# A save of a rule read before a trigger raised its revision writes the old revision back: that raises it
# again (a full list too many, never one too few).
RULE_LINKS = ["offline_exchange_exchangerule_filter_groups", "offline_exchange_exchangerule_filter_items"]
SETTINGS = "offline_exchange_exchangesettings"


def _name(table: str, suffix: str) -> str:
    return f"feed_{table}_{suffix}"[:63]


def trigger_names(vendor: str) -> list[str]:
    names = []
    for table, _column, _kind, _ch, _pack in DIRECT:
        names += [_name(table, "ins"), _name(table, "upd"), _name(table, "del")]
        if vendor == "postgresql":
            names.append(_name(table, "lock"))
    for table, _column in VIA_ITEMS:
        names.append(_name(table, "upd"))
        if vendor == "postgresql":
            names.append(_name(table, "lock"))
    names.append(_name(RULES, "rev"))
    for table in RULE_LINKS:
        names += [_name(table, "ins"), _name(table, "del")]
    names.append(_name(SETTINGS, "sku"))
    return names


def _sqlite_changed(connection, table: str) -> str:
    with connection.cursor() as cursor:
        columns = [col.name for col in connection.introspection.get_table_description(cursor, table)]
    return " OR ".join(f'OLD."{col}" IS NOT NEW."{col}"' for col in columns)


def _scoped(connection) -> bool:
    # A database migrated only as far as before 0031 (which gives the feed its scope columns) gets triggers
    # that record whole items (what a NULL scope means anyway).
    with connection.cursor() as cursor:
        return "scope_pack" in {col.name for col in connection.introspection.get_table_description(cursor, FEED)}


def _sqlite(connection) -> list[str]:
    sql = []
    scoped = _scoped(connection)
    columns = "(kind, object_id, scope_characteristic, scope_pack)" if scoped else "(kind, object_id)"
    for table, column, kind, ch, pack in DIRECT:
        def row(alias: str, whole: bool = False) -> str:
            scope = ""
            if scoped:
                scope = f", {ANY}, {ANY}" if whole else f', {ch.format(r=alias + ".")}, {pack.format(r=alias + ".")}'
            return f'SELECT {kind}, {alias}."{column}"{scope} WHERE {alias}."{column}" IS NOT NULL'
        sql += [
            f'CREATE TRIGGER {_name(table, "ins")} AFTER INSERT ON "{table}" BEGIN INSERT INTO {FEED} {columns} '
            f'{row("NEW")}; END',
            f'CREATE TRIGGER {_name(table, "del")} AFTER DELETE ON "{table}" BEGIN INSERT INTO {FEED} {columns} '
            f'{row("OLD", table in DELETED_WHOLE)}; END',
            # Both the row's old and new item and positions (a barcode moved to another pack re-sends both);
            # UNION writes one when they are the same.
            f'CREATE TRIGGER {_name(table, "upd")} AFTER UPDATE ON "{table}" WHEN {_sqlite_changed(connection, table)} '
            f'BEGIN INSERT INTO {FEED} {columns} {row("NEW")} UNION {row("OLD")}; END',
        ]
    for table, column in VIA_ITEMS:
        sql.append(f'CREATE TRIGGER {_name(table, "upd")} AFTER UPDATE ON "{table}" WHEN '
                   f'{_sqlite_changed(connection, table)} BEGIN INSERT INTO {FEED} (kind, object_id) '
                   f'SELECT {ITEM}, id FROM retail_item WHERE "{column}" = NEW.id; END')
    changed = " OR ".join(f'OLD."{col}" IS NOT NEW."{col}"' for col in RULE_COLUMNS)
    sql.append(f'CREATE TRIGGER {_name(RULES, "rev")} AFTER UPDATE ON "{RULES}" WHEN {changed} '
               f"OR NEW.revision < OLD.revision BEGIN "
               f'UPDATE "{RULES}" SET revision = max(OLD.revision, NEW.revision) + 1 WHERE id = NEW.id; END')
    for table in RULE_LINKS:
        for suffix, event, row in (("ins", "INSERT", "NEW"), ("del", "DELETE", "OLD")):
            sql.append(f'CREATE TRIGGER {_name(table, suffix)} AFTER {event} ON "{table}" BEGIN '
                       f'UPDATE "{RULES}" SET revision = revision + 1 WHERE id = {row}.exchangerule_id; END')
    sql.append(f'CREATE TRIGGER {_name(SETTINGS, "sku")} AFTER UPDATE ON "{SETTINGS}" '
               f'WHEN NEW.auto_generate_sku AND NOT OLD.auto_generate_sku BEGIN '
               f'INSERT INTO {FEED} (kind, object_id) SELECT {ITEM}, id FROM retail_item; END')
    return sql


def _pg_function(name: str, body: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} "
            f"RETURN NULL; END $$")


def _postgresql(connection) -> list[str]:
    scoped = _scoped(connection)
    columns = "(kind, object_id, scope_characteristic, scope_pack)" if scoped else "(kind, object_id)"
    sql = [_pg_function("feed_lock", f"PERFORM pg_advisory_xact_lock({LOCK_CLASS}, 0);")]

    def lock(table: str) -> None:
        sql.append(f'CREATE TRIGGER {_name(table, "lock")} BEFORE INSERT OR UPDATE OR DELETE ON "{table}" '
                   f"FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()")

    # Rows of an update that changed at all (an admin saving an unchanged form records nothing).
    changed = "FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o"
    for table, column, kind, ch, pack in DIRECT:
        lock(table)

        def row(alias: str, whole: bool = False) -> str:
            scope = scoped and not whole
            return f'{alias}"{column}" AS x, {ch.format(r=alias) if scope else ANY} AS c, ' \
                   f'{pack.format(r=alias) if scope else ANY} AS p'
        for suffix, event, rows, select in (
            ("ins", "INSERT", "NEW TABLE AS new_rows", f"SELECT DISTINCT {row('')} FROM new_rows"),
            ("del", "DELETE", "OLD TABLE AS old_rows",
             f"SELECT DISTINCT {row('', table in DELETED_WHOLE)} FROM old_rows"),
            ("upd", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
             f"SELECT {row('n.')} {changed} UNION SELECT {row('o.')} {changed}"),
        ):
            function = _name(table, suffix)
            values = "x, c, p" if scoped else "x"
            sql.append(_pg_function(function, f"INSERT INTO {FEED} {columns} SELECT {kind}, {values} FROM ({select}) "
                                              f"changed WHERE x IS NOT NULL;"))
            sql.append(f'CREATE TRIGGER {function} AFTER {event} ON "{table}" REFERENCING {rows} '
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    for table, column in VIA_ITEMS:
        lock(table)
        function = _name(table, "upd")
        sql.append(_pg_function(function, f"INSERT INTO {FEED} (kind, object_id) SELECT {ITEM}, i.id FROM "
                                          f'retail_item i WHERE i."{column}" IN (SELECT n.id {changed});'))
        sql.append(f'CREATE TRIGGER {function} AFTER UPDATE ON "{table}" REFERENCING OLD TABLE AS old_rows '
                   f"NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    changed_rule = " OR ".join(f'OLD."{col}" IS DISTINCT FROM NEW."{col}"' for col in RULE_COLUMNS)
    changed_rule += " OR NEW.revision < OLD.revision"
    function = _name(RULES, "rev")
    sql.append(_pg_function(function, f'UPDATE "{RULES}" SET revision = GREATEST(OLD.revision, NEW.revision) + 1 '
                                      f"WHERE id = NEW.id;"))
    sql.append(f'CREATE TRIGGER {function} AFTER UPDATE ON "{RULES}" FOR EACH ROW WHEN ({changed_rule}) '
               f"EXECUTE FUNCTION {function}()")
    for table in RULE_LINKS:
        for suffix, event, row in (("ins", "INSERT", "NEW"), ("del", "DELETE", "OLD")):
            function = _name(table, suffix)
            sql.append(_pg_function(function, f'UPDATE "{RULES}" SET revision = revision + 1 '
                                              f"WHERE id = {row}.exchangerule_id;"))
            sql.append(f'CREATE TRIGGER {function} AFTER {event} ON "{table}" FOR EACH ROW '
                       f"EXECUTE FUNCTION {function}()")
    function = _name(SETTINGS, "sku")
    sql.append(_pg_function(function, f"PERFORM pg_advisory_xact_lock({LOCK_CLASS}, 0); "
                                      f"INSERT INTO {FEED} (kind, object_id) SELECT {ITEM}, id FROM retail_item;"))
    sql.append(f'CREATE TRIGGER {function} AFTER UPDATE ON "{SETTINGS}" FOR EACH ROW '
               f"WHEN (NEW.auto_generate_sku AND NOT OLD.auto_generate_sku) EXECUTE FUNCTION {function}()")
    return sql


def _tables() -> list[str]:
    return ([t[0] for t in DIRECT] + [t for t, _c in VIA_ITEMS] + [RULES, *RULE_LINKS, SETTINGS])


def feed_triggers_drop(connection) -> None:
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for name in trigger_names(connection.vendor):
            if connection.vendor == "postgresql":
                table = _table_of(name)
                if table in existing:
                    cursor.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _table_of(name: str) -> str:
    # The longest match: the rule's own table is a prefix of its link tables'.
    return max((table for table in _tables() if name.startswith(f"feed_{table}_")), key=len)


def feed_triggers_sql(connection) -> list[str]:
    """Today's definition of the feed's triggers (and on PostgreSQL their functions), a statement each."""
    if connection.vendor == "postgresql":
        return _postgresql(connection)
    if connection.vendor == "sqlite":
        return _sqlite(connection)
    raise NotImplementedError(f"the change feed has no triggers for {connection.vendor}")


def feed_triggers_create(connection) -> bool:
    """(Re)create every trigger of the feed as today's definition has it; False when some table is missing
    (a partial migration). In one transaction: on PostgreSQL a writer never finds a table without them."""
    if connection.vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"the change feed has no triggers for {connection.vendor}")
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
    if not {FEED, *_tables()} <= existing:
        return False
    with transaction.atomic(using=connection.alias):
        feed_triggers_drop(connection)
        statements = feed_triggers_sql(connection)
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    return True
