import pytest
from django.core.management import call_command
from django.db import models

from offline_exchange.models import OfflineDevice, SkuCode
from retail.models import CustomerOrder, Item


def _snapshot():
    from django.apps import apps

    state = {}
    for model in apps.get_models():
        # History records what each run did; the base itself must come out the same.
        if (model._meta.app_label in {"retail", "offline_exchange"} and model._meta.model_name != "exchangejournalentry"
                and not model._meta.model_name.startswith("historical")):
            fields = [f.attname for f in model._meta.concrete_fields
                      if not isinstance(f, (models.DateTimeField,)) and f.name != "id"]
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
    assert Item.objects.count() >= 22
    order = CustomerOrder.objects.get(number="ТДРТ-000001")
    assert order.total == 366 and order.courier_cash_register.name == "Мобильная касса ККМ"
    assert OfflineDevice.objects.get().format_version == 3001
    assert SkuCode.objects.filter(item__article="79052").exists()
