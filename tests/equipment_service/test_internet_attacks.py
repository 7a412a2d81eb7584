"""The attacks of issue 22 against the service and the admin, each through the real HTTP edge: guesses
from forged or many addresses, a flood of strangers' logins, guesses behind a store's NAT, a renamed login.
Time passing is simulated by moving the recorded failures back (no test waits or measures time)."""
from datetime import timedelta
from random import Random

import pytest
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client
from django.utils import timezone

from equipment_service.auth import verified
from offline_exchange.models import AuthFailure, ExchangeJournalEntry, KnownLoginAddress, UnknownConnection
from offline_exchange.services import lockout
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db

CONSOLE = "/admin/offline_exchange/exchangeconsole/"
PROXY = "10.0.0.1"
STORE_NAT, ELSEWHERE = "198.51.100.20", "203.0.113.66"


def later(seconds: float) -> None:
    """As if `seconds` had passed since every failure recorded so far."""
    AuthFailure.objects.update(created_at=F("created_at") - timedelta(seconds=seconds))


def connect(client, device_id, address, **kw):
    return call(client, "Connect", [("DeviceID", device_id)], REMOTE_ADDR=address, **kw)


def admin_login(address, password, forwarded=None, username="admin"):
    headers = {"REMOTE_ADDR": address}
    if forwarded:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post("/admin/login/?next=/admin/", {"username": username, "password": password}, **headers)


# --- 2. Proxy trust and the admin's login ------------------------------------------------------------------


def test_admin_guesses_cannot_forge_a_new_address_each(demo, settings):
    settings.TRUSTED_PROXIES = []  # the app port reached directly: nobody's X-Forwarded-For counts
    rng = Random(1)
    for n in range(settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER):
        forged = f"203.0.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        assert admin_login(ELSEWHERE, f"guess{n}", forwarded=forged).status_code == 200  # the form again
    assert set(AuthFailure.objects.values_list("ip", flat=True)) == {ELSEWHERE}
    refused = admin_login(ELSEWHERE, "admin", forwarded="192.0.2.250")
    assert refused.status_code == 429 and "Слишком много неудачных попыток" in refused.content.decode()


def test_admin_guessed_from_many_addresses_waits_a_growing_delay(demo, settings):
    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    free = settings.EQUIPMENT_SERVICE_LOCKOUT_PER_LOGIN_FREE
    for n in range(free + 4):
        later(lockout._delay(n, free, 300))  # each guess after the delay the earlier ones earned
        assert admin_login(PROXY, f"guess{n}", forwarded=f"203.0.113.{n + 1}").status_code == 200
    assert AuthFailure.objects.values("ip").distinct().count() == free + 4  # each from an address of its own
    # 14 failures: the next attempt waits 16 s, from yet another address and with the right password too.
    refused = admin_login(PROXY, "admin", forwarded="203.0.113.200")
    assert refused.status_code == 429 and "с разных адресов" in refused.content.decode()
    later(8)
    assert admin_login(PROXY, "admin", forwarded="203.0.113.201").status_code == 429
    later(8)
    assert admin_login(PROXY, "admin", forwarded="203.0.113.202").status_code == 302


def test_the_admin_at_its_own_address_is_not_held_up_by_a_distributed_guess(demo, settings):
    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    assert admin_login(PROXY, "admin", forwarded="192.0.2.10").status_code == 302  # the office, once
    for n in range(settings.EQUIPMENT_SERVICE_LOCKOUT_PER_LOGIN_FREE + 5):
        admin_login(PROXY, f"guess{n}", forwarded=f"203.0.113.{n + 1}")
    assert admin_login(PROXY, "admin", forwarded="192.0.2.10").status_code == 302
    assert admin_login(PROXY, "admin", forwarded="203.0.113.250").status_code == 429


@pytest.mark.parametrize("free, cap, failures, expected", [
    (10, 300, 9, 0), (10, 300, 10, 1), (10, 300, 11, 2), (10, 300, 14, 16), (10, 300, 19, 300), (10, 300, 60, 300),
    (3, 60, 3, 1), (3, 60, 9, 60),
])
def test_the_delay_doubles_up_to_its_cap(free, cap, failures, expected):
    assert lockout._delay(failures, free, cap) == expected


# --- 3. A journal strangers can't flood -----------------------------------------------------------------


def test_a_flood_of_strangers_logins_adds_a_few_dozen_rows_and_the_real_phones_stay(demo, client, admin_client,
                                                                                   device_id, settings):
    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    # Two genuine traces first: a register with an identifier nobody has yet, a phone with a wrong password.
    assert call(client, "Connect", [("DeviceID", "NEW-KASSA-9")], REMOTE_ADDR="192.0.2.41").result("Connect") == "false"
    assert connect(client, device_id, "192.0.2.42", password="old-password").status == 401
    genuine = set(UnknownConnection.objects.values_list("kind", "key"))
    journal, console = ExchangeJournalEntry.objects.count(), UnknownConnection.objects.count()

    rng = Random(22)

    def random_login():
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10))

    for _ in range(1000):  # from one address
        assert connect(client, device_id, "198.51.100.99", user=random_login(), password="x").status in (401, 429)
    for n in range(1000):  # from a thousand addresses, through our own proxy
        answer = connect(client, device_id, PROXY, user=random_login(), password="x",
                         HTTP_X_FORWARDED_FOR=f"1.2.3.4, 100.64.{n // 250}.{n % 250 + 1}")
        assert answer.status in (401, 429)

    added_journal = ExchangeJournalEntry.objects.count() - journal
    added_console = UnknownConnection.objects.count() - console
    print(f"2000 refused calls added {added_journal} journal entries and {added_console} console rows")
    assert added_journal <= 40 and added_console <= 25
    # Every refused call is still counted, and the logins tried are listed (not one row each).
    counted = sum(ExchangeJournalEntry.objects.filter(status="denied", user=None).values_list("repeats", flat=True))
    assert counted == 2000 + 1
    flood = ExchangeJournalEntry.objects.filter(address="198.51.100.99")
    assert flood.count() <= 3 and "и другие" in flood.first().note
    assert ExchangeJournalEntry.objects.filter(refusal="overflow").exists()

    # The genuine rows survive and are on the console, ahead of the strangers'.
    assert genuine <= set(UnknownConnection.objects.values_list("kind", "key"))
    page = admin_client.get(CONSOLE).content.decode()
    assert "new-kassa-9" in page.lower() and "192.0.2.42" in page


def test_strangers_rows_go_first_when_the_console_is_full(demo, client, device_id, monkeypatch):
    from offline_exchange.services import connections
    monkeypatch.setattr(connections, "KEEP_ROWS", 4)
    assert connect(client, device_id, "192.0.2.42", password="old-password").status == 401
    for n in range(6):
        connect(client, device_id, f"203.0.113.{n + 1}", user=f"stranger{n}", password="x")
    assert UnknownConnection.objects.count() == 4
    assert UnknownConnection.objects.filter(username="sync", address="192.0.2.42").exists()


# --- 4. No lock-out through the store's NAT ---------------------------------------------------------------


def test_guesses_of_the_registers_login_behind_its_nat_only_slow_it_down(demo, client, device_id, settings,
                                                                         admin_client):
    cap = settings.EQUIPMENT_SERVICE_KNOWN_ADDRESS_DELAY_CAP_SECONDS
    assert connect(client, device_id, STORE_NAT).result("Connect") == "true"  # the register, once
    for _ in range(3 * settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER):  # a guest on the same Wi-Fi, patiently
        assert connect(client, device_id, STORE_NAT, password="guess").status == 401
        later(cap)
    assert connect(client, device_id, STORE_NAT, password="guess").status == 401
    verified.clear()  # another app server process, which has not checked the register's password itself
    slowed = connect(client, device_id, STORE_NAT)
    assert slowed.status == 429 and "следующая попытка возможна через" in slowed.body.decode()
    assert 0 < int(slowed.body.decode().split("через ")[1].split(" ")[0]) <= cap
    console = admin_client.get(CONSOLE).content.decode()
    assert f"«sync» с адреса {STORE_NAT}" in console and "вход замедлен" in console
    later(cap)  # the cap, not the lock-out window
    assert connect(client, device_id, STORE_NAT).result("Connect") == "true"
    # Strangers elsewhere are still locked out after as many guesses, for the whole window.
    for _ in range(settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER):
        connect(client, device_id, ELSEWHERE, password="guess")
    later(cap)
    locked = connect(client, device_id, ELSEWHERE)
    assert locked.status == 429 and "вход закрыт" in locked.body.decode()


def test_an_address_the_login_has_not_used_for_n_days_is_no_longer_its_own(demo, client, device_id, settings):
    assert connect(client, device_id, STORE_NAT).result("Connect") == "true"
    verified.clear()
    KnownLoginAddress.objects.update(last_success_at=timezone.now() - timedelta(
        days=settings.EQUIPMENT_SERVICE_KNOWN_ADDRESS_DAYS + 1))
    for _ in range(settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER):
        connect(client, device_id, STORE_NAT, password="guess")
    later(settings.EQUIPMENT_SERVICE_KNOWN_ADDRESS_DELAY_CAP_SECONDS)
    assert "вход закрыт" in connect(client, device_id, STORE_NAT).body.decode()


# --- 5. Credentials checked at once -------------------------------------------------------------------------


def test_a_renamed_login_stops_working_at_once(demo, client, device_id):
    assert connect(client, device_id, STORE_NAT).result("Connect") == "true"  # checked and cached
    # Renamed by another process (the admin's app server): this process's cache must not answer for it.
    User.objects.filter(username="sync").update(username="sync-old")
    assert connect(client, device_id, STORE_NAT).status == 401
    assert connect(client, device_id, STORE_NAT, user="sync-old").result("Connect") == "true"


@pytest.mark.parametrize("change", ["password", "inactive"])
def test_a_login_changed_elsewhere_stops_working_at_once(demo, client, device_id, change):
    assert connect(client, device_id, STORE_NAT).result("Connect") == "true"
    user = User.objects.get(username="sync")
    if change == "password":
        user.set_password("another-one")
        User.objects.filter(pk=user.pk).update(password=user.password)
    else:
        User.objects.filter(pk=user.pk).update(is_active=False)
    assert connect(client, device_id, STORE_NAT).status == 401
