"""«Что получила касса»: a price-list transfer's goods with their codes, prices and balances as its packages
carry them, and the orders on the register, read back from the same documents the register gets.

A package is stored as its document without the goods and the list of its items (the goods are spliced in
when it is handed out): it is rebuilt here the same way, with the prices of the transfer's day, without
touching the goods cache. An item changed since the transfer (its price, balance, barcode…) reaches the
register with the next list: such rows are marked, and show the item as it is now."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from offline_exchange.format.builders import good_fragments, splice_goods
from offline_exchange.format.contents import GoodRow, OrderRow, orders_rows, price_list_goods_rows, price_list_units
from offline_exchange.models import OfflineDevice, SkuCode, Transfer
from offline_exchange.services.code_aliases import sku_number_of
from offline_exchange.services.exports import orders_document
from offline_exchange.services.feed import feed_item_versions, feed_items_changed
from offline_exchange.services.goods_cache import unpack_ids
from offline_exchange.services.order_delivery import order_exchange
from offline_exchange.services.price_list import device_format, price_list_goods, price_list_positions_serialized
from offline_exchange.services.transfers import positions_load
from retail.models import CustomerOrder, Item

ROWS_SHOWN = 1000


@dataclass
class PackageState:
    number: int
    sent: bool
    goods: int


@dataclass
class TransferGoods:
    rows: list[GoodRow]
    found: int  # rows before the ROWS_SHOWN cut
    changed: set[str]  # UUIDs of the items changed since the transfer
    packages: list[PackageState] = field(default_factory=list)


def _search_ids(term: str, ids: list[int]) -> set[int]:
    """The items among `ids` a search may find (rows are then matched one by one): by name, article, barcode
    or code. SQLite folds the case of Latin letters only, so the usual spellings of a word are tried."""
    condition = Q(article__icontains=term) | Q(barcodes__value__icontains=term)
    for spelling in {term, term.lower(), term.capitalize(), term.upper()}:
        condition |= Q(name__icontains=spelling) | Q(characteristics__name__icontains=spelling) \
            | Q(packs__name__icontains=spelling)
    number = sku_number_of(term)
    if number is not None:
        condition |= Q(pk__in=SkuCode.objects.filter(number=number).values("item_id"))
    return set(Item.objects.filter(condition, pk__in=ids).values_list("pk", flat=True))


def transfer_package_document(*, transfer: Transfer, number: int, only: set[int] | None = None) -> bytes:
    """Package `number` of the transfer as the register gets it (only the items in `only`, when given)."""
    package = transfer.packages.get(number=number)
    device = transfer.device
    ids = [pk for pk in unpack_ids(package.item_ids) if only is None or pk in only]
    goods, _units, _without_price = price_list_goods(device=device, ids=ids, on=transfer.price_day)
    fragments = good_fragments(goods, device_format(device))
    positions = {pk: scopes for pk, scopes in positions_load(package.positions).items() if only is None or pk in only}
    fragments += price_list_positions_serialized(device=device, positions=positions, on=transfer.price_day)
    return splice_goods(bytes(package.head), fragments)


def _package_ids(package) -> list[int]:
    return unpack_ids(package.item_ids) + list(positions_load(package.positions))


def transfer_goods(*, transfer: Transfer, package: int | None = None, term: str = "") -> TransferGoods:
    """The goods of one package (the first by default), or of every package matching a search."""
    term = (term or "").strip()[:100]
    packages = list(transfer.packages.order_by("number"))
    states = [PackageState(p.number, p.sent, len(_package_ids(p))) for p in packages]
    if not term and package is None and packages:
        package = packages[0].number
    wanted = [p for p in packages if package is None or p.number == package]
    units: dict[str, str] = {}
    rows: list[GoodRow] = []
    all_ids: set[int] = set()
    for current in wanted:
        ids = _package_ids(current)
        only = _search_ids(term, ids) if term else None
        if only is not None and not only:
            continue
        document = transfer_package_document(transfer=transfer, number=current.number, only=only)
        units.update(price_list_units(document))
        found = price_list_goods_rows(document, package=current.number, units=units)
        rows += [row for row in found if row.matches(term)] if term else found
        all_ids.update(ids if only is None else only)
    # An item's version (its last ITEM row) is kept by compaction forever; its price and balance rows go with
    # the feed's horizon, so a price change is named while the feed still holds it.
    versions = feed_item_versions(item_ids=sorted(all_ids))
    changed_ids = {pk for pk, version in versions.items() if version > transfer.feed_watermark}
    changed_ids |= feed_items_changed(after=transfer.feed_watermark or 0, item_ids=sorted(all_ids))
    changed = {str(uuid) for uuid in Item.objects.filter(pk__in=changed_ids).values_list("uuid", flat=True)}
    return TransferGoods(rows=rows[:ROWS_SHOWN], found=len(rows), changed=changed, packages=states)


@dataclass
class RegisterOrder:
    row: OrderRow
    order: CustomerOrder | None
    sent: bool
    state: str


def register_orders(*, device: OfflineDevice) -> list[RegisterOrder]:
    """The open courier orders of the device's register as GetDocs writes them, each with whether the register
    has taken it as it stands (or it waits for the next exchange)."""
    rows = orders_rows(orders_document(device=device))
    orders = {str(order.uuid): order for order in CustomerOrder.objects.filter(uuid__in=[row.uuid for row in rows])}
    found = []
    for row in rows:
        order = orders.get(row.uuid)
        exchange = order_exchange(order=order) if order is not None else None
        found.append(RegisterOrder(row=row, order=order, sent=bool(exchange and exchange.sent),
                                   state=exchange.state if exchange else ""))
    return found
