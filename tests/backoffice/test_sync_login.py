"""A sync login made from its device's page (issue 26, item 1): «+» gives it the sync group and binds it, the
device's form accepts it, and a login that cannot sync is refused by name, with what it lacks and a link."""
import json
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from lxml import html

from offline_exchange.models import OfflineDevice
from offline_exchange.services.registers import SYNC_GROUP
from tests import factories as f
from tests.backoffice.test_russian_pages import english_words, visible_text
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db

PASSWORD = "Касса-2024-пароль"


def device_form(device: OfflineDevice, users: list[int]) -> dict:
    return {
        "name": device.name, "organization": device.organization_id, "workplace": device.workplace,
        "rule": device.rule_id, "in_use": "on", "format_version": device.format_version,
        "goods_shape": device.goods_shape, "exchange_kind": device.exchange_kind, "device_id": device.device_id,
        "allow_payment_cards": "on", "items_per_package": device.items_per_package, "export_balances": "on",
        "users": [str(pk) for pk in users],
    }


def test_plus_beside_the_logins_opens_the_sync_login_form(demo, admin_client):
    device = demo["device"]
    page = html.document_fromstring(admin_client.get(
        reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk])).content.decode())
    plus = page.xpath("//a[@id='add_id_users']")[0]
    assert plus.get("href").startswith(reverse("admin:offline_exchange_offlinedevice_sync_user", args=[device.pk]))
    assert plus.get("title") == "Создать пользователя синхронизации"
    form = admin_client.get(plus.get("href"))
    text = visible_text(form.content)
    assert f"группу «{SYNC_GROUP}»" in text and f"привязан к оборудованию «{device}»" in text
    assert english_words(text) == set(), english_words(text)


def test_a_login_made_from_a_device_syncs_at_once(demo, admin_client, client):
    device = demo["device"]
    url = reverse("admin:offline_exchange_offlinedevice_sync_user", args=[device.pk]) + "?_to_field=id&_popup=1"
    response = admin_client.post(url, {"username": "kassir2", "password1": PASSWORD, "password2": PASSWORD})
    user = User.objects.get(username="kassir2")
    # The popup answers Django's way: the new login goes into the device's list on the page that opened it.
    data = json.loads(re.search(r'data-popup-response="([^"]+)"', response.content.decode()).group(1)
                      .replace("&quot;", '"'))
    assert data == {"value": str(user.pk), "obj": "kassir2"}
    assert list(user.groups.values_list("name", flat=True)) == [SYNC_GROUP]
    assert not user.is_staff and not user.is_superuser and user.check_password(PASSWORD)
    assert device.users.filter(pk=user.pk).exists()
    # The device's form keeps it, with the logins it had.
    users = list(device.users.values_list("pk", flat=True))
    saved = admin_client.post(reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk]),
                              device_form(device, users), follow=True)
    assert saved.status_code == 200 and not html.document_fromstring(saved.content.decode()).xpath(
        "//ul[@class='errorlist']"), visible_text(saved.content)
    answer = call(client, "GetSettings", [("DeviceID", device.device_id)], user="kassir2", password=PASSWORD)
    assert answer.status == 200 and answer.fault is None


def test_a_login_made_on_a_new_device_form_is_bound_when_the_device_is_written(demo, admin_client):
    url = reverse("admin:offline_exchange_offlinedevice_sync_user_new") + "?_to_field=id&_popup=1"
    admin_client.post(url, {"username": "kassir3", "password1": PASSWORD, "password2": PASSWORD})
    user = User.objects.get(username="kassir3")
    assert not user.offline_devices.exists() and user.groups.filter(name=SYNC_GROUP).exists()
    new = OfflineDevice(name="Касса курьера", organization=demo["organization"], rule=demo["rule"],
                        device_id="0009999999999999", goods_shape=demo["device"].goods_shape,
                        format_version=3001, exchange_kind="web", items_per_package=10)
    admin_client.post(reverse("admin:offline_exchange_offlinedevice_add"), device_form(new, [user.pk]))
    assert list(OfflineDevice.objects.get(device_id="0009999999999999").users.all()) == [user]


def test_a_login_that_cannot_sync_is_refused_by_name_with_a_link(demo, admin_client):
    device = demo["device"]
    stranger = User.objects.create_user("kassir4", password=PASSWORD)  # made elsewhere, without the group
    before = set(device.users.values_list("pk", flat=True))
    response = admin_client.post(reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk]),
                                 device_form(device, [*before, stranger.pk]))
    page = html.document_fromstring(response.content.decode())
    errors = page.xpath("//ul[contains(@class, 'errorlist')]")
    text = " ".join(" ".join(e.text_content().split()) for e in errors)
    assert f"Пользователь «kassir4» не может выполнять обмен: пользователь не входит в группу «{SYNC_GROUP}»" in text
    assert "нет среди допустимых значений" not in text and "Выберите корректный вариант" not in text
    assert page.xpath("//ul[contains(@class, 'errorlist')]//a/@href") == [
        reverse("admin:auth_user_change", args=[stranger.pk])]
    assert set(device.users.values_list("pk", flat=True)) == before
    # The connection panel names what is wrong with a bound login too, with the way to its page.
    device.users.add(stranger)
    panel = html.document_fromstring(admin_client.get(
        reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk])).content.decode())
    connection = panel.xpath("//fieldset[@id='device-connection']")[0]
    assert "kassir4" in connection.text_content() and "не входит в группу" in connection.text_content()
    assert reverse("admin:auth_user_change", args=[stranger.pk]) in connection.xpath(".//a/@href")


def test_a_weak_password_or_a_taken_name_is_refused_in_russian(demo, admin_client):
    url = reverse("admin:offline_exchange_offlinedevice_sync_user", args=[demo["device"].pk])
    weak = admin_client.post(url, {"username": "kassir5", "password1": "123", "password2": "123"})
    text = visible_text(weak.content)
    assert "Введённый пароль слишком короткий" in text or "пароль слишком короткий" in text.lower()
    taken = admin_client.post(url, {"username": "sync", "password1": PASSWORD, "password2": PASSWORD})
    assert "уже существует" in visible_text(taken.content)
    assert not User.objects.filter(username="kassir5").exists()


class TestRights:
    def test_without_the_right_to_create_users_the_plus_is_not_offered_and_the_page_refuses(self, demo):
        store = demo["store"]
        manager = f.staff_client("manager", "view_offlinedevice", "change_offlinedevice", store=store)
        device = demo["device"]
        page = manager.get(reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk])).content.decode()
        assert 'id="add_id_users"' not in page
        url = reverse("admin:offline_exchange_offlinedevice_sync_user", args=[device.pk])
        assert manager.post(url, {"username": "x1", "password1": PASSWORD, "password2": PASSWORD}).status_code == 403
        assert not User.objects.filter(username="x1").exists()

    def test_a_manager_of_another_store_cannot_bind_a_login_to_this_device(self, demo):
        other = f.StoreFactory(name="Другой магазин")
        outsider = f.staff_client("outsider", "view_offlinedevice", "change_offlinedevice", "add_user", store=other)
        url = reverse("admin:offline_exchange_offlinedevice_sync_user", args=[demo["device"].pk])
        assert outsider.post(url, {"username": "x2", "password1": PASSWORD, "password2": PASSWORD}).status_code == 404
        assert not User.objects.filter(username="x2").exists()

    def test_view_only_staff_cannot_make_a_login(self, demo):
        # A viewer of this very store (staff bound to no store would not see the device at all: 404).
        viewer = f.staff_client("viewer", "view_offlinedevice", "add_user", store=demo["store"])
        url = reverse("admin:offline_exchange_offlinedevice_sync_user", args=[demo["device"].pk])
        assert viewer.post(url, {"username": "x3", "password1": PASSWORD, "password2": PASSWORD}).status_code == 403
        assert not User.objects.filter(username="x3").exists()
