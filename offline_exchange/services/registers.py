"""Setting up a register: how its phone connects, and the payment codes of its cash register."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.db.models import Q

from offline_exchange.models import CashRegister, OfflineDevice, PaymentMapping
from retail.rights import SYNC_PERMISSION_Q, can_sync

# The group the migration 0003 creates with the sync permission: its members may sync.
SYNC_GROUP = "Выполнение синхронизации данных"


@dataclass(frozen=True)
class SyncLogin:
    username: str
    may_sync: bool
    pk: int | None = None
    missing: str = ""  # what it lacks to sync, in words


@dataclass(frozen=True)
class DeviceConnection:
    """What the register's owner types into 1С:Мобильная касса (Настройки → Синхронизация с 1С)."""

    server: str
    publication: str
    device_id: str
    service_url: str
    logins: tuple[SyncLogin, ...]
    group: str


def device_connection(*, device: OfflineDevice, server: str) -> DeviceConnection:
    """`server` is the address the admin reached us at (scheme://host/): the phone reaches the same
    host, unless a public address is configured for the service."""
    publication = settings.EQUIPMENT_SERVICE_BASE_NAMES[0] if settings.EQUIPMENT_SERVICE_BASE_NAMES else ""
    server = server if server.endswith("/") else server + "/"
    service = f"{server}{publication}/ws/EquipmentService" if publication else f"{server}ws/EquipmentService"
    logins = tuple(SyncLogin(user.username, not missing, user.pk, missing)
                   for user in device.users.order_by("username") for missing in [sync_user_missing(user=user)])
    return DeviceConnection(server=server, publication=publication, device_id=device.device_id,
                            service_url=service, logins=logins, group=SYNC_GROUP)


def device_free_for_register(*, register: CashRegister | None = None):
    """The devices a cash register may be bound to: those no other cash register has."""
    free = Q(cash_register=None)
    if register is not None and register.pk:
        free |= Q(cash_register=register)
    return OfflineDevice.objects.filter(free)


def payment_mapping_code_next(*, cash_register: CashRegister, taken: set[str] = frozenset()) -> str:
    """The next free code of the register's electronic payment options: one above the largest number
    in use (codes the admin typed that are not numbers do not count), skipping `taken`."""
    codes = set(PaymentMapping.objects.filter(cash_register=cash_register).values_list("code", flat=True))
    codes |= set(taken)
    number = max((int(code) for code in codes if code.isdigit()), default=0) + 1
    while str(number) in codes:
        number += 1
    return str(number)


@transaction.atomic
def payment_mappings_number(*, mappings: list[PaymentMapping]) -> None:
    """Give every mapping left without a code the next free one of its register, in the order given."""
    taken: set[str] = {mapping.code for mapping in mappings if mapping.code}
    for mapping in mappings:
        if not mapping.code:
            mapping.code = payment_mapping_code_next(cash_register=mapping.cash_register, taken=taken)
            taken.add(mapping.code)


def sync_group() -> Group:
    """The group whose members may sync (migration 0003 creates it; made again if someone deleted it)."""
    group, _ = Group.objects.get_or_create(name=SYNC_GROUP)
    group.permissions.add(Permission.objects.get(codename="sync_data", content_type__app_label="offline_exchange"))
    return group


def sync_users():
    """The active logins that may sync: those a device's «Пользователи синхронизации» offers."""
    return User.objects.filter(SYNC_PERMISSION_Q, is_active=True).distinct().order_by("username")


def sync_user_missing(*, user: User) -> str:
    """What a login lacks to sync, in the store admin's words ('' when nothing)."""
    if not user.is_active:
        return "пользователь отключен (снят флажок «Активный»)"
    if not can_sync(user):
        return f"пользователь не входит в группу «{SYNC_GROUP}»"
    return ""


@transaction.atomic
def sync_user_create(*, username: str, password: str, device: OfflineDevice | None = None) -> User:
    """A login for a register's phone, created from its device's page: in the sync group, without access to
    the back office, and bound to the device when it is already written."""
    user = User.objects.create_user(username=username, password=password)
    user.groups.add(sync_group())
    if device is not None and device.pk:
        device.users.add(user)
    return user
