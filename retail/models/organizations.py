from django.db import models


class TaxationSystem(models.IntegerChoices):
    """Codes as the exchange format writes them (Settings/TaxationSystems)."""

    GENERAL = 0, "ОСН"
    SIMPLIFIED_INCOME = 1, "УСН (доходы)"
    SIMPLIFIED_INCOME_EXPENSE = 2, "УСН (доходы минус расходы)"
    UTII = 3, "ЕНВД"
    AGRICULTURAL = 4, "ЕСХН"
    PATENT = 5, "Патентная система"


class Organization(models.Model):
    name = models.CharField("Наименование", max_length=150)
    inn = models.CharField("ИНН", max_length=12, blank=True)
    kpp = models.CharField("КПП", max_length=9, blank=True)
    taxation_systems = models.JSONField(
        "Системы налогообложения", default=list, blank=True,
        help_text="Коды систем налогообложения, которые касса может применять.",
    )
    email = models.EmailField("Электронная почта для чеков", blank=True)
    number_prefix = models.CharField(
        "Префикс номеров", max_length=4, blank=True,
        help_text="Префикс номеров документов организации, например ТДРТ.",
    )

    class Meta:
        verbose_name = "Организация"
        verbose_name_plural = "Организации"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def taxation_system_codes(self) -> list[int]:
        return sorted({int(code) for code in self.taxation_systems or []})

    @property
    def keeps_vat_apart(self) -> bool:
        """A VAT payer (ОСН among its systems) deducts the input VAT, so its goods cost the sum without it."""
        return TaxationSystem.GENERAL in self.taxation_system_codes()


class Store(models.Model):
    name = models.CharField("Наименование", max_length=150)
    address = models.CharField("Адрес", max_length=500, blank=True)
    retail_price_type = models.ForeignKey(
        "retail.PriceType", verbose_name="Розничная цена", on_delete=models.PROTECT,
        null=True, blank=True, related_name="stores",
    )
    cash_withdrawal_after_upload = models.BooleanField(
        "Выемка из кассы ККМ после загрузки смены", default=True,
        help_text="Как в 1С: после загрузки смены с кассы создается и проводится «Выемка денежных средств из "
                  "кассы ККМ», которая переносит наличные смены в кассу магазина.",
    )
    # Staff bound to stores see and change only those stores' data; staff bound to none see none (retail.rights).
    staff = models.ManyToManyField(
        "auth.User", verbose_name="Сотрудники магазина", blank=True, related_name="stores",
        help_text="Сотрудники (не администраторы), которые видят в бэк-офисе кассы, оборудование, отчеты, "
                  "заказы, клиентов, остатки и журнал обмена только этого магазина. Сотрудник, не указанный "
                  "ни в одном магазине, данных магазинов не видит, если у него нет права «Все магазины».",
    )

    class Meta:
        verbose_name = "Магазин"
        verbose_name_plural = "Магазины"
        ordering = ["name"]
        # Head office: every store's data; without it staff see only the stores they are bound to (retail.rights).
        permissions = [("view_all_stores", "Все магазины")]

    def __str__(self) -> str:
        return self.name


class Warehouse(models.Model):
    name = models.CharField("Наименование", max_length=150)
    store = models.ForeignKey(
        Store, verbose_name="Магазин", on_delete=models.PROTECT, null=True, blank=True,
        related_name="warehouses",
    )

    class Meta:
        verbose_name = "Склад"
        verbose_name_plural = "Склады"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Counterparty(models.Model):
    name = models.CharField("Наименование", max_length=150)
    first_name = models.CharField("Имя", max_length=100, blank=True)
    last_name = models.CharField("Фамилия", max_length=100, blank=True)
    phone = models.CharField("Телефон", max_length=50, blank=True)
    email = models.EmailField("Электронная почта", blank=True)

    class Meta:
        verbose_name = "Контрагент"
        verbose_name_plural = "Контрагенты"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
