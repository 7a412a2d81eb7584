"""Отчет о розничных возвратах: a return of a check sold in another shift, booked as its own document, as
УТ 11.5 does. The sale day's report and revenue stay as they were; the stock comes back on the return's
date; the document names the shift it was made in and, when the upload names the sale, the sale's report."""
import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

MONEY = {"max_digits": 15, "decimal_places": 2, "default": 0}
QTY = {"max_digits": 15, "decimal_places": 3, "default": 0}


class RetailReturnsReport(models.Model):
    uuid = models.UUIDField("Идентификатор", default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("Номер", max_length=20, db_index=True)
    number_year = models.PositiveSmallIntegerField("Год нумерации", editable=False)
    number_seq = models.PositiveIntegerField("Порядковый номер", editable=False)
    date = models.DateTimeField("Дата")
    store = models.ForeignKey("retail.Store", verbose_name="Магазин", on_delete=models.PROTECT, null=True)
    cash_register = models.ForeignKey("offline_exchange.CashRegister", verbose_name="Касса ККМ",
                                      on_delete=models.PROTECT, null=True, related_name="returns_reports")
    device = models.ForeignKey("offline_exchange.OfflineDevice", verbose_name="Подключаемое оборудование",
                               on_delete=models.PROTECT, related_name="returns_reports")
    organization = models.ForeignKey("retail.Organization", verbose_name="Организация", on_delete=models.PROTECT,
                                     null=True)
    warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад", on_delete=models.PROTECT, null=True)
    # The shift the goods came back in, and (when the return names a check we hold) the shift they were sold in.
    shift_report = models.ForeignKey("retail.RetailSalesReport", verbose_name="Смена возврата (отчет о продажах)",
                                     on_delete=models.PROTECT, related_name="returns_reports")
    sale_report = models.ForeignKey("retail.RetailSalesReport", verbose_name="Смена продажи (отчет о продажах)",
                                    on_delete=models.SET_NULL, null=True, blank=True, related_name="returns_of_sales")
    check_uuid = models.UUIDField("Идентификатор чека возврата", null=True, blank=True)
    check_number = models.CharField("Номер чека возврата", max_length=50)
    sale_check_uuid = models.UUIDField("Идентификатор чека продажи", null=True, blank=True, db_index=True)
    sale_check_number = models.CharField("Номер чека продажи", max_length=50, blank=True)
    sale_date = models.DateTimeField("Дата продажи", null=True, blank=True)
    comment = models.CharField("Комментарий", max_length=500, blank=True)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="Ответственный", on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    total = models.DecimalField("Сумма возврата", **MONEY)
    vat_total = models.DecimalField("НДС в т.ч.", **MONEY)
    cash_total = models.DecimalField("Возвращено наличными", **MONEY)
    electronic_total = models.DecimalField("Возвращено электронно", **MONEY)
    posted = models.BooleanField("Проведен", default=False)
    # Reasons as data, as the sales report keeps them (`retail.services.reasons.reason_text` is their Russian).
    not_posted_reasons = models.JSONField("Причины, по которым документ не проведен", default=list, blank=True)
    journal_entry = models.ForeignKey("offline_exchange.ExchangeJournalEntry", verbose_name="Запись журнала обмена",
                                      on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField("Создан", auto_now_add=True)
    updated_at = models.DateTimeField("Изменен", auto_now=True)
    history = HistoricalRecords(verbose_name="История изменений отчета о возвратах")

    class Meta:
        verbose_name = "Отчет о розничных возвратах"
        verbose_name_plural = "Отчеты о розничных возвратах"
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["number", "number_year"], name="returns_report_unique_number_per_year"),
            # One document per return check: a re-sent shift finds and replaces it.
            models.UniqueConstraint(fields=["device", "check_uuid"], name="returns_report_unique_check",
                                    condition=models.Q(check_uuid__isnull=False)),
            models.UniqueConstraint(fields=["shift_report", "check_number"], name="returns_report_unique_check_number",
                                    condition=models.Q(check_uuid__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"Отчет о розничных возвратах {self.number} от {self.date:%d.%m.%Y %H:%M:%S}"


class RetailReturnsReportLine(models.Model):
    document = models.ForeignKey(RetailReturnsReport, verbose_name="Отчет о розничных возвратах",
                                 on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField("N")
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.PROTECT, null=True,
                             related_name="+")
    characteristic = models.ForeignKey("retail.Characteristic", verbose_name="Характеристика",
                                       on_delete=models.PROTECT, null=True, related_name="+")
    pack = models.ForeignKey("retail.Pack", verbose_name="Упаковка", on_delete=models.PROTECT, null=True,
                             related_name="+")
    sent_code = models.CharField("Код (как прислан)", max_length=36, blank=True)
    sent_good_uuid = models.UUIDField("Идентификатор товара (как прислан)", null=True, blank=True)
    quantity_packs = models.DecimalField("Количество упаковок", **QTY)
    quantity = models.DecimalField("Количество", **QTY)
    price = models.DecimalField("Цена", **MONEY)
    amount = models.DecimalField("Сумма", **MONEY)
    vat_rate = models.CharField("Ставка НДС", max_length=10, blank=True)
    vat_amount = models.DecimalField("Сумма НДС", **MONEY)

    class Meta:
        verbose_name = "Возвращенный товар"
        verbose_name_plural = "Возвращенные товары"
        ordering = ["line_number"]

    def __str__(self) -> str:
        return f"Возвращенный товар, строка {self.line_number}"


class RetailReturnsReportPayment(models.Model):
    document = models.ForeignKey(RetailReturnsReport, verbose_name="Отчет о розничных возвратах",
                                 on_delete=models.CASCADE, related_name="payments")
    line_number = models.PositiveIntegerField("N")
    payment_kind = models.ForeignKey("offline_exchange.PaymentKind", verbose_name="Вид оплаты",
                                     on_delete=models.PROTECT, null=True, related_name="+")
    option_code = models.CharField("Код вида электронной оплаты", max_length=36, blank=True)
    amount = models.DecimalField("Сумма", **MONEY)

    class Meta:
        verbose_name = "Возврат электронной оплаты"
        verbose_name_plural = "Возвраты электронных оплат"
        ordering = ["line_number"]

    def __str__(self) -> str:
        return f"Возврат электронной оплаты, строка {self.line_number}"
