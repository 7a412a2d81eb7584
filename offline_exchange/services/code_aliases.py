"""Codes a register sends that are not our SKU: mapped to a position for that register alone, or,
when the code is a free SKU number, given to the position as its SKU.

A register's code is mapped per device on purpose: the SKU register is shared by every register, and
renumbering a position would change the code the others sell it under.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from offline_exchange.models import DeviceCodeAlias, ExchangeSettings, OfflineDevice, SkuCode
from offline_exchange.services.sku import MAX_SKU, positions_for_items
from retail.models import Characteristic, Item, Pack

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


def position_key(item_id: int, characteristic_id: int | None, pack_id: int | None) -> str:
    return f"{item_id}:{characteristic_id or ''}:{pack_id or ''}"


def position_from_key(key: str) -> PositionChoice:
    """The position a form sent as «item:characteristic:pack», checked to be one position of one item."""
    parts = (key or "").split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not all(p.isdigit() for p in parts[1:] if p):
        raise CodeMappingError("Выберите номенклатуру из списка.")
    item = Item.objects.filter(pk=int(parts[0])).first()
    if item is None:
        raise CodeMappingError("Выбранная номенклатура не найдена: выберите ее из списка еще раз.")
    characteristic = pack = None
    if parts[1]:
        characteristic = Characteristic.objects.filter(pk=int(parts[1])).first()
        if characteristic is None:
            raise CodeMappingError("Выбранная характеристика не найдена: выберите позицию из списка еще раз.")
    if parts[2]:
        pack = Pack.objects.filter(pk=int(parts[2])).first()
        if pack is None:
            raise CodeMappingError("Выбранная упаковка не найдена: выберите позицию из списка еще раз.")
    return position_check(item=item, characteristic=characteristic, pack=pack)


def positions_search(*, term: str, limit: int = 30) -> list[tuple[str, str]]:
    """Positions (item, characteristic, pack) for a choice box: (key, label) by name, article, barcode
    or SKU number; a number that is an SKU puts its own position first."""
    from django.db.models import Q


    term = (term or "").strip()
    first: list[tuple[int, int | None, int | None]] = []
    items = Item.objects.filter(deletion_mark=False)
    if term:
        condition = Q(article__icontains=term) | Q(barcodes__value=term)
        # SQLite folds the case of Latin letters only: the usual spellings of a Russian word are tried too.
        for spelling in {term, term.lower(), term.capitalize(), term.upper()}:
            condition |= Q(name__icontains=spelling)
        number = sku_number_of(term)
        if number is not None:
            held = SkuCode.objects.filter(number=number).values_list("item_id", "characteristic_id", "pack_id").first()
            if held:
                first.append(held)
                condition |= Q(pk=held[0])
        items = items.filter(condition)
    item_ids = list(items.order_by("name").values_list("pk", flat=True).distinct()[:limit])
    positions = [(p.item_id, p.characteristic_id, p.pack_id) for p in positions_for_items(item_ids)]
    positions = first + [p for p in positions if p not in first]
    positions = positions[:limit]
    names = dict(Item.objects.filter(pk__in={p[0] for p in positions}).values_list("pk", "name"))
    articles = dict(Item.objects.filter(pk__in={p[0] for p in positions}).values_list("pk", "article"))
    chars = dict(Characteristic.objects.filter(pk__in={p[1] for p in positions if p[1]}).values_list("pk", "name"))
    packs = dict(Pack.objects.filter(pk__in={p[2] for p in positions if p[2]}).values_list("pk", "name"))
    skus = {(i, c, p): n for n, i, c, p in SkuCode.objects.filter(item_id__in=names).values_list(
        "number", "item_id", "characteristic_id", "pack_id")}
    result = []
    for item_id, ch_id, pack_id in positions:
        label = ", ".join(filter(None, (names[item_id], chars.get(ch_id), packs.get(pack_id))))
        details = [f"арт. {articles[item_id]}"] if articles.get(item_id) else []
        number = skus.get((item_id, ch_id, pack_id))
        details.append(f"SKU {number:05d}" if number is not None else "без SKU")
        result.append((position_key(item_id, ch_id, pack_id), f"{label} ({', '.join(details)})"))
    return result


@dataclass(frozen=True)
class CodeChoice:
    """One unrecognised code of a report and what the admin chose for it on the report's page."""

    code: str
    position: str  # «item:characteristic:pack», as the choice box sends it
    as_sku: bool = False  # the free code becomes the position's SKU for every register


@transaction.atomic
def report_codes_map(*, device: OfflineDevice, unknown: set[str], choices: list[CodeChoice], user=None) -> list[str]:
    """The codes chosen on a report's page mapped together, all or none (the first refusal undoes the others);
    the sentences say what was done. `unknown` are the report's unrecognised codes: nothing else is mapped."""
    done = []
    for choice in choices:
        code = _code_clean(choice.code)
        if code not in unknown:
            raise CodeMappingError(f"Код «{code[:40]}» не входит в нераспознанные строки этого отчета.")
        position = position_from_key(choice.position)
        try:
            if choice.as_sku:
                sku = sku_code_assign(code=code, item=position.item, characteristic=position.characteristic,
                                      pack=position.pack)
                done.append(f"Код SKU {sku.number:05d} присвоен позиции «{position.text}».")
            else:
                code_alias_set(device=device, code=code, item=position.item, characteristic=position.characteristic,
                               pack=position.pack, user=user)
                done.append(f"Код {code} кассы «{device}» сопоставлен с позицией «{position.text}».")
        except CodeMappingError as exc:
            raise CodeMappingError(f"Код {code}: {exc}") from None
    return done
