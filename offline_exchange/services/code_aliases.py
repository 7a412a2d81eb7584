"""Codes a register sends that are not our SKU: mapped to a position for that register alone, or,
when the code is a free SKU number, given to the position as its SKU.

A register's code is mapped per device on purpose: the SKU register is shared by every register, and
renumbering a position would change the code the others sell it under.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from retail.models import Characteristic, Item, Pack

from ..models import DeviceCodeAlias, ExchangeSettings, OfflineDevice, SkuCode
from .sku import MAX_SKU

CODE_MAX_LENGTH = 36


class CodeMappingError(Exception):
    """What the admin is told when a mapping cannot be saved; nothing is changed."""


@dataclass(frozen=True)
class PositionChoice:
    item: Item
    characteristic: Characteristic | None = None
    pack: Pack | None = None

    @property
    def text(self) -> str:
        return ", ".join(str(part) for part in (self.item, self.characteristic, self.pack) if part is not None)


def position_check(*, item: Item, characteristic: Characteristic | None = None,
                   pack: Pack | None = None) -> PositionChoice:
    """The position, refused when its characteristic or pack belongs to another item."""
    if characteristic is not None and characteristic.item_id != item.pk:
        raise CodeMappingError(f"Характеристика «{characteristic}» не относится к номенклатуре «{item}».")
    if pack is not None and pack.item_id != item.pk:
        raise CodeMappingError(f"Упаковка «{pack}» не относится к номенклатуре «{item}».")
    return PositionChoice(item, characteristic, pack)


def _code_clean(code: str) -> str:
    code = (code or "").strip()
    if not code:
        raise CodeMappingError("Код товара пуст: сопоставлять нечего.")
    if len(code) > CODE_MAX_LENGTH:
        raise CodeMappingError(f"Код товара длиннее {CODE_MAX_LENGTH} символов.")
    return code


@transaction.atomic
def code_alias_set(*, device: OfflineDevice, code: str, item: Item, characteristic: Characteristic | None = None,
                   pack: Pack | None = None, user=None) -> DeviceCodeAlias:
    """Map one code of one register to a position (a later mapping of the same code replaces it)."""
    code = _code_clean(code)
    position_check(item=item, characteristic=characteristic, pack=pack)
    alias, _created = DeviceCodeAlias.objects.update_or_create(
        device=device, code=code,
        defaults={"item": item, "characteristic": characteristic, "pack": pack,
                  "created_by": user if getattr(user, "pk", None) else None},
    )
    return alias


def sku_range_for(*, is_weight: bool, config: ExchangeSettings | None = None) -> tuple[int, int]:
    config = config or ExchangeSettings.load()
    if is_weight:
        return config.weight_sku_min, config.weight_sku_max
    return config.weight_sku_max + 1, MAX_SKU


def sku_number_of(code: str) -> int | None:
    """The code as an SKU number, if it reads as one (leading zeros allowed, as registers pad them)."""
    code = (code or "").strip()
    if not code.isdigit() or len(code) > 10:
        return None
    number = int(code)
    return number if 1 <= number <= MAX_SKU else None


def sku_number_is_free(*, code: str) -> bool:
    """No SKU holds the code's number and it lies inside one of the configured ranges."""
    number = sku_number_of(code)
    if number is None or number < ExchangeSettings.load().weight_sku_min:
        return False
    return not SkuCode.objects.filter(number=number).exists()


@transaction.atomic
def sku_code_assign(*, code: str, item: Item, characteristic: Characteristic | None = None,
                    pack: Pack | None = None) -> SkuCode:
    """Give a free SKU number to a position that has no SKU yet (a position's existing SKU is never moved)."""
    code = _code_clean(code)
    position = position_check(item=item, characteristic=characteristic, pack=pack)
    number = sku_number_of(code)
    if number is None:
        raise CodeMappingError(f"Код {code} не может быть кодом SKU: нужен номер от 1 до {MAX_SKU}.")
    # The same lock as the SKU generator: the two never hand out one number twice.
    config = ExchangeSettings.objects.select_for_update().get_or_create(pk=1)[0]
    holder = SkuCode.objects.filter(number=number).select_related("item").first()
    if holder is not None:
        raise CodeMappingError(f"Код SKU {number} уже занят позицией «{holder.item}».")
    key = SkuCode.key_for(item.pk, characteristic.pk if characteristic else None, pack.pk if pack else None)
    current = SkuCode.objects.filter(position_key=key).first()
    if current is not None:
        raise CodeMappingError(
            f"У позиции «{position.text}» уже есть код SKU {current.number}; его используют другие кассы, "
            "поэтому он не меняется. Сопоставьте код с позицией только для этой кассы.")
    start, end = sku_range_for(is_weight=item.is_weight, config=config)
    if not start <= number <= end:
        kind = "весовых" if item.is_weight else "штучных"
        raise CodeMappingError(f"Код SKU {number} вне диапазона {kind} товаров ({start}–{end}).")
    return SkuCode.objects.create(number=number, item=item, characteristic=characteristic, pack=pack,
                                  position_key=key)
