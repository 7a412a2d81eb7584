"""The admin's login is throttled like the service's: guesses lock the (login, address) pair and the address."""
import pytest
from django.test import Client

from offline_exchange.models import AuthFailure

pytestmark = pytest.mark.django_db


def login(browser, password, address="192.0.2.10", username="admin"):
    return browser.post("/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_guessing_the_admin_password_is_locked_out(demo, settings):
    settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER = 3
    browser = Client()
    for _ in range(3):
        assert login(browser, "guess").status_code == 200
    locked = login(browser, "admin")  # even the right password, from the guessing address
    assert locked.status_code == 429 and "Слишком много неудачных попыток входа пользователя «admin»" in \
        locked.content.decode()
    assert not browser.session.get("_auth_user_id")
    # The real admin at another address signs in; success forgets that address's failures only.
    elsewhere = Client()
    assert login(elsewhere, "admin", address="192.0.2.77").status_code == 302
    assert AuthFailure.objects.filter(username="admin", ip="192.0.2.10").count() == 3


def test_an_address_guessing_many_logins_is_locked_out(demo, settings):
    settings.EQUIPMENT_SERVICE_LOCKOUT_PER_IP = 4
    browser = Client()
    for n in range(4):
        login(browser, "x", username=f"nobody{n}")
    assert login(browser, "admin").status_code == 429
