import uuid

from django.db import models


class VatRate(models.TextChoices):
    NONE = "none", "Без НДС"
    ZERO = "0", "0%"
    FIVE = "5", "5%"
    SEVEN = "7", "7%"
    TEN = "10", "10%"
    EIGHTEEN = "18", "18%"
    TWENTY = "20", "20%"
    TWENTY_TWO = "22", "22%"

    @classmethod
    def percent(cls, value: str):
        """The rate as a number for VAT arithmetic; None when there is no VAT."""
        from decimal import Decimal

        if not value or value == cls.NONE:
            return None
        return Decimal(value)


class Unit(models.Model):
    uuid = models.UUIDField("Идентификатор", default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("Наименование", max_length=50)
    okei_code = models.CharField("Код ОКЕИ", max_length=4)

    class Meta:
        verbose_name = "Единица измерения"
        verbose_name_plural = "Единицы измерения"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ItemGroup(models.Model):
    uuid = models.UUIDField("Идентификатор", default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField("Код", max_length=36, unique=True)
    name = models.CharField("Наименование", max_length=150)
    parent = models.ForeignKey(
        "self", verbose_name="Родитель", on_delete=models.PROTECT, null=True, blank=True,
        related_name="children",
    )

    class Meta:
        verbose_name = "Группа номенклатуры"
        verbose_name_plural = "Группы номенклатуры"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def descendant_ids(self) -> set[int]:
        """This group and every group below it (trees are shallow; one query per level)."""
        ids, level = {self.pk}, {self.pk}
        while level:
            level = set(ItemGroup.objects.filter(parent_id__in=level).values_list("pk", flat=True)) - ids
            ids |= level
        return ids


class Item(models.Model):
    class Kind(models.TextChoices):
        GOODS = "goods", "Товар"
        SERVICE = "service", "Услуга"

    class MarkingKind(models.IntegerChoices):
        # MarkedGoodTypeCode as 1C's 2026 package numbers and names the kinds (research/1c-2026.md): 3.3 sends
        # every code, 3.1/3.2 only 1-3 (the others go as IsMarked without a code, as 1C writes them), 3.0 none.
        FUR = 1, "Изделия из меха"
        TOBACCO = 2, "Табак"
        SHOES = 3, "Обувь"
        LIGHT_INDUSTRY = 4, "Товары легкой промышленности"
        TYRES = 5, "Шины"
        DAIRY = 6, "Молочная продукция"
        CAMERAS = 7, "Фотоаппараты"
        BICYCLES = 8, "Велосипеды"
        WHEELCHAIRS = 9, "Кресла-коляски"
        PERFUME = 10, "Духи"
        ALTERNATIVE_TOBACCO = 11, "Альтернативный табак"
        PACKED_WATER = 12, "Упакованная вода"
        ANTISEPTICS = 13, "Антисептики"
        SUPPLEMENTS = 14, "БАДы"
        NICOTINE = 15, "Никотиносодержащая продукция"
        BEER = 16, "Пиво"
        JUICE = 17, "Соковая продукция"
        NON_ALCOHOLIC_BEER = 18, "Безалкогольное пиво"
        SEAFOOD = 19, "Морепродукты"
        DRAUGHT_BEER = 20, "Разливное пиво"
        MEDICAL_DEVICES = 21, "Медицинские изделия"
        SOFT_DRINKS = 22, "Безалкогольные напитки"
        # Reserved in the 2026 package for kinds Честный знак adds later: selectable so a good of a new kind
        # can be sent to 3.3 registers before the back office learns its name.
        RESERVED_23 = 23, "Код 23 (резерв 1С)"
        RESERVED_24 = 24, "Код 24 (резерв 1С)"
        RESERVED_25 = 25, "Код 25 (резерв 1С)"
        RESERVED_26 = 26, "Код 26 (резерв 1С)"
        RESERVED_27 = 27, "Код 27 (резерв 1С)"
        RESERVED_28 = 28, "Код 28 (резерв 1С)"
        RESERVED_29 = 29, "Код 29 (резерв 1С)"
        RESERVED_30 = 30, "Код 30 (резерв 1С)"
        RESERVED_31 = 31, "Код 31 (резерв 1С)"
        RESERVED_32 = 32, "Код 32 (резерв 1С)"
        RESERVED_33 = 33, "Код 33 (резерв 1С)"
        RESERVED_34 = 34, "Код 34 (резерв 1С)"
        RESERVED_35 = 35, "Код 35 (резерв 1С)"
        RESERVED_36 = 36, "Код 36 (резерв 1С)"

    class CalculationSubject(models.IntegerChoices):
        # FFD tag 1212.
        GOODS = 1, "Товар"
        EXCISABLE = 2, "Подакцизный товар"
        WORK = 3, "Работа"
        SERVICE = 4, "Услуга"

    uuid = models.UUIDField("Идентификатор", default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("Наименование", max_length=250)
    article = models.CharField("Артикул", max_length=50, blank=True)
    description = models.CharField("Описание", max_length=500, blank=True)
    kind = models.CharField("Вид номенклатуры", max_length=10, choices=Kind.choices, default=Kind.GOODS)
    group = models.ForeignKey(
        ItemGroup, verbose_name="Группа", on_delete=models.PROTECT, null=True, blank=True,
        related_name="items",
    )
    base_unit = models.ForeignKey(Unit, verbose_name="Единица измерения", on_delete=models.PROTECT)
    vat_rate = models.CharField("Ставка НДС", max_length=5, choices=VatRate.choices, default=VatRate.NONE)
    is_weight = models.BooleanField("Весовой", default=False)
    marking_kind = models.PositiveSmallIntegerField(
        "Вид маркируемой продукции", choices=MarkingKind.choices, null=True, blank=True,
    )
    classification_code = models.CharField(
        "Код вида номенклатурной классификации", max_length=50, blank=True,
        help_text="Передается на кассы с форматом обмена 3.2 и выше.",
    )
    is_excisable = models.BooleanField("Подакцизный товар", default=False,
                                       help_text="Передается на кассы с форматом обмена 3.3.")
    calculation_subject = models.PositiveSmallIntegerField(
        "Признак предмета расчета", choices=CalculationSubject.choices, default=CalculationSubject.GOODS,
    )
    is_alcohol = models.BooleanField("Алкогольная продукция", default=False)
    alcohol_is_excisable = models.BooleanField("Маркируемый алкоголь", default=False)
    alcohol_kind_code = models.CharField("Код вида алкогольной продукции", max_length=10, blank=True)
    alcohol_volume = models.DecimalField("Емкость тары, л", max_digits=10, decimal_places=4, null=True, blank=True)
    alcohol_strength = models.DecimalField("Крепость, %", max_digits=6, decimal_places=2, null=True, blank=True)
    alcohol_vendor_inn = models.CharField("ИНН производителя", max_length=12, blank=True)
    alcohol_vendor_kpp = models.CharField("КПП производителя", max_length=9, blank=True)
    alcohol_is_draught = models.BooleanField("В розлив", default=False)
    deletion_mark = models.BooleanField("Пометка удаления", default=False)

    class Meta:
        verbose_name = "Номенклатура"
        verbose_name_plural = "Номенклатура"
        # Loading and saving files are rights of their own (IMPORT_EXPORT_*_PERMISSION_CODE).
        permissions = [("import_item", "Загрузка из файла"), ("export_item", "Выгрузка в файл")]
        ordering = ["name"]
        indexes = [models.Index(fields=["group"])]

    def __str__(self) -> str:
        return self.name


class Characteristic(models.Model):
    uuid = models.UUIDField("Идентификатор", default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(Item, verbose_name="Номенклатура", on_delete=models.CASCADE, related_name="characteristics")
    name = models.CharField("Наименование", max_length=150)

    class Meta:
        verbose_name = "Характеристика номенклатуры"
        verbose_name_plural = "Характеристики номенклатуры"
        # Loading and saving files are rights of their own (IMPORT_EXPORT_*_PERMISSION_CODE).
        permissions = [("import_characteristic", "Загрузка из файла"), ("export_characteristic", "Выгрузка в файл")]
        ordering = ["item_id", "name"]

    def __str__(self) -> str:
        return self.name


class Pack(models.Model):
    uuid = models.UUIDField("Идентификатор", default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(Item, verbose_name="Номенклатура", on_delete=models.CASCADE, related_name="packs")
    name = models.CharField("Наименование", max_length=150)
    coefficient = models.DecimalField("Коэффициент", max_digits=15, decimal_places=3)

    class Meta:
        verbose_name = "Упаковка"
        verbose_name_plural = "Упаковки"
        # Loading and saving files are rights of their own (IMPORT_EXPORT_*_PERMISSION_CODE).
        permissions = [("import_pack", "Загрузка из файла"), ("export_pack", "Выгрузка в файл")]
        ordering = ["item_id", "coefficient"]
        constraints = [
            models.CheckConstraint(condition=models.Q(coefficient__gt=0), name="pack_coefficient_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Barcode(models.Model):
    value = models.CharField("Штрихкод", max_length=200, unique=True)
    item = models.ForeignKey(Item, verbose_name="Номенклатура", on_delete=models.CASCADE, related_name="barcodes")
    characteristic = models.ForeignKey(
        Characteristic, verbose_name="Характеристика", on_delete=models.CASCADE, null=True, blank=True,
        related_name="barcodes",
    )
    pack = models.ForeignKey(
        Pack, verbose_name="Упаковка", on_delete=models.CASCADE, null=True, blank=True, related_name="barcodes",
    )
    barcode_type = models.CharField("Тип штрихкода", max_length=20, blank=True)

    class Meta:
        verbose_name = "Штрихкод"
        verbose_name_plural = "Штрихкоды"
        # Loading and saving files are rights of their own (IMPORT_EXPORT_*_PERMISSION_CODE).
        permissions = [("import_barcode", "Загрузка из файла"), ("export_barcode", "Выгрузка в файл")]
        ordering = ["value"]

    def __str__(self) -> str:
        return self.value

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.characteristic_id and self.characteristic.item_id != self.item_id:
            raise ValidationError({"characteristic": "Характеристика не относится к этой номенклатуре."})
        if self.pack_id and self.pack.item_id != self.item_id:
            raise ValidationError({"pack": "Упаковка не относится к этой номенклатуре."})
