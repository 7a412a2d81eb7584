"""Which goods of a device's rule its exchange format cannot carry (PROTOCOL §5.1): VAT 22 % below 3.3,
VAT 5/7 in 3.0 and 3.2, marked goods in 3.0. They are held back from its lists, never sent as a value
outside its schema; this selector names them for the device's page, with the way out (format 3.3)."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from offline_exchange.format.versions import NEWEST_FORMAT, get_format, held_back_text, refusal, switch_advice
from offline_exchange.models import OfflineDevice
from offline_exchange.services.rules import rule_items
from retail.models import VatRate

SHOWN = 50


@dataclass
class HeldBack:
    format_label: str
    count: int = 0
    goods: list[tuple[int, str, str]] = field(default_factory=list)  # (item id, name, reason), at most SHOWN
    text: str = ""  # the journal's words for them, with the advice
    advice: str = ""
    can_switch: bool = False  # the device is not on 3.3, which carries them all

    @property
    def more(self) -> int:
        return self.count - len(self.goods)


def device_held_back(*, device: OfflineDevice, shown: int = SHOWN) -> HeldBack:
    """The goods of the device's rule that its format holds back, by name, with the reason each."""
    fmt = get_format(device.format_version)
    outside = [rate for rate in VatRate.values if rate not in fmt.tax_rates]
    condition = Q(vat_rate__in=outside) if outside else Q(pk__in=[])
    if not fmt.marking:
        condition |= Q(marking_kind__isnull=False)
    candidates = rule_items(rule=device.rule).filter(condition).order_by("name", "pk")
    found = HeldBack(format_label=fmt.label, count=candidates.count())
    if not found.count:
        return found
    for pk, name, rate, marking in candidates.values_list("pk", "name", "vat_rate", "marking_kind")[:shown]:
        found.goods.append((pk, name, refusal(fmt, tax_rate=rate or VatRate.NONE, marked=marking is not None)))
    found.text = held_back_text(fmt, [(name, reason) for _pk, name, reason in found.goods], shown=shown,
                                total=found.count)
    found.advice = switch_advice(fmt)
    found.can_switch = fmt.code != NEWEST_FORMAT
    return found
