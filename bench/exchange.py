"""Synthetic store-chain data and the measurements the bench_* commands print.

Each benchmark runs in its own database (a fresh SQLite file unless a URL is given) and each
phase in a fresh process, so the peak RSS it reports belongs to that phase alone.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from statistics import median

from django.db import connection
from tqdm import tqdm

from common.xmlsafe import XmlStream, parse_xml
from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import xsd as sale_reports_xsd
from offline_exchange.format.synthetic import SellableGood, synthetic_shift
from offline_exchange.format.versions import get_format
from offline_exchange.models import (
    CashRegister,
    ChangeFeedEntry,
    ExchangeRule,
    ExchangeSettings,
    OfflineDevice,
    SkuCode,
    Transfer,
)
from offline_exchange.services import checks as checks_service
from offline_exchange.services import goods_cache, price_list, sales
from offline_exchange.services.goods_cache import goods_block_memory
from offline_exchange.services.sales import post_docs
from offline_exchange.services.sku import sku_generate_for_rule
from offline_exchange.services.transfers import package_next, transfer_prepare
from retail.models import (
    Barcode,
    Characteristic,
    CheckLine,
    Item,
    ItemGroup,
    Organization,
    Pack,
    Price,
    PriceType,
    StockBalance,
    Store,
    Unit,
    Warehouse,
)
from retail.services.catalog import catalog_import

MANAGE = Path(__file__).resolve().parent.parent / "manage.py"
DEVICE_ID = "BENCH-0001"
# A second register of the chain on the same rule: its full list comes from the Goods the first one's
# list put in the cache.
NEXT_DEVICE_ID = "BENCH-0002"


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def progress(iterable, **kw):
    return tqdm(iterable, disable=not sys.stderr.isatty(), **kw)


def run_phases(command: str, phases: list[str], args: list[str], database_url: str | None) -> list[dict]:
    """Run `manage.py <command> --phase P` for each phase in a fresh process on one database."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        env = dict(os.environ)
        env["DATABASE_URL"] = database_url or f"sqlite:///{tmp}/bench.sqlite3"
        env["BENCH_FILES"] = tmp  # where a phase leaves a file for the next ones (the shift document)
        subprocess.run([sys.executable, str(MANAGE), "migrate", "--noinput", "-v0"], env=env, check=True)
        results = []
        for phase in phases:
            out = subprocess.run([sys.executable, str(MANAGE), command, "--phase", phase, *args], env=env, check=True,
                                 stdout=subprocess.PIPE, text=True).stdout
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results


# --- a synthetic catalog --------------------------------------------------------------


@dataclass
class CatalogFigures:
    items: int
    characteristics: int
    packs: int
    barcodes: int
    groups: int
    seconds: float
    peak_rss_mb: float


def catalog_create(*, goods: int, package_size: int) -> CatalogFigures:
    """A store chain's catalog: 10% of items with 3 characteristics, 10% with 2 packs, 1–2
    barcodes per position, prices, balances, a three-level group tree; one device and rule."""
    from django.db import transaction


    started = time.perf_counter()
    batch = 5000
    with transaction.atomic():
        settings = ExchangeSettings.load()
        settings.auto_generate_sku = True
        settings.save()
        price_type = PriceType.objects.create(name="Розничная цена")
        org = Organization.objects.create(name="ООО «Сеть»", taxation_systems=[0], number_prefix="СЕТЬ")
        store = Store.objects.create(name="Магазин 1", retail_price_type=price_type)
        warehouse = Warehouse.objects.create(name="Склад 1", store=store)
        rule = ExchangeRule.objects.create(name="Все товары", warehouse=warehouse)
        for number, device_id in enumerate((DEVICE_ID, NEXT_DEVICE_ID), start=1):
            device = OfflineDevice.objects.create(name=f"Касса {number}", organization=org, rule=rule,
                                                  device_id=device_id, items_per_package=package_size)
            CashRegister.objects.create(name=f"ККМ {number}", organization=org, store=store, device=device)
        piece = Unit.objects.create(name="шт", okei_code="796")
        kg = Unit.objects.create(name="кг", okei_code="166")

        group_count = max(3, goods // 1000)
        roots = ItemGroup.objects.bulk_create(ItemGroup(code=f"R{n:03d}", name=f"Раздел {n}") for n in range(3))
        middle = ItemGroup.objects.bulk_create(
            ItemGroup(code=f"M{n:04d}", name=f"Категория {n}", parent=roots[n % 3]) for n in range(max(3, group_count // 5)))
        leaves = ItemGroup.objects.bulk_create(
            ItemGroup(code=f"L{n:05d}", name=f"Группа {n}", parent=middle[n % len(middle)]) for n in range(group_count))

        rates = ["20", "10", "none", "0", "20"]
        item_ids: list[int] = []
        for start in progress(range(0, goods, batch), desc="товары", unit="x5000"):
            created = Item.objects.bulk_create([
                Item(name=f"Товар {n} «образец» {n % 97} шт", article=f"A-{n:07d}", group=leaves[n % len(leaves)],
                     base_unit=kg if n % 20 == 0 else piece, is_weight=n % 20 == 0, vat_rate=rates[n % len(rates)])
                for n in range(start, min(goods, start + batch))
            ])
            item_ids.extend(item.pk for item in created)

        chars, packs = [], []
        for index, item_id in enumerate(item_ids):
            if index % 10 == 1:
                chars.extend(Characteristic(item_id=item_id, name=f"Размер {s}") for s in ("S", "M", "L"))
            elif index % 10 == 2:
                packs.extend(Pack(item_id=item_id, name=f"Упаковка {k} шт", coefficient=Decimal(k)) for k in (6, 12))
        chars = Characteristic.objects.bulk_create(chars, batch_size=batch)
        packs = Pack.objects.bulk_create(packs, batch_size=batch)

        barcodes, sequence = [], [2000000000000]

        def add(item_id, ch_id=None, pack_id=None, count=1):
            for _ in range(count):
                sequence[0] += 1
                barcodes.append(Barcode(value=str(sequence[0]), item_id=item_id, characteristic_id=ch_id,
                                        pack_id=pack_id, barcode_type="EAN13"))

        for index, item_id in enumerate(item_ids):
            add(item_id, count=1 + index % 2)
        for ch in chars:
            add(ch.item_id, ch_id=ch.pk)
        for pack in packs:
            add(pack.item_id, pack_id=pack.pk)
        Barcode.objects.bulk_create(barcodes, batch_size=batch)

        today = date(2024, 1, 1)
        Price.objects.bulk_create(
            (Price(price_type=price_type, item_id=item_id, date=today, value=Decimal(50 + index % 950) + Decimal("0.90"))
             for index, item_id in enumerate(item_ids)), batch_size=batch)
        StockBalance.objects.bulk_create(
            (StockBalance(warehouse=warehouse, item_id=item_id, quantity=Decimal(index % 40))
             for index, item_id in enumerate(item_ids)), batch_size=batch)
        sku_generate_for_rule(rule=rule)
    return CatalogFigures(items=goods, characteristics=len(chars), packs=len(packs), barcodes=len(barcodes),
                          groups=3 + len(middle) + len(leaves), seconds=round(time.perf_counter() - started, 2),
                          peak_rss_mb=round(peak_rss_mb(), 1))


def database_settle() -> None:
    """The freshly loaded catalog as a running base has it: planner statistics, and on PostgreSQL the
    visibility map and a checkpoint. Otherwise autovacuum and the checkpointer do it a little later, in
    the middle of a measurement."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
            return
        cursor.execute("VACUUM ANALYZE")
        try:
            cursor.execute("CHECKPOINT")
        except DatabaseError:
            pass  # a role without pg_checkpoint: measured as it comes


def device_formats(device_ids) -> dict:
    """Each device's exchange format: a simulated register uploads its shifts in the format its device has
    (new devices are 3.3, the demo's first one 3.1), as a real one does."""
    return {device_id: get_format(version) for device_id, version in
            OfflineDevice.objects.filter(device_id__in=list(device_ids)).values_list("device_id", "format_version")}


def load_devices_create(*, count: int, template_ref: str = "") -> tuple[list[str], list]:
    """Simulated devices LOAD-0001… on the template device's rule, each with its own KKM offline
    register, and goods they can sell; for load_devices and soak."""
    from django.db import transaction


    with transaction.atomic():
        template = (OfflineDevice.objects.filter(device_id=template_ref).first() if template_ref
                    else OfflineDevice.objects.filter(in_use=True).order_by("pk").first())
        if template is None:
            raise ValueError("Нет оборудования-образца: создайте демо-базу или укажите --template-device")
        register = CashRegister.objects.filter(device=template).first()
        ids = []
        for n in range(1, count + 1):
            device_id = f"LOAD-{n:04d}"
            device, _ = OfflineDevice.objects.update_or_create(device_id=device_id, defaults={
                "name": f"Нагрузка {n}", "organization": template.organization, "rule": template.rule,
                "in_use": True, "format_version": template.format_version, "exchange_kind": template.exchange_kind,
                "items_per_package": template.items_per_package, "price_list_delivered_at": None,
            })
            device.users.set(template.users.all())  # the logins of the template sync its copies
            if register is not None:
                CashRegister.objects.update_or_create(device=device, defaults={
                    "name": f"ККМ нагрузки {n}", "organization": register.organization, "store": register.store})
            ids.append(device_id)
        numbers = list(SkuCode.objects.filter(characteristic=None, pack=None).order_by("number")
                       .values_list("number", flat=True)[:200])
    if not numbers:
        raise ValueError("В базе нет товаров с кодами SKU")
    return ids, [SellableGood(str(number), Decimal("99.90")) for number in numbers]


def chain_registers_create(*, count: int, template_ref: str, password: str) -> tuple[list[tuple[str, str]], list]:
    """`load_devices_create`'s devices, each synced by a login of its own (load-0001…, the sync right, this
    password; an existing login keeps its password: hashing 200 passwords takes a minute)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.db import transaction

    ids, goods = load_devices_create(count=count, template_ref=template_ref)
    right = Permission.objects.get(codename="sync_data", content_type__app_label="offline_exchange")
    users = get_user_model()
    registers = []
    with transaction.atomic():
        for n, device_id in enumerate(ids, start=1):
            login = f"load-{n:04d}"
            user = users.objects.filter(username=login).first()
            if user is None:
                user = users.objects.create_user(username=login, password=password)
            user.user_permissions.add(right)
            OfflineDevice.objects.get(device_id=device_id).users.set([user])
            registers.append((device_id, login))
    return registers, goods


def chain_repricing() -> tuple[int, float]:
    """Every retail price of the chain raised by one rouble in one statement (the feed's triggers record each
    item); the prices changed and the moment it committed (time.time())."""
    from django.db import transaction
    from django.db.models import F

    with transaction.atomic():
        changed = Price.objects.update(value=F("value") + Decimal("1.00"))
    return changed, time.time()


def chain_sentinel() -> tuple[str, Decimal | None]:
    """A good every register's list carries (the first SKU code of an item without positions) and its price."""
    number, item_id = SkuCode.objects.filter(characteristic=None, pack=None, item__is_weight=False,
                                             item__characteristics=None).order_by("number")\
        .values_list("number", "item_id").first()
    price = Price.objects.filter(item_id=item_id, characteristic=None).order_by("-date", "-pk")\
        .values_list("value", flat=True).first()
    return str(number), price


# --- the price list transfer ----------------------------------------------------------


@dataclass
class TransferFigures:
    kind: str
    goods: int
    packages: int
    megabytes: float
    seconds: float
    goods_per_second: float
    peak_rss_mb: float
    lxml_seconds: float | None = None
    ratio_to_lxml: float | None = None
    # With `repeat`: the first of the runs (on PostgreSQL its blocks come from the database; the next
    # runs find them in the process's memory, as the next registers served by an app server do).
    first_seconds: float | None = None
    first_ratio_to_lxml: float | None = None
    # With `floor`: the part of the runs no code of ours can make cheaper while the design stands, the
    # database's and the driver's work on the rows the Goods are made of (price_list's reads) and on the
    # cached Goods and blocks written (goods_cache's writes).
    reads_seconds: float | None = None
    writes_seconds: float | None = None


def _transfer_once(device, *, full: bool):

    started = time.perf_counter()
    transfer = transfer_prepare(device=device, full=full)
    contents: list[bytes] = []
    while True:
        answer = package_next(device=device, transfer_id=str(transfer.pk), restart=False)
        if not answer.formed:
            transfer.refresh_from_db()
            if transfer.state == Transfer.State.BUILDING:
                time.sleep(0.01)
                continue
            break
        contents.append(answer.content)
        if answer.transfer_completed:
            break
    seconds = time.perf_counter() - started
    transfer.refresh_from_db()
    return seconds, contents, transfer


def transfer_measure(*, full: bool, with_limit: bool, device_id: str = DEVICE_ID, repeat: int = 1,
                     limit_repeat: int | None = None, floor: bool = False) -> TransferFigures:
    """Prepare and fetch every package through the service layer, as GetPriceListPackage does; with
    `repeat`, that many transfers (and as many runs of the limit, or `limit_repeat`), their medians
    compared: this machine is a shared virtual one, and a single run can be a neighbour's slow moment."""

    from lxml import etree


    device = OfflineDevice.objects.get(device_id=device_id)
    # The first run reads the blocks from the database, as a freshly started app server does.
    goods_block_memory().clear()
    runs = []
    places = {"reads": [(price_list, "fetch_rows")],
              "writes": [(goods_cache, "execute_many"), (goods_cache, "copy_rows")]} if floor else {}
    with _calls_timed(**places) as floor_parts:
        for _ in range(repeat):
            elapsed, contents, transfer = _transfer_once(device, full=full)
            runs.append(elapsed)
    seconds = median(runs)
    figures = TransferFigures(
        kind="full" if full else "incremental", goods=transfer.goods_count, packages=len(contents),
        megabytes=round(sum(map(len, contents)) / 1e6, 2), seconds=round(seconds, 3),
        goods_per_second=round(transfer.goods_count / seconds) if seconds else 0, peak_rss_mb=round(peak_rss_mb(), 1),
    )
    if floor:
        figures.reads_seconds = round(floor_parts["reads"] / repeat, 4)
        figures.writes_seconds = round(floor_parts["writes"] / repeat, 4)
    if with_limit:
        # The limit: lxml serializing the same documents from trees already in memory (read back through the
        # hardened parser, as every document is; only the serializing is timed).
        trees = [parse_xml(content) for content in contents]
        contents.clear()
        limits = []
        for _ in range(limit_repeat or repeat):
            started = time.perf_counter()
            for tree in trees:
                etree.tostring(tree, encoding="UTF-8", xml_declaration=True)
            limits.append(time.perf_counter() - started)
        figures.lxml_seconds = round(median(limits), 4)
        figures.ratio_to_lxml = round(seconds / median(limits), 1)
        figures.first_seconds = round(runs[0], 3)
        figures.first_ratio_to_lxml = round(runs[0] / median(limits), 1)
    return figures


def prices_change(*, count: int) -> None:
    """A merchandiser's price change of `count` goods (the feed's triggers record them)."""

    price_type = PriceType.objects.get(name="Розничная цена")
    ids = list(Item.objects.order_by("pk").values_list("pk", flat=True)[:count])
    Price.objects.bulk_create(Price(price_type=price_type, item_id=pk, date=date.today(), value=Decimal("77.70"))
                              for pk in ids)


# --- the sales import -----------------------------------------------------------------


@dataclass
class ImportFigures:
    checks: int
    lines: int
    megabytes: float
    seconds: float
    checks_per_second: float
    peak_rss_mb: float
    posted: bool
    total: str
    lxml_seconds: float | None = None
    ratio_to_lxml: float | None = None
    # The floor of the design, timed in the same run (`_floor_timed`): what the import cannot do without.
    stream_seconds: float | None = None
    kept_rows_seconds: float | None = None
    constraints_seconds: float | None = None
    floor_seconds: float | None = None
    floor_ratio: float | None = None
    database: str = ""


def _shift_path() -> Path:
    return Path(os.environ.get("BENCH_FILES") or tempfile.gettempdir()) / "bench-shift.xml"


def sales_document_write(*, checks: int, lines: int) -> dict:
    """A closed shift of `checks` checks of the catalog's goods, as the device uploads it, into a file: the
    import and the limit each read it in a process of their own, so neither's memory holds the other's."""
    device = OfflineDevice.objects.get(device_id=DEVICE_ID)
    sellable = []
    prices = dict(Price.objects.values_list("item_id", "value")[:2000])
    for number, item_id in SkuCode.objects.filter(characteristic=None, pack=None, item_id__in=list(prices))[:500]\
            .values_list("number", "item_id"):
        sellable.append(SellableGood(str(number), prices[item_id]))
    shift = synthetic_shift(goods=sellable, checks=checks, lines=lines, opened_at=datetime(2024, 7, 1, 8),
                            returns_every=40)
    document = build_sale_reports([shift], get_format(device.format_version))
    _shift_path().write_bytes(document)
    return {"megabytes": round(len(document) / 1e6, 2)}


def sales_import_measure(*, checks: int, lines: int, repeat: int = 3) -> ImportFigures:
    """The shift through PostDocs' service path (parse, import, answer), then in the same process the limit:
    lxml parsing the same bytes into a tree (median of `repeat`). The peak RSS is the import's, taken before
    the limit runs."""
    device = OfflineDevice.objects.get(device_id=DEVICE_ID)
    document = _shift_path().read_bytes()
    with _floor_timed() as parts:
        started = time.perf_counter()
        result = post_docs(device=device, doc_type="SaleReports", document=document)
        seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    report = result.reports[0] if result.reports else None
    if report is None:
        raise RuntimeError(result.description)
    limit = _parse_limit(document, repeat)
    stream = median(checks_stream_seconds(document, get_format(device.format_version)) for _ in range(repeat))
    floor = stream + parts["rows"] + parts["constraints"]
    return ImportFigures(checks=checks, lines=lines, megabytes=round(len(document) / 1e6, 2),
                         seconds=round(seconds, 3), checks_per_second=round(checks / seconds),
                         peak_rss_mb=round(peak, 1), posted=report.posted, total=str(report.total),
                         lxml_seconds=round(limit, 3), ratio_to_lxml=round(seconds / limit, 1),
                         stream_seconds=round(stream, 4), kept_rows_seconds=round(parts["rows"], 4),
                         constraints_seconds=round(parts["constraints"], 4), floor_seconds=round(floor, 3),
                         floor_ratio=round(floor / limit, 1), database=connection.vendor)


@contextmanager
def _calls_timed(**places):
    """Time the calls of module-level functions while the block runs: `reads=[(module, "name"), ...]` gives
    `totals["reads"]`, the seconds spent in them. Each name is replaced in the module that calls it."""
    totals = {key: 0.0 for key in places}
    saved = []
    for key, functions in places.items():
        for module, name in functions:
            original = getattr(module, name)

            def timed(*args, _original=original, _key=key, **kwargs):
                started = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    totals[_key] += time.perf_counter() - started

            saved.append((module, name, original))
            setattr(module, name, timed)
    try:
        yield totals
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


@contextmanager
def _floor_timed():
    """Time, inside a real import, the parts of it no code of ours can make cheaper while the design stands:
    the kept checks' rows (issue 24) going into their tables (the database's and the driver's work on rows
    already prepared: `checks._insert_many`), and on PostgreSQL the foreign keys of the new rows checked at
    commit (Django's constraints are deferred: each commit is split into `SET CONSTRAINTS ALL IMMEDIATE`,
    which checks them, and the commit proper)."""
    with _calls_timed(rows=[(checks_service, "_insert_many")]) as parts:
        parts["constraints"] = 0.0
        if connection.vendor != "postgresql":
            yield parts
            return
        commit = connection._commit

        def commit_split():
            started = time.perf_counter()
            with connection.wrap_database_errors, connection.connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            parts["constraints"] += time.perf_counter() - started
            return commit()

        connection._commit = commit_split
        try:
            yield parts
        finally:
            del connection._commit  # the instance's attribute: the class's method again


def checks_stream_seconds(document: bytes, fmt) -> float:
    """libxml2 reading the shift as the import streams it, validating it against the format's XSD, every check
    dropped once read and nothing done with it: the reader's part that is not Python."""
    check_tag = f"{{{fmt.namespace}}}Check"
    started = time.perf_counter()
    stream = XmlStream(document, tag=check_tag, max_bytes=len(document), schema=sale_reports_xsd(fmt))
    for element in stream:
        element.clear()
        while (previous := element.getprevious()) is not None:
            element.getparent().remove(previous)
    return time.perf_counter() - started


def sales_limit_memory() -> dict:
    """The limit's memory: the peak RSS of a process like the import's (Django loaded, the document read)
    that only parses the document into an lxml tree."""
    from lxml import etree

    document = _shift_path().read_bytes()
    before = peak_rss_mb()
    started = time.perf_counter()
    root = etree.fromstring(document, etree.XMLParser(huge_tree=True))
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    del root
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(peak, 1), "before_mb": round(before, 1)}


@dataclass
class ChecksKeptFigures:
    """The same shift imported with its checks kept and without (today's import before issue 24), alternately
    in one process: medians, their ratio, and what the kept checks take on disk."""

    checks: int
    lines: int
    marked_lines: int
    repeat: int
    seconds_without: float
    seconds_with: float
    ratio: float
    runs_without: list
    runs_with: list
    # Each import with the checks kept against the one without just before it (a neighbour's load on the
    # shared machine moves both of a pair alike), and their median.
    pair_ratios: list
    pair_ratio: float
    check_lines_stored: int
    storage_bytes: int
    bytes_per_line: float
    bytes_per_line_lines_table: float
    database: str
    # The limit of the last shift imported (lxml parsing it into a tree, median of 3), and each median to it.
    lxml_seconds: float
    without_to_lxml: float
    with_to_lxml: float


CHECK_TABLES = ("retail_check", "retail_checkline", "retail_checkmarkingcode", "retail_checkpayment")


def checks_storage() -> tuple[int, int]:
    """Bytes the kept checks take (their four tables with their indexes) and those of the lines' table alone."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sizes = {}
            for table in CHECK_TABLES:
                cursor.execute("SELECT pg_total_relation_size(%s::regclass)", [table])
                sizes[table] = cursor.fetchone()[0]
            return sum(sizes.values()), sizes["retail_checkline"]
        # SQLite: the pages of each table and of each of its indexes (dbstat counts what is in use).
        cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE tbl_name IN (%s)"
                       % ",".join("?" * len(CHECK_TABLES)), list(CHECK_TABLES))
        owner = dict(cursor.fetchall())
        cursor.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
        sizes = {}
        for name, size in cursor.fetchall():
            if name in owner:
                sizes[owner[name]] = sizes.get(owner[name], 0) + size
        return sum(sizes.values()), sizes.get("retail_checkline", 0)


def _marked(shift, every: int) -> int:
    """Give every `every`-th sold line a marking code as a register sends it (GTIN, serial, crypto tail)."""
    count = 0
    for check in shift.checks:
        for line in check.lines:
            count += 1
            if every and count % every == 0:
                line.excise_stamps = [f"0104600000{count:06d}21{count:013d}93AbCd"]
    return sum(1 for check in shift.checks for line in check.lines if line.excise_stamps)


def sales_import_checks_kept(*, checks: int, lines: int, repeat: int = 3, marked_every: int = 5) -> ChecksKeptFigures:
    """Import shifts of `checks` checks alternately without keeping the checks (the import as it was before
    issue 24: the storage call replaced by nothing) and with, `repeat` times each, in this one process."""
    device = OfflineDevice.objects.get(device_id=DEVICE_ID)
    prices = dict(Price.objects.values_list("item_id", "value")[:2000])
    sellable = [SellableGood(str(number), prices[item_id]) for number, item_id in
                SkuCode.objects.filter(characteristic=None, pack=None, item_id__in=list(prices))[:500]
                .values_list("number", "item_id")]
    keep = sales.shift_checks_store
    runs: dict[bool, list[float]] = {False: [], True: []}
    marked = 0
    for n in range(repeat * 2):
        kept = n % 2 == 1
        shift = synthetic_shift(goods=sellable, checks=checks, lines=lines, opened_at=datetime(2024, 7, 1 + n, 8),
                                shift_number=str(100 + n), seed=100 + n, returns_every=40)
        marked = _marked(shift, marked_every)
        document = build_sale_reports([shift], get_format(device.format_version))
        sales.shift_checks_store = keep if kept else (lambda **kwargs: 0)
        try:
            started = time.perf_counter()
            result = post_docs(device=device, doc_type="SaleReports", document=document)
            runs[kept].append(time.perf_counter() - started)
        finally:
            sales.shift_checks_store = keep
        assert result.success and result.reports[0].posted, result.description
    without, kept_median = median(runs[False]), median(runs[True])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE " + ", ".join(CHECK_TABLES))
    total, lines_table = checks_storage()
    stored = CheckLine.objects.count()
    limit = _parse_limit(document)
    return ChecksKeptFigures(
        checks=checks, lines=lines, marked_lines=marked, repeat=repeat, seconds_without=round(without, 3),
        seconds_with=round(kept_median, 3), ratio=round(kept_median / without, 2),
        runs_without=[round(r, 3) for r in runs[False]], runs_with=[round(r, 3) for r in runs[True]],
        pair_ratios=[round(kept / plain, 2) for plain, kept in zip(runs[False], runs[True])],
        pair_ratio=round(median(kept / plain for plain, kept in zip(runs[False], runs[True])), 2),
        check_lines_stored=stored, storage_bytes=total, bytes_per_line=round(total / stored, 1) if stored else 0,
        bytes_per_line_lines_table=round(lines_table / stored, 1) if stored else 0, database=connection.vendor,
        lxml_seconds=round(limit, 4), without_to_lxml=round(without / limit, 1),
        with_to_lxml=round(kept_median / limit, 1))


def _parse_limit(document: bytes, repeat: int = 3) -> float:
    """The upload's limit: lxml parsing the same bytes into a tree, the median of `repeat`."""
    from lxml import etree

    limits = []
    for _ in range(repeat):
        started = time.perf_counter()
        etree.fromstring(document, etree.XMLParser(huge_tree=True))
        limits.append(time.perf_counter() - started)
    return median(limits)


def emit(figures) -> None:
    """The last line a phase prints is its figures as JSON, read by the parent process."""
    print(json.dumps(asdict(figures) if hasattr(figures, "__dataclass_fields__") else figures, ensure_ascii=False))


# --- the change feed -------------------------------------------------------------------


def repricing_measure(*, devices: int) -> dict:
    """A chain-wide repricing (every retail price, one statement) with `devices` registers in use on the
    catalog's rule: its time and the feed rows it wrote."""
    from django.db import transaction
    from django.db.models import F


    template = OfflineDevice.objects.get(device_id=DEVICE_ID)
    have = OfflineDevice.objects.filter(in_use=True).count()
    OfflineDevice.objects.bulk_create([
        OfflineDevice(name=f"Касса сети {number}", organization_id=template.organization_id, rule_id=template.rule_id,
                      device_id=f"CHAIN-{number:04d}") for number in range(have, devices)])
    OfflineDevice.objects.filter(in_use=True).exclude(
        pk__in=OfflineDevice.objects.filter(in_use=True).order_by("pk").values("pk")[:devices]).update(in_use=False)
    assert OfflineDevice.objects.filter(in_use=True).count() == devices
    before = ChangeFeedEntry.objects.count()
    started = time.perf_counter()
    with transaction.atomic():
        repriced = Price.objects.update(value=F("value") + Decimal("1.00"))
    seconds = time.perf_counter() - started
    return {"devices": devices, "prices": repriced, "seconds": round(seconds, 3),
            "feed_rows": ChangeFeedEntry.objects.count() - before}


def price_import_measure(*, goods: int) -> dict:
    """A price file of one row per item (a new date) imported through `catalog_import`, against the limit:
    bulk-inserting the same rows (bulk_create, batches of 2,000), measured in the same process. Both in
    a transaction rolled back, so the next measurement finds the base unchanged."""
    from django.db import transaction


    price_type = PriceType.objects.get(name="Розничная цена")
    day = date(2030, 1, 1)
    items = list(Item.objects.order_by("pk").values_list("pk", "uuid")[:goods])
    lines = ["price_type,item,characteristic,date,value"]
    lines += [f"{price_type.name},{item_uuid},,{day.isoformat()},{100 + pk % 900}.50" for pk, item_uuid in items]
    data = ("\n".join(lines) + "\n").encode()

    class _Undo(Exception):
        pass

    def timed(work) -> float:
        started = time.perf_counter()
        try:
            with transaction.atomic():
                work()
                raise _Undo
        except _Undo:
            pass
        return time.perf_counter() - started

    limit = timed(lambda: Price.objects.bulk_create(
        [Price(price_type=price_type, item_id=pk, date=day, value=Decimal(f"{100 + pk % 900}.50"))
         for pk, _uuid in items], batch_size=2000))
    outcome = {}

    def run_import():
        result = catalog_import(model="prices", data=data, file_format="csv", dry_run=False)
        outcome.update(new=result.new, errors=len(result.errors))

    seconds = timed(run_import)
    return {"rows": len(items), "megabytes": round(len(data) / 1e6, 2), "seconds": round(seconds, 3),
            "limit_seconds": round(limit, 3), "ratio": round(seconds / limit, 1), **outcome}


def incremental_after_repricing_measure() -> dict:
    """The next incremental list of one register after a chain-wide repricing, as a chain lives it: the
    register has had its full list (untimed: the Goods and blocks its variant has in the cache), then every
    retail price is raised in one statement, and its next list carries every Good of the catalog with its
    new price; and the lxml limit of the same documents (median of 5), measured in the same process after it."""
    from django.db import transaction
    from django.db.models import F


    device = OfflineDevice.objects.select_related("rule__warehouse__store").get(device_id=DEVICE_ID)
    _transfer_once(device, full=True)
    with transaction.atomic():
        Price.objects.update(value=F("value") + Decimal("1.00"))
    figures = transfer_measure(full=False, with_limit=True, limit_repeat=5)
    return asdict(figures)


def incremental_positions_measure() -> dict:
    """One size repriced across the catalog (a characteristic price for the first characteristic of every item
    that has them), then the register's next incremental list: it carries that characteristic's positions.
    Against, in the same run, the same items changed as a whole (their names), every position of each sent:
    what the list cost when the feed knew items only."""
    from django.db import transaction
    from django.db.models import Min


    device = OfflineDevice.objects.get(device_id=DEVICE_ID)
    price_type = PriceType.objects.get(name="Розничная цена")
    firsts = list(Characteristic.objects.values("item_id").annotate(first=Min("pk")).values_list("item_id", "first"))
    with transaction.atomic():
        Price.objects.bulk_create(
            [Price(price_type=price_type, item_id=item_id, characteristic_id=ch_id, date=date.today(),
                   value=Decimal("555.00")) for item_id, ch_id in firsts], batch_size=2000)
    seconds, contents, transfer = _transfer_once(device, full=False)
    positions = {"items": transfer.goods_count, "goods": sum(c.count(b"<Good ") for c in contents),
                 "megabytes": round(sum(map(len, contents)) / 1e6, 2), "seconds": round(seconds, 3)}
    Item.objects.filter(pk__in=[item_id for item_id, _ch in firsts]).update(description="переименовано")
    seconds, contents, transfer = _transfer_once(device, full=False)
    whole = {"items": transfer.goods_count, "goods": sum(c.count(b"<Good ") for c in contents),
             "megabytes": round(sum(map(len, contents)) / 1e6, 2), "seconds": round(seconds, 3)}
    return {"positions": positions, "whole": whole, "peak_rss_mb": round(peak_rss_mb(), 1)}
