"""«Неизвестные подключения»: phones the service refused because it did not know them are recorded by the
real SOAP calls (an unknown identifier, a wrong password, a login not bound to the register or without
the sync right, a lock-out) and shown on the exchange console, with the way to create the device."""
from django.contrib.auth.models import User
from django.urls import reverse

from offline_exchange.models import OfflineDevice, UnknownConnection
from offline_exchange.services import connections
from tests import factories as f
from tests.equipment_service.soap import call

CONSOLE = "/admin/offline_exchange/exchangeconsole/"
PHONE = "10.1.2.3"


def settings_call(client, device_id, **kw):
    return call(client, "GetSettings", [("DeviceID", device_id)], REMOTE_ADDR=PHONE, **kw)


def test_an_unknown_identifier_is_counted_once_and_offered_as_a_new_device(demo, client, admin_client):
    assert settings_call(client, "NEW-PHONE-7").fault
    connect = call(client, "Connect", [("DeviceID", "new-phone-7 ")], REMOTE_ADDR=PHONE)
    assert connect.result("Connect") == "false"
    row = UnknownConnection.objects.get()
    assert (row.kind, row.device_ref, row.username, row.address, row.count) == (
        "device", "new-phone-7", "sync", PHONE, 2)

    page = admin_client.get(CONSOLE).content.decode()
    assert "Неизвестные подключения" in page and "Неизвестный идентификатор устройства" in page
    create = reverse("admin:offline_exchange_offlinedevice_add") + "?device_id=new-phone-7"
    assert f'href="{create}">Создать оборудование с этим ID</a>' in page
    form = admin_client.get(create).content.decode()
    assert 'name="device_id" value="new-phone-7"' in form

    # Once a device has the identifier, nobody unknown is calling.
    f.OfflineDeviceFactory(device_id="NEW-PHONE-7", organization=demo["organization"], rule=demo["rule"])
    page = admin_client.get(CONSOLE).content.decode()
    assert "new-phone-7" not in page and "неизвестных подключений не было" in page


def test_a_wrong_password_is_recorded_by_login_and_address_never_the_password(demo, client, admin_client, device_id):
    for _ in range(3):
        assert settings_call(client, device_id, password="Secret-Guess-1").status == 401
    row = UnknownConnection.objects.get()
    assert (row.kind, row.username, row.address, row.count, row.device_ref) == ("password", "sync", PHONE, 3, "")
    stored = " ".join(str(value) for value in UnknownConnection.objects.values_list(
        "key", "device_ref", "username", "address").get())
    assert "Secret-Guess-1" not in stored
    page = admin_client.get(CONSOLE).content.decode()
    assert "Неверный пользователь или пароль" in page and PHONE in page
    assert "Проверьте пользователя и пароль в настройках синхронизации кассы" in page
    assert "Создать оборудование с этим ID" not in page

    # The phone's password is fixed: it signs in from there, and the refusal is history.
    assert settings_call(client, device_id).status == 200
    assert not UnknownConnection.objects.exists()


def test_a_login_not_bound_to_the_register(demo, client, admin_client, device_id):
    f.UserFactory(username="kassa2", sync=True)
    answer = settings_call(client, device_id, user="kassa2", password="secret")
    assert answer.fault  # told the same as an unknown device
    row = UnknownConnection.objects.get()
    assert (row.kind, row.username, row.device_ref, row.address) == ("unbound", "kassa2", device_id, PHONE)
    page = admin_client.get(CONSOLE).content.decode()
    assert "Пользователь не привязан к оборудованию" in page and "kassa2" in page


def test_a_login_without_the_sync_right(demo, client, admin_client, device_id):
    User.objects.create_user("cashier", password="pw")
    assert settings_call(client, device_id, user="cashier", password="pw").status == 403
    row = UnknownConnection.objects.get()
    assert (row.kind, row.username) == ("right", "cashier")
    assert "Нет права «Выполнение синхронизации данных»" in admin_client.get(CONSOLE).content.decode()


def test_a_lock_out_is_recorded(demo, client, admin_client, device_id, settings):
    for _ in range(settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER):
        settings_call(client, device_id, password="guess")
    assert settings_call(client, device_id).status == 429
    assert settings_call(client, device_id).status == 429
    kinds = dict(UnknownConnection.objects.values_list("kind", "count"))
    assert kinds == {"password": settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER, "lockout": 2}
    assert "Вход закрыт после неудачных попыток" in admin_client.get(CONSOLE).content.decode()


def test_the_register_is_bounded(demo, client, monkeypatch):
    monkeypatch.setattr(connections, "KEEP_ROWS", 3)
    for n in range(5):
        settings_call(client, f"STRANGER-{n}")
    assert sorted(UnknownConnection.objects.values_list("device_ref", flat=True)) == [
        "STRANGER-2", "STRANGER-3", "STRANGER-4"]


def test_a_known_device_switched_off_is_nobody_unknown(demo, client, device_id):
    OfflineDevice.objects.filter(device_id=device_id).update(in_use=False)
    assert settings_call(client, device_id).fault
    assert not UnknownConnection.objects.exists()
