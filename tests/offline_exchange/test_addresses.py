"""Whose address a call is: X-Forwarded-For counts only through a configured proxy, read from the right."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from offline_exchange.services.addresses import client_address

ROOT = Path(__file__).resolve().parents[2]


def address(settings, proxies, remote, forwarded=None):
    settings.TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


def test_without_a_proxy_list_the_header_is_the_clients_word_and_ignored(settings):
    assert address(settings, [], "198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_a_peer_outside_the_list_cannot_name_another_address(settings):
    assert address(settings, ["10.0.0.0/8"], "198.51.100.7", "10.0.0.1, 203.0.113.1") == "198.51.100.7"


def test_the_right_most_address_that_is_not_a_proxy_is_the_client(settings):
    # The client forged "1.2.3.4"; the first proxy appended the client's real address, the second its own.
    assert address(settings, ["10.0.0.0/8"], "10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.1") == "203.0.113.9"
    assert address(settings, ["10.0.0.0/8"], "10.0.0.2", "203.0.113.9") == "203.0.113.9"


def test_garbage_in_the_header_ends_the_walk_at_the_last_trusted_hop(settings):
    assert address(settings, ["10.0.0.0/8"], "10.0.0.2", "203.0.113.9, not-an-address") == "10.0.0.2"
    assert address(settings, ["10.0.0.0/8"], "10.0.0.2", "203.0.113.9, 999.1.1.1, 10.0.0.1") == "10.0.0.1"
    # Each entry is parsed as an address: a port or a space inside is not one.
    assert address(settings, ["10.0.0.0/8"], "10.0.0.2", "203.0.113.9:443") == "10.0.0.2"


def test_ipv6_and_mapped_ipv4(settings):
    assert address(settings, ["::1/128"], "::1", "2001:db8::5") == "2001:db8::5"
    assert address(settings, ["127.0.0.0/8"], "::ffff:127.0.0.1", "203.0.113.4") == "203.0.113.4"
    assert address(settings, [], "::ffff:203.0.113.4") == "203.0.113.4"


def test_a_unix_socket_peer_is_trusted_only_when_listed(settings):
    assert address(settings, ["unix"], "", "203.0.113.4") == "203.0.113.4"
    assert address(settings, [], "", "203.0.113.4") is None


def settings_run(**env):
    environment = {key: value for key, value in os.environ.items() if key not in ("TRUSTED_PROXIES",
                                                                                   "TRUST_X_FORWARDED_FOR")}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", "import config.settings as s; print(s.TRUSTED_PROXIES)"],
                          cwd=ROOT, env=environment, capture_output=True, text=True)


@pytest.mark.parametrize("env, fragment", [
    ({"TRUST_X_FORWARDED_FOR": "1"}, "TRUSTED_PROXIES"),
    ({"TRUSTED_PROXIES": "10.0.0.0/8,proxy.example"}, "proxy.example"),
])
def test_settings_refuse_the_old_switch_and_a_list_that_is_not_networks(env, fragment):
    run = settings_run(**env)
    assert run.returncode != 0 and "ImproperlyConfigured" in run.stderr and fragment in run.stderr


def test_settings_read_the_proxy_list():
    run = settings_run(TRUSTED_PROXIES="unix, 127.0.0.1/32")
    assert run.returncode == 0 and run.stdout.strip() == "['unix', '127.0.0.1/32']"
