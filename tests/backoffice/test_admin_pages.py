"""Every changelist, add and change page of the admin renders for a superuser."""
import pytest
from django.contrib import admin
from django.urls import reverse

from offline_exchange.models import ExchangeJournalEntry, Transfer
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db


def test_every_admin_page_renders(demo, admin_client, client, device_id):
    call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")])
    assert Transfer.objects.exists() and ExchangeJournalEntry.objects.exists()
    checked = 0
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        # follow: the settings singleton's list opens its one form.
        response = admin_client.get(reverse("admin:%s_%s_changelist" % info), follow=True)
        assert response.status_code == 200, info
        if model_admin.has_add_permission(response.wsgi_request):
            assert admin_client.get(reverse("admin:%s_%s_add" % info)).status_code == 200, info
        obj = model.objects.first()
        if obj is not None:
            assert admin_client.get(reverse("admin:%s_%s_change" % info, args=[obj.pk])).status_code == 200, info
        checked += 1
    assert checked >= 20


def test_index_lists_exchange_setup_in_instruction_order(demo, admin_client):
    text = admin_client.get("/admin/").content.decode()
    order = ["Администрирование: настройки обмена", "Правила обмена", "Подключаемое оборудование", "Кассы ККМ"]
    positions = [text.index(label) for label in order]
    assert positions == sorted(positions)


def test_item_admin_sku_generation_reaches_the_feed(demo, admin_client):
    from offline_exchange.models import SkuCode
    from offline_exchange.services.feed import feed_high_water, feed_items_changed
    from retail.models import Item

    item = Item.objects.get(article="79052")
    SkuCode.objects.filter(item=item).delete()
    before = feed_high_water()
    response = admin_client.post(reverse("admin:retail_item_changelist"),
                                 {"action": "generate_sku", "_selected_action": [item.pk]})
    assert response.status_code == 302
    assert SkuCode.objects.filter(item=item).exists()
    assert feed_items_changed(after=before) == {item.pk}
