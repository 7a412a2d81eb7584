"""Lock-out that strangers cannot turn against a register: guesses lock out the pair (login, address) and
the address; a login keeps working from an address where it has signed in before (kept in the database)."""
import pytest
from django.urls import reverse

from equipment_service.auth import verified
from offline_exchange.models import ExchangeJournalEntry, KnownLoginAddress
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db

REGISTER, STRANGER = "10.0.0.5", "203.0.113.66"


def fresh_process():
    # A new app server process: nothing of the old one's login cache is left.
    verified.clear()


def connect(client, device_id, address, **kw):
    return call(client, "Connect", [("DeviceID", device_id)], REMOTE_ADDR=address, **kw)


def test_thirty_wrong_guesses_from_another_address_do_not_stop_the_register(client, demo, device_id, admin_client):
    assert connect(client, device_id, REGISTER).result("Connect") == "true"
    for _ in range(30):
        assert connect(client, device_id, STRANGER, password="guess").status in (401, 429)
    fresh_process()
    assert connect(client, device_id, REGISTER).result("Connect") == "true"
    # The stranger is locked out, even with the right password, and the journal says so.
    locked = connect(client, device_id, STRANGER)
    assert locked.status == 429 and f"пользователя «sync» с адреса {STRANGER}" in locked.body.decode()
    refusal = ExchangeJournalEntry.objects.filter(status="denied", address=STRANGER,
                                                  error__contains="Слишком много").latest("id")
    assert refusal.repeats >= 2  # the stranger's refusals are counted in one entry, not a row each
    # The console shows the lock-out on the register's line.
    console = admin_client.get(reverse("admin:offline_exchange_exchangeconsole_changelist")).content.decode()
    assert f"«sync» с адреса {STRANGER}: 10 неудачных попыток — вход закрыт" in console


def test_a_login_known_at_an_address_keeps_working_when_the_address_is_locked(client, demo, device_id, settings):
    # Strangers behind the register's own NAT guess other logins until the address is locked.
    assert connect(client, device_id, REGISTER).result("Connect") == "true"
    assert KnownLoginAddress.objects.filter(username="sync", ip=REGISTER).exists()
    for n in range(settings.EQUIPMENT_SERVICE_LOCKOUT_PER_IP):
        connect(client, device_id, REGISTER, user=f"guess{n}", password="x")
    fresh_process()
    assert connect(client, device_id, REGISTER).result("Connect") == "true"
    from tests.factories import UserFactory
    demo["device"].users.add(UserFactory(username="newcomer", password="pw", sync=True))
    assert connect(client, device_id, REGISTER, user="newcomer", password="pw").status == 429


def test_the_register_mistyping_its_own_password_is_still_locked_out(client, demo, device_id, settings):
    assert connect(client, device_id, REGISTER).result("Connect") == "true"
    for _ in range(settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER):
        connect(client, device_id, REGISTER, password="typo")
    fresh_process()
    assert connect(client, device_id, REGISTER).status == 429
