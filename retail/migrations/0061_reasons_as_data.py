"""The reasons a sales report is not posted become data (a code and its parameters) instead of Russian text.

The texts written so far are read here, once: each known form is parsed and accepted only if it renders back
to exactly the stored text; anything else is kept as {"code": "text", "text": ...}. The parsing and the
rendering below are frozen copies of what the code wrote at this migration (retail.services.reasons renders
from now on); nothing else ever reads a reason's text.
"""
import json
import re
from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations, models

NBSP = "\xa0"
MODELS = ["retailsalesreport", "historicalretailsalesreport"]

UNKNOWN_HEAD = "не найдены товары по кодам из чеков — "
UNKNOWN_TAIL = ". Сопоставьте коды с номенклатурой на странице отчета и перепроведите его из журнала"
NUMBER = rf"-?\d{{1,3}}(?:{NBSP}\d{{3}})*(?:,\d+)?"
UNKNOWN_PART = re.compile(
    rf"код «(?P<code>.*?)»(?: \(идентификатор товара (?P<uuid>[0-9a-f-]{{36}})\))?: строк (?P<lines>\d+), "
    rf"количество (?P<quantity>{NUMBER}), цена (?P<prices>{NUMBER}(?:, {NUMBER})*), сумма (?P<amount>{NUMBER})")
MORE = re.compile(r"; и еще (\d+) кодов$")
STOCK_HEAD = "недостаточно товара на складе (контроль остатков включен): "
STOCK_PART = re.compile(r"«(?P<item>.*?)» — не хватает (?P<missing>\d+(?:,\d+)?)")
FIXED = {
    "смена не закрыта (нет даты закрытия, статус смены «открыта»)": {"code": "shift_not_closed"},
    "не указан склад": {"code": "no_warehouse"},
    "документ не записан": {"code": "not_saved"},
}


# --- Numbers as the texts wrote them ---------------------------------------------------------------

def _formatted(value: Decimal, places: int) -> str:
    return format(value, f",.{places}f").translate({ord(","): NBSP, ord("."): ","})


def _money(text: str) -> str:
    return _formatted(Decimal(text).quantize(Decimal("0.01"), ROUND_HALF_UP), 2)


def _quantity(text: str) -> str:
    value = Decimal(text).quantize(Decimal("0.001"), ROUND_HALF_UP)
    return _formatted(value, len(f"{value:f}".partition(".")[2].rstrip("0")))


def _missing(text: str) -> str:
    return f"{Decimal(text).normalize():f}".replace(".", ",")


def _decimal(text: str) -> str:
    return f"{Decimal(text.replace(NBSP, '').replace(',', '.')):f}"


# --- Text → data ------------------------------------------------------------------------------------

def _unknown_codes(text: str) -> dict | None:
    if not (text.startswith(UNKNOWN_HEAD) and text.endswith(UNKNOWN_TAIL)):
        return None
    body = text[len(UNKNOWN_HEAD):-len(UNKNOWN_TAIL)]
    more = MORE.search(body)
    if more:
        body = body[:more.start()]
    codes, position = [], 0
    while True:
        part = UNKNOWN_PART.match(body, position)
        if part is None:
            return None
        codes.append({"code": "" if part["code"] == "(пусто)" else part["code"], "good_uuid": part["uuid"],
                      "lines": int(part["lines"]), "quantity": _decimal(part["quantity"]),
                      "prices": [_decimal(p) for p in part["prices"].split(", ")], "amount": _decimal(part["amount"])})
        position = part.end()
        if position == len(body):
            break
        if not body.startswith("; ", position):
            return None
        position += 2
    return {"code": "unknown_codes", "more": int(more.group(1)) if more else 0, "codes": codes}


def _not_enough_stock(text: str) -> dict | None:
    if not text.startswith(STOCK_HEAD):
        return None
    goods = [{"item": m["item"], "missing": _decimal(m["missing"])}
             for m in STOCK_PART.finditer(text[len(STOCK_HEAD):])]
    return {"code": "not_enough_stock", "goods": goods} if goods else None


def _listed(text: str, head: str, tail: str, code: str, key: str) -> dict | None:
    if not (text.startswith(head) and text.endswith(tail)) or len(text) <= len(head) + len(tail):
        return None
    return {"code": code, key: text[len(head):len(text) - len(tail)].split(", ")}


def reason_data(text: str) -> dict:
    if text in FIXED:
        return dict(FIXED[text])
    register = re.fullmatch(r"к оборудованию «(.*)» не подключена касса ККМ", text, re.S)
    found = (_unknown_codes(text) or _not_enough_stock(text)
             or _listed(text, "непонятная ставка НДС в чеке: ", " (взята ставка из карточки товара)",
                        "odd_vat_rates", "rates")
             or _listed(text, "не найден заказ покупателя ", "", "order_not_found", "orders")
             or _listed(text, "нулевое количество при ненулевой сумме в строках с кодами ", "", "zero_quantity",
                        "codes")
             or ({"code": "no_register", "device": register.group(1)} if register else None))
    if found and found["code"] == "zero_quantity":
        found["codes"] = ["" if code == "(пусто)" else code for code in found["codes"]]
    # Only a reading that gives back the very text is taken; the rest stays text.
    if found and reason_text(found) == text:
        return found
    return {"code": "text", "text": text}


# --- Data → text, as it was written ------------------------------------------------------------------

def reason_text(reason: dict) -> str:
    code = reason["code"]
    if code == "unknown_codes":
        parts = [f"код «{row['code'] or '(пусто)'}»"
                 + (f" (идентификатор товара {row['good_uuid']})" if row["good_uuid"] else "")
                 + f": строк {row['lines']}, количество {_quantity(row['quantity'])}, цена "
                 + ", ".join(_money(p) for p in row["prices"]) + f", сумма {_money(row['amount'])}"
                 for row in reason["codes"]]
        more = f"; и еще {reason['more']} кодов" if reason["more"] > 0 else ""
        return UNKNOWN_HEAD + "; ".join(parts) + more + UNKNOWN_TAIL
    if code == "not_enough_stock":
        return STOCK_HEAD + "; ".join(f"«{row['item']}» — не хватает {_missing(row['missing'])}"
                                      for row in reason["goods"])
    texts = {
        "odd_vat_rates": lambda: "непонятная ставка НДС в чеке: " + ", ".join(reason["rates"])
                                 + " (взята ставка из карточки товара)",
        "order_not_found": lambda: "не найден заказ покупателя " + ", ".join(reason["orders"]),
        "zero_quantity": lambda: "нулевое количество при ненулевой сумме в строках с кодами "
                                 + ", ".join(c or "(пусто)" for c in reason["codes"]),
        "no_register": lambda: f"к оборудованию «{reason['device']}» не подключена касса ККМ",
        "text": lambda: reason["text"],
    }
    if code in texts:
        return texts[code]()
    return next(text for text, fixed in FIXED.items() if fixed["code"] == code)


# --- The conversion both ways --------------------------------------------------------------------------

def _convert(apps, convert) -> None:
    for name in MODELS:
        model = apps.get_model("retail", name)
        pk = model._meta.pk.name
        changed = []
        for row in model.objects.only(pk, "not_posted_reasons").iterator(chunk_size=2000):
            row.not_posted_reasons = convert(row.not_posted_reasons)
            changed.append(row)
        model.objects.bulk_update(changed, ["not_posted_reasons"], batch_size=1000)


def texts_to_data(apps, schema_editor):
    # Still a text column here: it receives the JSON the next operation turns it into.
    _convert(apps, lambda text: json.dumps([reason_data(line) for line in (text or "").splitlines() if line.strip()]))


def data_to_texts(apps, schema_editor):
    _convert(apps, lambda text: "\n".join(reason_text(reason) for reason in json.loads(text or "[]")))


class Migration(migrations.Migration):

    dependencies = [
        ('retail', '0060_document_counter'),
    ]

    operations = [
        migrations.RunPython(texts_to_data, data_to_texts),
        migrations.AlterField(
            model_name='historicalretailsalesreport',
            name='not_posted_reasons',
            field=models.JSONField(blank=True, default=list, verbose_name='Причины, по которым документ не проведен'),
        ),
        migrations.AlterField(
            model_name='retailsalesreport',
            name='not_posted_reasons',
            field=models.JSONField(blank=True, default=list, verbose_name='Причины, по которым документ не проведен'),
        ),
    ]
