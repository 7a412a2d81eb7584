"""The upgrade that makes manual closing of customer orders the default (1C's way): a new installation gets it,
an existing one keeps the closing it ran on — its stored choice, or the automatic closing it had by default."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migrating import migrate

BEFORE = [("retail", "0062_all_stores")]
AFTER = [("retail", "0120_manual_closing")]


def _upgrade(prepare):
    """Migrate back to before the change, let `prepare` write the old base, migrate to it; its settings rows."""
    executor = MigrationExecutor(connection)
    migrate(executor, BEFORE)
    prepare(executor.loader.project_state(BEFORE).apps)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    migrate(executor, AFTER)
    Settings = executor.loader.project_state(AFTER).apps.get_model("retail", "AccountingSettings")
    rows = list(Settings.objects.values_list("pk", "manual_order_closing"))
    default = Settings._meta.get_field("manual_order_closing").default
    executor = MigrationExecutor(connection)
    migrate(executor, executor.loader.graph.leaf_nodes())
    return rows, default


@pytest.mark.django_db(transaction=True)
def test_a_base_in_use_that_never_saved_the_settings_keeps_closing_automatically():
    def prepare(apps):
        apps.get_model("retail", "Store").objects.create(name="Магазин")
    assert _upgrade(prepare) == ([(1, False)], True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stored", [False, True])
def test_a_stored_choice_is_kept(stored):
    def prepare(apps):
        apps.get_model("retail", "AccountingSettings").objects.create(pk=1, manual_order_closing=stored)
        apps.get_model("retail", "Store").objects.create(name="Магазин")
    assert _upgrade(prepare) == ([(1, stored)], True)


@pytest.mark.django_db(transaction=True)
def test_a_new_installation_gets_manual_closing():
    # Nothing written yet: no row is made, so the first load() takes the new default.
    assert _upgrade(lambda apps: None) == ([], True)
