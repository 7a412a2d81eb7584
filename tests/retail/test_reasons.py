"""The reasons a document stays unposted are data, and their Russian is written in one place: each reason the
code gives reads exactly as the text it stored before (the texts of tests/retail/test_reasons_migration.py)."""
import json
import uuid
from decimal import Decimal as D

from retail.services.reasons import (
    NO_WAREHOUSE,
    NOT_SAVED,
    SHIFT_NOT_CLOSED,
    no_register_reason,
    not_enough_stock_reason,
    odd_vat_rates_reason,
    order_not_found_reason,
    reason_short,
    reason_text,
    unknown_codes_reason,
    zero_quantity_reason,
)
from tests.retail.test_reasons_migration import (
    MANY_UNKNOWN,
    NEW_HINT,
    NO_REGISTER,
    OLD_HINT,
    OPEN,
    ORDERS,
    RATES,
    STOCK,
    UNKNOWN,
    ZERO,
)

REASONS = [
    (unknown_codes_reason([("00005", uuid.UUID("c0a80101-0005-4e5f-a1b2-0000000000a5"), 1, D("1"), D("749.00"),
                            {D("749.00")}),
                           ("", None, 2, D("-1.500"), D("1306.84"), {D("1256.84"), D("50.00")})]), UNKNOWN),
    (unknown_codes_reason([(f"{n:05d}", None, 1, D("1234.5"), D("12345.00"), {D("10.00")}) for n in range(1, 24)]),
     MANY_UNKNOWN),
    (odd_vat_rates_reason({"7", "13"}), RATES),
    (order_not_found_reason({uuid.UUID("5f1e2d3c-4b5a-4968-8776-655443322110"),
                             uuid.UUID("0b6c2f4e-1d2a-4c1e-9f7b-2a1c3d4e5f60")}), ORDERS),
    (zero_quantity_reason(["00003", ""]), ZERO),
    ({"code": SHIFT_NOT_CLOSED}, OPEN),
    (no_register_reason("Касса (зал) №1"), NO_REGISTER),
    (not_enough_stock_reason([("Мяч резиновый 15 см", D("2")), ("Сок; яблочный «Сад»", D("1.5")), ("Гиря", D("10"))]),
     STOCK),
    ({"code": NO_WAREHOUSE}, "не указан склад"),
    ({"code": NOT_SAVED}, "документ не записан"),
    ({"code": "text", "text": "причина, записанная прежней версией"}, "причина, записанная прежней версией"),
]


def test_every_reason_reads_as_the_code_wrote_it_before_and_is_stored_as_plain_json():
    for reason, text in REASONS:
        assert reason_text(reason) == text.replace(OLD_HINT, NEW_HINT)
        assert json.loads(json.dumps(reason)) == reason


def test_the_banner_says_each_reason_in_a_few_words():
    assert [reason_short(reason, unknown_codes=23) for reason, _text in REASONS] == [
        "23 кода не найдены", "23 кода не найдены", "непонятная ставка НДС в чеке: 13, 7", ORDERS, ZERO,
        "смена не закрыта", NO_REGISTER, "недостаточно товара на складе", "не указан склад", "документ не записан",
        "причина, записанная прежней версией"]
    unknown = REASONS[0][0]
    assert [reason_short(unknown, unknown_codes=n) for n in (0, 1, 5, 11, 21)] == [
        "1 код не найден", "1 код не найден", "5 кодов не найдены", "11 кодов не найдены", "21 код не найден"]
