import pytest
from django.core.management import CommandError, call_command
from django.db import models

from offline_exchange.models import OfflineDevice, SkuCode
from retail.models import Check, CustomerOrder, Item


def _snapshot():
    from django.apps import apps

    state = {}
    for model in apps.get_models():
        # The journal and the change feed are logs of what happened, not the base (the second run rewrites
        # the order's lines, which the feed records); history records what each run did.
        if (model._meta.app_label in {"retail", "offline_exchange"}
                and model._meta.model_name not in {"exchangejournalentry", "changefeedentry"}
                and not model._meta.model_name.startswith("historical")):
            # A re-sent shift replaces its checks (new ids): a check's rows are compared by their content.
            fields = [f.attname for f in model._meta.concrete_fields
                      if not isinstance(f, (models.DateTimeField,)) and f.name != "id"
                      and getattr(f, "related_model", None) is not Check]
            state[model._meta.label] = sorted(map(repr, model.objects.values_list(*fields)))
    return state


@pytest.mark.django_db
def test_demo_data_twice_gives_the_same_base(capsys):
    call_command("demo_data")
    first = _snapshot()
    out = capsys.readouterr().out
    call_command("demo_data")
    assert _snapshot() == first
    assert "0001234567890123" in out and "sync / sync" in out and "ТДРТ-000001" in out
    assert "сумма 366,00" in out  # Russian money, as the pages show it
    assert Item.objects.count() >= 22
    order = CustomerOrder.objects.get(number="ТДРТ-000001")
    assert order.total == 366 and order.courier_cash_register.name == "Мобильная касса ККМ"
    assert OfflineDevice.objects.get(device_id="0001234567890123").format_version == 3001
    # The second register speaks 3.3, as current 1C servers preset, and has its cash register bound like the first.
    second = OfflineDevice.objects.get(device_id="0001234567890124")
    assert second.format_version == 3003 and second.cash_register.name == "Мобильная касса ККМ 2"
    assert second.cash_register.payment_mappings.get().code == "1" and second.rule.name == "Мобильная касса: Общий склад"
    assert "0001234567890124" in out
    assert SkuCode.objects.filter(item__article="79052").exists()


@pytest.mark.django_db
def test_demo_data_refuses_a_base_with_data_of_its_own_unless_forced(capsys):
    from django.contrib.auth.models import User

    from tests.factories import OrganizationFactory
    call_command("demo_data")
    User.objects.filter(username="admin").update(password="kept")
    OrganizationFactory(name="ООО «Настоящая»")
    with pytest.raises(CommandError, match="ООО «Настоящая».*--force"):
        call_command("demo_data")
    assert User.objects.get(username="admin").password == "kept"
    call_command("demo_data", "--force")
    assert User.objects.get(username="admin").check_password("admin")
