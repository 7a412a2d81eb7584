"""The address a call comes from, for lock-outs, the journal and the console.

`X-Forwarded-For` is the client's own word except for the entries our proxies added. It counts only when
the peer (the connection's own address) is one of TRUSTED_PROXIES; then, read from the right, every
entry that is itself a trusted proxy is stepped over and the first one that is not is the client. An
entry that is not an address (a forged header's garbage) ends the walk: the last trusted hop is kept.
"""
from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

# A peer without an address: the app server's unix socket, reachable only by the local proxy.
UNIX_SOCKET = "unix"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[tuple[Network, ...], bool]:
    networks, unix = [], False
    for entry in entries:
        if entry.strip().lower() == UNIX_SOCKET:
            unix = True
        else:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
    return tuple(networks), unix


def trusted_networks() -> tuple[tuple[Network, ...], bool]:
    return _networks(tuple(settings.TRUSTED_PROXIES))


def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:203.0.113.5) is that IPv4 client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_proxy(address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(request) -> str | None:
    networks, unix = trusted_networks()
    remote = request.META.get("REMOTE_ADDR") or ""
    peer = parse_address(remote)
    peer_is_proxy = (peer is not None and _is_proxy(peer, networks)) or (not remote and unix)
    if not peer_is_proxy:
        return str(peer) if peer is not None else None
    nearest = str(peer) if peer is not None else None
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for entry in reversed(forwarded):
        address = parse_address(entry)
        if address is None:
            break
        nearest = str(address)
        if not _is_proxy(address, networks):
            break
    return nearest
