import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower, Now, Trim

SUPPORTED_FORMATS = {3000: "3.0", 3001: "3.1", 3002: "3.2", 3003: "3.3"}
# A weighed good's code is the scale's 5-digit product code (PROTOCOL §5.1).
WEIGHT_SKU_LIMIT = 99999
DEVICE_ID_MAX_LENGTH = 36


class ExchangeSettings(models.Model):
    """Администрирование → Обмен с подключаемым оборудованием: one row, like 1C's constants."""

    auto_generate_sku = models.BooleanField("Автоматически генерировать SKU", default=False)
    offline_exchange_enabled = models.BooleanField("Обмен с офлайн оборудованием", default=True)
    weight_sku_min = models.PositiveIntegerField("Диапазон SKU весовых товаров: с", default=1)
    weight_sku_max = models.PositiveIntegerField("Диапазон SKU весовых товаров: по", default=99999)
    silence_hours = models.PositiveIntegerField(
        "Нет связи с кассой: предупреждать через, ч", default=24,
        help_text="Касса, которая не обменивалась с сервером дольше этого срока, отмечается на странице "
                  "«Обмен с офлайн оборудованием» как «нет связи».",
    )

    class Meta:
        verbose_name = "Настройки обмена"
        verbose_name_plural = "Администрирование: настройки обмена"

    def __str__(self) -> str:
        return "Настройки обмена с подключаемым оборудованием"

    def clean(self) -> None:
        if self.weight_sku_min < 1 or self.weight_sku_min > self.weight_sku_max:
            raise ValidationError("Начало диапазона SKU весовых товаров должно быть не больше его конца.")
        if self.weight_sku_max > WEIGHT_SKU_LIMIT:
            raise ValidationError(f"SKU весового товара — код товара в весах, не больше {WEIGHT_SKU_LIMIT} "
                                  "(пять цифр).")

    @classmethod
    def load(cls) -> "ExchangeSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class ExchangeRule(models.Model):
    """Правило обмена с подключаемым оборудованием (type: offline equipment)."""

    name = models.CharField("Наименование", max_length=150)
    warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад", on_delete=models.PROTECT)
    export_groups = models.BooleanField("Выгружать группы товаров", default=True)
    filter_groups = models.ManyToManyField(
        "retail.ItemGroup", verbose_name="Отбор: группы", blank=True,
        help_text="Товары этих групп и их подгрупп. Пусто — все группы.",
    )
    filter_kinds = models.JSONField(
        "Отбор: виды номенклатуры", default=list, blank=True,
        help_text="Пусто — товары и услуги.",
    )
    filter_items = models.ManyToManyField(
        "retail.Item", verbose_name="Отбор: номенклатура", blank=True, related_name="+",
        help_text="Явный список номенклатуры. Пусто — без отбора по списку.",
    )
    updated_at = models.DateTimeField("Изменено", auto_now=True)
    # Raised by database triggers when the warehouse, the groups flag or the filter change (whatever
    # writes them): a device whose last list was built at another revision gets a full one next.
    revision = models.PositiveIntegerField("Версия отбора", default=0, editable=False)

    class Meta:
        verbose_name = "Правило обмена с подключаемым оборудованием"
        verbose_name_plural = "Правила обмена"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.warehouse_id:
            store = self.warehouse.store
            if store is None or store.retail_price_type_id is None:
                raise ValidationError({
                    "warehouse": "Для магазина склада необходимо заполнить реквизит Розничная цена "
                                 "(магазин склада должен быть указан и иметь вид розничной цены).",
                })


class OfflineDevice(models.Model):
    """Подключаемое оборудование of type «Офлайн оборудование» (handler «1С:ККМ Офлайн»)."""

    class ExchangeKind(models.TextChoices):
        WEB_SERVICE = "web", "Web-сервис"
        FILE = "file", "Файловый обмен"

    name = models.CharField("Наименование", max_length=150)
    organization = models.ForeignKey("retail.Organization", verbose_name="Организация", on_delete=models.PROTECT)
    workplace = models.CharField("Рабочее место", max_length=150, blank=True)
    rule = models.ForeignKey(ExchangeRule, verbose_name="Правило обмена", on_delete=models.PROTECT, related_name="devices")
    in_use = models.BooleanField("Используется", default=True)
    # 3.3, as 1C presets a new device (research/1c-2026.md): the only format with VAT 22 % and every marking kind.
    format_version = models.PositiveIntegerField(
        "Версия формата обмена", choices=[(code, label) for code, label in SUPPORTED_FORMATS.items()], default=3003,
        help_text="Ставку НДС 22% и маркируемую продукцию всех видов передает только формат 3.3; товары, которые "
                  "формат кассы не передает, на кассу не выгружаются.",
    )
    class GoodsShape(models.TextChoices):
        POSITIONS = "positions", "Товар на каждую позицию (как 1С:Розница 2.3, УТ 11, ERP)"
        NESTED = "nested", "Позиции внутри товара (как 1С:Розница 2.2)"

    goods_shape = models.CharField(
        "Форма выгрузки товаров", max_length=10, choices=GoodsShape.choices, default=GoodsShape.POSITIONS,
        help_text="Товар на каждую позицию (характеристика, упаковка) — как пишут текущие серверы 1С; "
                  "позиции внутри товара — для касс, настроенных на 1С:Розница 2.2.",
    )
    exchange_kind = models.CharField("Вид обмена", max_length=4, choices=ExchangeKind.choices, default=ExchangeKind.WEB_SERVICE)
    device_id = models.CharField(
        "Идентификатор устройства", max_length=64,
        help_text="Не более 36 символов. Рекомендуется заводской номер ККТ.",
    )
    allow_discounts = models.BooleanField("Разрешено использовать: Скидки", default=False)
    allow_payment_cards = models.BooleanField("Разрешено использовать: Платежные карты", default=True)
    items_per_package = models.PositiveIntegerField(
        "Количество элементов в пакете", default=1000, help_text="0 — весь прайс-лист одним пакетом.",
    )
    export_balances = models.BooleanField("Выгружать остатки", default=True)
    price_list_delivered_at = models.DateTimeField(
        "Прайс-лист передан", null=True, blank=True, editable=False,
        help_text="Пока прайс-лист ни разу не передан, следующая выгрузка будет полной.",
    )
    # A login syncs only the devices that list it; to any other login the device does not exist.
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="Пользователи синхронизации", blank=True,
        related_name="offline_devices",
        help_text="Пользователи, которым разрешен обмен с этим оборудованием. Рекомендуется отдельный "
                  "пользователь для каждой кассы; администраторам доступ не дается автоматически.",
    )
    # The change feed's position the device's last completed list covered (none: the next list is full),
    # the price day it was built for (prices dated after it are changes) and the rule it was built by.
    price_list_watermark = models.BigIntegerField("Позиция ленты изменений прайс-листа", null=True, blank=True,
                                                  editable=False)
    price_list_on = models.DateField("Цены прайс-листа на дату", null=True, blank=True, editable=False)
    price_list_rule_state = models.CharField("Состояние правила прайс-листа", max_length=40, blank=True, editable=False)
    # The feed's position the orders last sent covered (none: every open order of the register goes).
    orders_watermark = models.BigIntegerField("Позиция ленты изменений заказов", null=True, blank=True,
                                              editable=False)

    class Meta:
        verbose_name = "Подключаемое оборудование"
        verbose_name_plural = "Подключаемое оборудование"
        ordering = ["name"]
        permissions = [("sync_data", "Выполнение синхронизации данных")]
        constraints = [
            models.UniqueConstraint(Lower(Trim("device_id")), name="offline_device_unique_device_id_ci"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.device_id = (self.device_id or "").strip()
        if not self.device_id:
            raise ValidationError({"device_id": "Не заполнен идентификатор устройства."})
        if len(self.device_id) > DEVICE_ID_MAX_LENGTH:
            raise ValidationError({"device_id": f"Идентификатор устройства должен быть не длиннее {DEVICE_ID_MAX_LENGTH} символов."})
        clash = OfflineDevice.objects.annotate(key=Lower(Trim("device_id"))).filter(key=self.device_id.lower())
        if self.pk:
            clash = clash.exclude(pk=self.pk)
        if clash.exists():
            raise ValidationError({"device_id": f"Идентификатор устройства «{self.device_id}» уже используется другим оборудованием."})
        if self.format_version not in SUPPORTED_FORMATS:
            raise ValidationError({"format_version": "Эта версия формата обмена не поддерживается."})

    def validate_constraints(self, exclude=None) -> None:
        # clean() already says it in the admin's words; the constraint stays as the last guard.
        pass


class OrderDue(models.Model):
    """An order sent to a register that has not proven it received it: sent again with every GetDocs until
    the register uploads a sale of it (docs/exchange.md, «Заказы: доставка не менее одного раза»)."""

    device = models.ForeignKey(OfflineDevice, verbose_name="Оборудование", on_delete=models.CASCADE,
                               related_name="orders_due")
    order = models.ForeignKey("retail.CustomerOrder", verbose_name="Заказ", on_delete=models.CASCADE,
                              related_name="+")
    sends = models.PositiveIntegerField("Отправлен раз", default=0)
    last_sent_at = models.DateTimeField("Последняя отправка", null=True)

    class Meta:
        verbose_name = "Заказ, ожидающий подтверждения кассой"
        verbose_name_plural = "Заказы, ожидающие подтверждения кассой"
        constraints = [models.UniqueConstraint(fields=["device", "order"], name="order_due_unique")]


class PaymentKind(models.Model):
    """Виды оплаты: how a payment of the cash register is accounted for."""

    class Type(models.TextChoices):
        CASH = "cash", "Наличные"
        PAYMENT_CARD = "card", "Платежная карта"
        BANK_CREDIT = "credit", "Банковский кредит"

    uuid = models.UUIDField("Идентификатор", default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("Наименование", max_length=150)
    type = models.CharField("Тип оплаты", max_length=6, choices=Type.choices)
    # No format has an SBP payment type: SBP comes back as an electronic payment with the code of a kind the
    # register was given (research/1c-2026.md), so a kind says it is SBP and the reports show it apart.
    sbp = models.BooleanField(
        "СБП (Система быстрых платежей)", default=False,
        help_text="Оплаты этим видом — переводы по QR-коду СБП: в отчетах выручка по ним показывается отдельно "
                  "от платежных карт. Только для вида с типом «Платежная карта».",
    )
    bank = models.CharField("Банк", max_length=150, blank=True)
    commission_percent = models.DecimalField("Процент комиссии банка", max_digits=5, decimal_places=2, default=0)

    class Meta:
        verbose_name = "Вид оплаты"
        verbose_name_plural = "Виды оплат"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.sbp and self.type != self.Type.PAYMENT_CARD:
            raise ValidationError({"sbp": "Признак СБП ставится только виду оплаты с типом «Платежная карта»: "
                                          "касса передает оплату по СБП как электронную оплату."})

    @property
    def electronic_payment_type(self) -> int:
        """ElectronicPaymentType code of the format: 1 payment card, 2 bank credit."""
        return 2 if self.type == self.Type.BANK_CREDIT else 1


class CashRegister(models.Model):
    """Касса ККМ of type «ККМ офлайн», bound to one offline device."""

    class Kind(models.TextChoices):
        OFFLINE = "offline", "ККМ офлайн"

    name = models.CharField("Наименование", max_length=150)
    kind = models.CharField("Тип кассы", max_length=10, choices=Kind.choices, default=Kind.OFFLINE)
    organization = models.ForeignKey("retail.Organization", verbose_name="Организация", on_delete=models.PROTECT)
    store = models.ForeignKey("retail.Store", verbose_name="Магазин", on_delete=models.PROTECT)
    workplace = models.CharField("Рабочее место", max_length=150, blank=True)
    device = models.OneToOneField(
        OfflineDevice, verbose_name="Подключаемое оборудование", on_delete=models.PROTECT,
        related_name="cash_register",
        error_messages={"unique": "К этому подключаемому оборудованию уже привязана другая касса ККМ."},
    )
    default_electronic_payment_kind = models.ForeignKey(
        PaymentKind, verbose_name="Вид электронной оплаты по умолчанию", on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
        limit_choices_to={"type__in": [PaymentKind.Type.PAYMENT_CARD, PaymentKind.Type.BANK_CREDIT]},
    )

    class Meta:
        verbose_name = "Касса ККМ"
        verbose_name_plural = "Кассы ККМ"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The register sells for its device's organization from the store of its device's warehouse:
        a shift of another store or organization would post to the wrong books."""
        if not self.device_id:
            return
        device = self.device
        errors = {}
        if self.organization_id and self.organization_id != device.organization_id:
            errors["organization"] = (f"Организация кассы ККМ должна совпадать с организацией подключаемого "
                                      f"оборудования «{device}»: {device.organization}.")
        store = device.rule.warehouse.store if device.rule_id else None
        if self.store_id and store is not None and self.store_id != store.pk:
            errors["store"] = (f"Магазин кассы ККМ должен совпадать с магазином склада «{device.rule.warehouse}» "
                               f"правила обмена оборудования «{device}»: {store}.")
        if errors:
            raise ValidationError(errors)


class PaymentMapping(models.Model):
    """Соответствие видов оплаты: an electronic payment option code of the device → payment kind."""

    cash_register = models.ForeignKey(CashRegister, verbose_name="Касса ККМ", on_delete=models.CASCADE, related_name="payment_mappings")
    code = models.CharField("Код вида электронной оплаты", max_length=36)
    name = models.CharField("Наименование на кассе", max_length=150, blank=True)
    payment_kind = models.ForeignKey(
        PaymentKind, verbose_name="Вид оплаты", on_delete=models.PROTECT,
        limit_choices_to={"type__in": [PaymentKind.Type.PAYMENT_CARD, PaymentKind.Type.BANK_CREDIT]},
    )

    class Meta:
        verbose_name = "Соответствие вида оплаты"
        verbose_name_plural = "Соответствие видов оплаты"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["cash_register", "code"], name="payment_mapping_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} → {self.payment_kind}"


class SkuCode(models.Model):
    """Коды SKU: one number per position (item, characteristic, pack), global and unique."""

    number = models.PositiveIntegerField("SKU", unique=True)
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.CASCADE, related_name="sku_codes")
    characteristic = models.ForeignKey("retail.Characteristic", verbose_name="Характеристика", on_delete=models.CASCADE, null=True, blank=True)
    pack = models.ForeignKey("retail.Pack", verbose_name="Упаковка", on_delete=models.CASCADE, null=True, blank=True)
    # NULLs never collide in a unique index, so the position is spelled out as one key.
    position_key = models.CharField("Ключ позиции", max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = "Код SKU"
        verbose_name_plural = "Коды SKU"
        ordering = ["number"]

    def __str__(self) -> str:
        return str(self.number)

    @staticmethod
    def key_for(item_id: int, characteristic_id: int | None, pack_id: int | None) -> str:
        return f"{item_id}:{characteristic_id or ''}:{pack_id or ''}"


class ChangeFeedEntry(models.Model):
    """Лента изменений: one row per item (or order) whose data changed, appended by database triggers on
    every table a device's list is made of (created by migration 0011), whatever wrote the change. The
    id is the feed's ever-growing sequence; devices keep the position their last list covered. Readers
    de-duplicate: a repricing appends a row per item, never a row per item and device."""

    class Kind(models.IntegerChoices):
        ITEM = 1, "Номенклатура"
        ORDER = 2, "Заказ покупателя"
        VALUES = 3, "Цены и остатки"

    id = models.BigAutoField("ID", primary_key=True)
    kind = models.PositiveSmallIntegerField("Вид", choices=Kind.choices)
    object_id = models.BigIntegerField("Объект")
    # Which of the item's positions the change is about (PROTOCOL §5.2: an incremental list carries the
    # changed positions). NULL is "any": a row with both NULL is the whole item (its name, VAT rate, unit,
    # base price...); 0 is "none" (a barcode of the position without a characteristic is (0, 0)).
    scope_characteristic = models.BigIntegerField("Характеристика", null=True)
    scope_pack = models.BigIntegerField("Упаковка", null=True)
    created_at = models.DateTimeField("Время", db_default=Now())

    class Meta:
        verbose_name = "Изменение в ленте"
        verbose_name_plural = "Лента изменений"
        indexes = [
            # An item's last change (the goods cache's key) and the changes of a package's items.
            models.Index(fields=["kind", "object_id", "id"], name="change_feed_object"),
            models.Index(fields=["created_at"], name="change_feed_created"),
        ]


class ChangeFeedState(models.Model):
    """One row: how far the feed has been compacted. Rows up to `horizon` that some device might still
    have needed are gone, so a device whose position is below it gets a full list."""

    horizon = models.BigIntegerField("Граница ленты", default=0)
    compacted_at = models.DateTimeField("Сжата", null=True)

    class Meta:
        verbose_name = "Состояние ленты изменений"
        verbose_name_plural = "Состояние ленты изменений"


class Transfer(models.Model):
    """One price-list transfer to a device, cut into packages."""

    class State(models.TextChoices):
        BUILDING = "building", "Формируется"
        READY = "ready", "Сформирован"
        ERROR = "error", "Ошибка"

    id = models.UUIDField("ID", primary_key=True, default=uuid.uuid4, editable=False)
    device = models.ForeignKey(OfflineDevice, verbose_name="Оборудование", on_delete=models.CASCADE, related_name="transfers")
    full = models.BooleanField("Полная выгрузка", default=False)
    state = models.CharField("Состояние", max_length=8, choices=State.choices, default=State.BUILDING)
    error = models.TextField("Ошибка", blank=True)
    # Snapshotted when the transfer starts: the feed position, price day and rule state it covers; the
    # device's own move to them when its last package is handed out.
    feed_watermark = models.BigIntegerField("Отметка ленты изменений", default=0)
    price_day = models.DateField("День цен", null=True)
    rule_state = models.CharField("Состояние правила", max_length=40, blank=True)
    goods_count = models.PositiveIntegerField("Товаров", default=0)
    skipped_without_sku = models.PositiveIntegerField("Пропущено без SKU", default=0)
    left_out = models.TextField("Не переданы (формат обмена кассы их не передает)", blank=True)
    package_total = models.PositiveIntegerField("Пакетов", default=0)
    built_packages = models.PositiveIntegerField("Сформировано пакетов", default=0)
    # Touched after every package; a build whose heartbeat stops (the worker died) is declared failed.
    heartbeat_at = models.DateTimeField("Последний признак жизни построения", null=True, blank=True)
    created_at = models.DateTimeField("Создан", auto_now_add=True)
    completed_at = models.DateTimeField("Передан полностью", null=True, blank=True)

    class Meta:
        verbose_name = "Передача прайс-листа"
        verbose_name_plural = "Передачи прайс-листа"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        kind = "Полная выгрузка" if self.full else "Выгрузка изменений"
        return f"{kind} от {self.created_at:%d.%m.%Y %H:%M:%S} — {self.progress_text()}" if self.created_at \
            else kind

    def progress_text(self) -> str:
        """Where the transfer stands, in the words of the console: the admin list annotates
        `sent_packages`; a single transfer counts its own."""
        if self.completed_at is not None:
            return "передана полностью"
        if self.state == self.State.ERROR:
            return "ошибка формирования"
        sent = getattr(self, "sent_packages", None)
        if sent is None:
            sent = self.packages.filter(sent=True).count() if self.pk else 0
        if self.state == self.State.BUILDING:
            return f"формируется: сформировано пакетов {self.built_packages} из {self.package_total or '?'}"
        if sent:
            return f"передана частично: {sent} из {self.package_total} пакетов"
        return "сформирована, не передана"


class TransferPackage(models.Model):
    """A package is its document without the goods (`head`, with `<Goods/>` in their place) and the
    items whose Goods are spliced in from the goods cache when it is handed out."""

    transfer = models.ForeignKey(Transfer, verbose_name="Передача", on_delete=models.CASCADE, related_name="packages")
    number = models.PositiveIntegerField("Номер пакета")
    head = models.BinaryField("Документ без товаров")
    item_ids = models.BinaryField("Товары пакета", default=bytes)
    # Items of an incremental list of which only some positions changed, as JSON {item id: [[characteristic,
    # pack], ...]} (the feed's scopes): their Goods are built for those positions when the package is handed
    # out, not read from the cache (which holds all of an item's positions).
    positions = models.TextField("Измененные позиции", blank=True, default="")
    sent = models.BooleanField("Отправлен", default=False)

    class Meta:
        verbose_name = "Пакет прайс-листа"
        verbose_name_plural = "Пакеты прайс-листа"
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["transfer", "number"], name="transfer_package_unique_number")]


class GoodsCacheVariant(models.Model):
    """What a Good's bytes depend on besides its item: the format, the price type of the rule's store,
    the warehouse whose balances are exported (none when they are not), whether groups are and the goods'
    shape. Devices whose settings agree share one set of cached Goods."""

    # The five below spelled out, so that a device's variant is known without reading it.
    key = models.CharField("Ключ", max_length=64, primary_key=True, editable=False)
    format_version = models.PositiveIntegerField("Версия формата обмена")
    price_type = models.ForeignKey("retail.PriceType", verbose_name="Вид цены", on_delete=models.CASCADE, null=True,
                                   related_name="+")
    balance_warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад остатков", on_delete=models.CASCADE,
                                          null=True, related_name="+")
    export_groups = models.BooleanField("Выгружать группы товаров")
    goods_shape = models.CharField("Форма выгрузки товаров", max_length=10, default="positions")

    class Meta:
        verbose_name = "Вариант кэша товаров"
        verbose_name_plural = "Варианты кэша товаров"

    @staticmethod
    def key_for(format_version: int, price_type_id: int | None, balance_warehouse_id: int | None,
                export_groups: bool, goods_shape: str = "positions") -> str:
        return (f"{format_version}:{price_type_id or ''}:{balance_warehouse_id or ''}:{int(export_groups)}"
                f":{goods_shape[0]}")


class CachedGood(models.Model):
    """One item's Good element, serialized as it stands in a price list of its variant.

    Written when a price list needs it and the item has none, with slots for its positions' prices and
    balances (filled when a list is written); used while `seq` is still the item's last `ITEM` change in the
    feed (`ChangeFeedEntry`). `valid_until` is empty for such Goods (no price is written in them); a row
    with a day is used until that day."""

    # No foreign keys in the database (the ORM still deletes an item's rows with it): checking two of them
    # for every row written costs a first full list of 100,000 goods a second, and a row whose item is
    # gone is never read. The variant is indexed by the constraint and the index below.
    variant = models.ForeignKey(GoodsCacheVariant, verbose_name="Вариант", on_delete=models.CASCADE, related_name="goods", db_index=False,
                                db_constraint=False)
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.CASCADE, related_name="+",
                             db_constraint=False)
    content = models.BinaryField("Содержимое")
    valid_until = models.DateField("Действует до", null=True)
    seq = models.BigIntegerField("Номер в ленте", default=0)

    class Meta:
        verbose_name = "Товар в кэше прайс-листа"
        verbose_name_plural = "Кэш товаров прайс-листа"
        constraints = [models.UniqueConstraint(fields=["variant", "item"], name="cached_good_unique")]
        # Which items of a variant have a usable Good, answered from the index alone (a plan asks it of
        # the whole catalog) without reading the Goods themselves.
        indexes = [models.Index(fields=["variant", "item", "valid_until", "seq"], name="cached_good_usable_seq")]


class CachedGoodsBlock(models.Model):
    """The cached Goods of one package's items, joined in their order: a package whose items a block
    of its variant holds is served by reading one row instead of a row per Good.

    `key` names the item list (a hash of its packed ids), so registers whose packages hold the same
    items share the blocks. A block holds its Goods with prices and balances filled in. It is used while no
    item in `first_item`…`last_item` has a change in the feed above `seq` (the feed's position read before
    its Goods and their prices were), until `valid_until` (the first day one of its items' next dated
    prices comes into force), and forgotten a week after the last transfer that used it (a catalog whose
    package boundaries moved)."""

    variant = models.ForeignKey(GoodsCacheVariant, verbose_name="Вариант", on_delete=models.CASCADE, related_name="blocks", db_index=False,
                                db_constraint=False)
    key = models.CharField("Ключ", max_length=32)
    # A hash of `content`: app servers keep recently served blocks in memory by it (content-addressed,
    # so what they keep can never be stale; the row says which content is current).
    digest = models.CharField("Контрольная сумма", max_length=32)
    first_item_id = models.BigIntegerField("Первый товар")
    last_item_id = models.BigIntegerField("Последний товар")
    content = models.BinaryField("Содержимое")
    valid_until = models.DateField("Действует до", null=True)
    used_on = models.DateField("Использован")
    seq = models.BigIntegerField("Номер в ленте", default=0)

    class Meta:
        verbose_name = "Блок товаров в кэше прайс-листа"
        verbose_name_plural = "Блоки товаров в кэше прайс-листа"
        constraints = [models.UniqueConstraint(fields=["variant", "key"], name="cached_goods_block_unique")]
        indexes = [models.Index(fields=["first_item_id", "last_item_id"], name="cached_goods_block_items")]


# The service's operations as the journal names them to a store admin (the SOAP name stays in the data).
OPERATION_NAMES = {
    "WSDL": "Описание веб-сервиса (WSDL)",
    "GetVersion": "Проверка версии формата",
    "Connect": "Проверка подключения",
    "GetSettings": "Получение настроек",
    "GetPriceList": "Получение прайс-листа",
    "PreparePriceList": "Подготовка изменений прайс-листа",
    "PrepareFullPriceList": "Подготовка прайс-листа",
    "GetPriceListPackage": "Получение пакета прайс-листа",
    "GetGood": "Получение товара по штрихкоду",
    "GetDocs": "Получение заказов",
    "GetDocTypes": "Получение видов документов",
    "PostDocs": "Загрузка документов",
    "(неизвестна)": "Неизвестная операция",
}
# The DocType of an upload as the journal names it (the device's word stays in the entry).
DOC_TYPE_NAMES = {"SaleReports": "отчеты о продажах", "SalesReport": "отчеты о продажах",
                  "SaleReport": "отчеты о продажах", "Order": "заказы",
                  "AlcoholTareOpening": "вскрытия алкогольной тары", "PriceCheckerReport": "отчеты о ценниках"}


class ExchangeJournalEntry(models.Model):
    """Журнал обмена: every call of the service, with what came in and what went out."""

    class Status(models.TextChoices):
        # Written before a PostDocs document is processed, so an upload survives whatever happens next.
        RECEIVED = "received", "Принят, обрабатывается"
        OK = "ok", "Успешно"
        # Taken (the device was told «успешно»), but a report was saved without being posted: a task for the
        # store admin, shown as such in the journal.
        WARNING = "warning", "Предупреждение"
        REFUSED = "refused", "Отклонено сервером"
        FAULT = "fault", "Ошибка"
        DENIED = "denied", "Доступ запрещен"

    created_at = models.DateTimeField("Время", auto_now_add=True, db_index=True)
    device = models.ForeignKey(OfflineDevice, verbose_name="Оборудование", on_delete=models.SET_NULL, null=True, blank=True, related_name="journal")
    device_ref = models.CharField("Идентификатор устройства (как прислан)", max_length=100, blank=True)
    operation = models.CharField("Операция", max_length=40, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="Пользователь", on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField("Статус", max_length=8, choices=Status.choices, db_index=True)
    duration_ms = models.PositiveIntegerField("Длительность, мс", default=0)
    request_bytes = models.PositiveIntegerField("Размер запроса, байт", default=0)
    response_bytes = models.PositiveIntegerField("Размер ответа, байт", default=0)
    error = models.TextField("Текст ошибки", blank=True)
    note = models.TextField("Примечание", blank=True)
    transfer_id = models.UUIDField("Передача", null=True, blank=True)
    address = models.GenericIPAddressField("Адрес клиента", null=True, blank=True)
    user_agent = models.CharField("Клиент (User-Agent)", max_length=200, blank=True)
    # Refused calls without a valid login are counted in one entry per address, kind of refusal and hour
    # (see services/journal.py), with the logins (and, past the journal's caps, the addresses) tried.
    repeats = models.PositiveIntegerField("Повторов", default=1)
    last_at = models.DateTimeField("Последний повтор", null=True, blank=True)
    refusal = models.CharField("Вид отказа", max_length=16, blank=True)
    tried = models.JSONField("Опробовано", default=dict, blank=True)
    warning = models.TextField("Предупреждение", blank=True)
    doc_type = models.CharField("Тип документа", max_length=40, blank=True)
    document = models.BinaryField("Загруженный документ", null=True, blank=True)

    class Meta:
        verbose_name = "Запись журнала обмена"
        verbose_name_plural = "Журнал обмена"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%d.%m.%Y %H:%M:%S} {self.operation_text}"

    @property
    def operation_text(self) -> str:
        name = OPERATION_NAMES.get(self.operation, self.operation)
        if self.operation == "PostDocs" and self.doc_type:
            name += f" ({DOC_TYPE_NAMES.get(self.doc_type, self.doc_type)})"
        return name


class AuthFailure(models.Model):
    """A refused Basic login of the service; enough of them lock the login or the address out."""

    created_at = models.DateTimeField("Время", auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField("Адрес", null=True, blank=True)
    username = models.CharField("Пользователь (как прислан)", max_length=150, blank=True)

    class Meta:
        verbose_name = "Неудачный вход"
        verbose_name_plural = "Неудачные входы"
        indexes = [models.Index(fields=["ip", "created_at"]), models.Index(fields=["username", "created_at"])]


class KnownLoginAddress(models.Model):
    """A login that has signed in from this address: failures of others never lock it out there."""

    username = models.CharField("Пользователь", max_length=150)
    ip = models.GenericIPAddressField("Адрес")
    last_success_at = models.DateTimeField("Последний успешный вход")

    class Meta:
        verbose_name = "Известный адрес входа"
        verbose_name_plural = "Известные адреса входа"
        constraints = [models.UniqueConstraint(fields=["username", "ip"], name="known_login_address_unique")]


class UnknownConnection(models.Model):
    """A call the service refused because it did not know who was calling: an identifier no device has,
    a wrong login or password, a login not bound to the device or without the sync right, a lock-out.
    One row per identifier (or login and address) with a counter, so a phone that retries all day
    costs an UPDATE, never a row per call; no password is ever kept."""

    class Kind(models.TextChoices):
        UNKNOWN_DEVICE = "device", "Неизвестный идентификатор устройства"
        WRONG_PASSWORD = "password", "Неверный пользователь или пароль"
        NOT_BOUND = "unbound", "Пользователь не привязан к оборудованию"
        NO_RIGHT = "right", "Нет права «Выполнение синхронизации данных»"
        LOCKED_OUT = "lockout", "Вход закрыт после неудачных попыток"

    kind = models.CharField("Что случилось", max_length=8, choices=Kind.choices)
    # What the row is counted by: the identifier in lower case, or the login and the address.
    key = models.CharField(max_length=300)
    device_ref = models.CharField("Идентификатор устройства (как прислан)", max_length=100, blank=True)
    username = models.CharField("Пользователь (как прислан)", max_length=150, blank=True)
    address = models.CharField("Адрес клиента", max_length=45, blank=True)
    count = models.PositiveIntegerField("Попыток", default=1)
    first_at = models.DateTimeField("Первая попытка")
    last_at = models.DateTimeField("Последняя попытка", db_index=True)

    class Meta:
        verbose_name = "Неизвестное подключение"
        verbose_name_plural = "Неизвестные подключения"
        ordering = ["-last_at"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="unknown_connection_unique_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.device_ref or self.username}"


class ExchangeConsole(OfflineDevice):
    """«Обмен с офлайн оборудованием»: every device's exchange state on one page."""

    class Meta:
        proxy = True
        verbose_name = "Обмен с офлайн оборудованием"
        verbose_name_plural = "Обмен с офлайн оборудованием"


class DeviceCodeAlias(models.Model):
    """A code one register sends for a position of ours (a register set up before this base, or a code
    typed on it by hand). Kept per device, so mapping it never renumbers the SKU other registers use."""

    device = models.ForeignKey(OfflineDevice, verbose_name="Оборудование", on_delete=models.CASCADE,
                               related_name="code_aliases")
    code = models.CharField("Код на кассе", max_length=36)
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.CASCADE, related_name="+")
    characteristic = models.ForeignKey("retail.Characteristic", verbose_name="Характеристика",
                                       on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    pack = models.ForeignKey("retail.Pack", verbose_name="Упаковка", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    created_at = models.DateTimeField("Сопоставлен", auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="Кем сопоставлен", on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "Код товара кассы"
        verbose_name_plural = "Коды товаров касс"
        ordering = ["device", "code"]
        constraints = [models.UniqueConstraint(fields=["device", "code"], name="device_code_alias_unique")]

    def __str__(self) -> str:
        return f"{self.code} → {self.position_text()}"

    def position_text(self) -> str:
        parts = [str(self.item)]
        if self.characteristic_id:
            parts.append(str(self.characteristic))
        if self.pack_id:
            parts.append(str(self.pack))
        return ", ".join(parts)
