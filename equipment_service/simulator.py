"""A device's whole sync, as 1С:Мобильная касса runs it; shared by pos_sync and load_devices."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from equipment_service.client import CallFailed, EquipmentServiceClient, document

FMT_NS_PREFIX = "http://www.1c.ru/EquipmentService/"


@dataclass
class Step:
    operation: str
    seconds: float
    ok: bool
    note: str = ""


@dataclass
class SyncReport:
    steps: list[Step] = field(default_factory=list)
    packages: int = 0
    goods: int = 0
    orders: int = 0
    posted: str = ""
    # What the register got, kept on request (`pos_sync -v 2` prints it): each package's document, the orders'.
    packages_received: list[tuple[int, str]] = field(default_factory=list)
    orders_received: str = ""

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    @property
    def errors(self) -> list[Step]:
        return [step for step in self.steps if not step.ok]


def _local(element, name: str):
    return [child for child in element.iter() if isinstance(child.tag, str) and child.tag.endswith("}" + name)]


def device_sync(client: EquipmentServiceClient, device_id: str, *, full: bool = False, post: bytes | None = None,
                max_polls: int = 600, poll_seconds: float = 0.2,
                on_package: Callable[[int, int], None] | None = None, keep: bool = False) -> SyncReport:
    """Version → settings → price list (all packages) → orders → upload; stops at the first failure. With
    `keep`, the documents received are kept in the report."""
    report = SyncReport()

    def step(operation: str, **params) -> str | None:
        try:
            answer = client.call(operation, **params)
        except CallFailed as exc:
            report.steps.append(Step(operation, 0.0, False, str(exc)))
            return None
        report.steps.append(Step(operation, answer.seconds, True))
        return answer.value

    version = step("GetVersion", DeviceID=device_id)
    if version is None:
        return report
    if version.strip() in ("", "0"):
        report.steps[-1].ok, report.steps[-1].note = False, "оборудование с таким идентификатором не найдено (0)"
        return report
    report.steps[-1].note = f"формат {version}"
    if step("GetSettings", DeviceID=device_id) is None:
        return report

    if full:
        transfer_id = step("PrepareFullPriceList", DeviceID=device_id, FullPriceList="true")
    else:
        transfer_id = step("PreparePriceList", DeviceID=device_id)
    if transfer_id is None:
        return report
    polls = 0
    while True:
        text = step("GetPriceListPackage", DeviceID=device_id, TransferID=transfer_id, Restart="false")
        if text is None:
            return report
        root = document(text)
        formed = (_local(root, "IsFormed") or [None])[0]
        if formed is None or (formed.text or "").strip() != "true":
            polls += 1
            report.steps[-1].note = "пакет еще не сформирован"
            if polls > max_polls:
                report.steps[-1].ok = False
                report.steps[-1].note = f"прайс-лист не сформирован после {max_polls} опросов"
                return report
            time.sleep(poll_seconds)
            continue
        polls = 0
        number, total = int(root.get("PackageNumber", "1")), int(root.get("PackageTotal", "1"))
        report.packages += 1
        report.goods += len(_local(root, "Good"))
        report.steps[-1].note = f"пакет {number} из {total}"
        if keep:
            report.packages_received.append((number, text))
        if on_package:
            on_package(number, total)
        if number >= total:
            break

    orders = step("GetDocs", DeviceID=device_id, DocType="Order")
    if orders is None:
        return report
    if orders.strip():
        report.orders = len(_local(document(orders), "Order"))
    if keep:
        report.orders_received = orders
    if post is not None:
        answer = step("PostDocs", DeviceID=device_id, DocType="SaleReports", Document=post.decode("utf-8"))
        if answer is None:
            return report
        root = document(answer)
        success = ((_local(root, "IsSuccess") or [None])[0])
        description = ((_local(root, "Description") or [None])[0])
        report.posted = description.text if description is not None else ""
        if success is None or success.text != "true":
            report.steps[-1].ok = False
        report.steps[-1].note = report.posted[:300]
    return report
