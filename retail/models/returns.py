"""Отчет о розничных возвратах: a return of a check sold in another shift, booked as its own document, as
УТ 11.5 does. The sale day's report and revenue stay as they were; the stock comes back on the return's
date; the document names the shift it was made in and, when the upload names the sale, the sale's report."""
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from retail.models.shift_documents import MONEY, GoodsValues, NumberedLine, ShiftDocument


class RetailReturnsReport(ShiftDocument):
    cash_register = models.ForeignKey("offline_exchange.CashRegister", verbose_name="Касса ККМ",
                                      on_delete=models.PROTECT, null=True, related_name="returns_reports")
    device = models.ForeignKey("offline_exchange.OfflineDevice", verbose_name="Подключаемое оборудование",
                               on_delete=models.PROTECT, related_name="returns_reports")
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
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="Ответственный", on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    total = models.DecimalField("Сумма возврата", **MONEY)
    vat_total = models.DecimalField("НДС в т.ч.", **MONEY)
    cash_total = models.DecimalField("Возвращено наличными", **MONEY)
    electronic_total = models.DecimalField("Возвращено электронно", **MONEY)
    journal_entry = models.ForeignKey("offline_exchange.ExchangeJournalEntry", verbose_name="Запись журнала обмена",
                                      on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords(verbose_name="История изменений отчета о возвратах")

    class Meta(ShiftDocument.Meta):
        verbose_name = "Отчет о розничных возвратах"
        verbose_name_plural = "Отчеты о розничных возвратах"
        constraints = [
            models.UniqueConstraint(fields=["number", "number_year"], name="returns_report_unique_number_per_year"),
            # One document per return check: a re-sent shift finds and replaces it.
            models.UniqueConstraint(fields=["device", "check_uuid"], name="returns_report_unique_check",
                                    condition=models.Q(check_uuid__isnull=False)),
            models.UniqueConstraint(fields=["shift_report", "check_number"], name="returns_report_unique_check_number",
                                    condition=models.Q(check_uuid__isnull=True)),
        ]


class RetailReturnsReportLine(NumberedLine, GoodsValues):
    document = models.ForeignKey(RetailReturnsReport, verbose_name="Отчет о розничных возвратах",
                                 on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.PROTECT, null=True,
                             related_name="+")
    characteristic = models.ForeignKey("retail.Characteristic", verbose_name="Характеристика",
                                       on_delete=models.PROTECT, null=True, related_name="+")
    pack = models.ForeignKey("retail.Pack", verbose_name="Упаковка", on_delete=models.PROTECT, null=True,
                             related_name="+")

    class Meta(NumberedLine.Meta):
        verbose_name = "Возвращенный товар"
        verbose_name_plural = "Возвращенные товары"


class RetailReturnsReportPayment(NumberedLine):
    document = models.ForeignKey(RetailReturnsReport, verbose_name="Отчет о розничных возвратах",
                                 on_delete=models.CASCADE, related_name="payments")
    payment_kind = models.ForeignKey("offline_exchange.PaymentKind", verbose_name="Вид оплаты",
                                     on_delete=models.PROTECT, null=True, related_name="+")
    option_code = models.CharField("Код вида электронной оплаты", max_length=36, blank=True)
    amount = models.DecimalField("Сумма", **MONEY)

    class Meta(NumberedLine.Meta):
        verbose_name = "Возврат электронной оплаты"
        verbose_name_plural = "Возвраты электронных оплат"
