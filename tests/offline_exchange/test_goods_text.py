"""The text writer of Goods (`GoodsTextWriter`, what the goods cache holds) against the tree builder: the same
calls through both writers give the same bytes, whatever the values hold, in every format version; and a
value XML cannot carry fails the list as lxml fails it."""
from decimal import Decimal

import pytest

from offline_exchange.format.builders import build_price_list, build_price_list_head, splice_goods
from offline_exchange.format.documents import AlcoholData, PriceListData
from offline_exchange.format.goods_text import GoodsTextWriter
from offline_exchange.format.versions import FORMATS, get_format
from offline_exchange.models import OfflineDevice
from offline_exchange.services.price_list import _DataWriter, price_list_goods_serialized
from offline_exchange.services.sku import sku_generate_for_items
from retail.models import Item
from tests import factories as f

# Every character an attribute escapes, and text around them.
HOSTILE = 'Печенье "Юбилейное" <к чаю> & Ко\tтаб\nстрока\rвозврат \'апостроф\''
UUID = "00000000-0000-0000-0000-00000000002a"


def goods(writer, fmt):
    """Goods of every shape the price list writes: a position with a characteristic and its pack, a pack
    position, a characteristic's pack position, a bare Good; alcohol, marking, weight, groups."""
    head = writer.item(
        name=HOSTILE, uuid=UUID, tax_rate="20", calculation_subject=4, unit_code="796", unit_uuid=UUID,
        article=HOSTILE, description=HOSTILE, is_weight=True, marked_type_code=3 if fmt.marking else None,
        classification_code=HOSTILE, is_excisable=True, group_code=HOSTILE, group_uuid=UUID,
        alcohol=AlcoholData(is_excisable=True, kind_code=HOSTILE, container_size=Decimal("0.750"),
                            strength=Decimal("12.50"), vendor_inn=HOSTILE, vendor_kpp=HOSTILE, is_draught=False),
    )
    plain = writer.item(
        name="Вода", uuid=UUID, tax_rate="10", calculation_subject=1, unit_code="", unit_uuid="", article="",
        description="", is_weight=False, marked_type_code=None, classification_code="", is_excisable=False,
        alcohol=None,
    )

    def pack(**fields):
        return writer.pack(code="100007", uuid=UUID, name=HOSTILE, units_per_pack=Decimal("0.300"), **fields)

    full_pack = pack(price=Decimal("1.50"), balance=Decimal("2.500"),
                     barcodes=writer.barcodes([(HOSTILE, HOSTILE), ("4600000000011", "")]))
    bare_pack = pack(price=None, balance=None, barcodes=writer.barcodes([]))
    return [
        writer.good(head, HOSTILE, code="00042", price=Decimal("9.99"), balance=Decimal("1.250"),
                    barcodes=writer.barcodes([(HOSTILE, "")]), characteristics=[
                        writer.characteristic(code="100005", uuid=UUID, name=HOSTILE, price=Decimal("0.00"),
                                              balance=Decimal("3.000"), barcodes=writer.barcodes([("1", "EAN13")]),
                                              packs=[full_pack, bare_pack]),
                        writer.characteristic(code="100006", uuid=UUID, name="M", barcodes=writer.barcodes([]),
                                              packs=[])]),
        writer.good(head, HOSTILE, packs=[full_pack]),
        writer.good(plain, "Вода, Упаковка", characteristics=[
            writer.characteristic(code="", uuid=UUID, name=HOSTILE, packs=[bare_pack])]),
        writer.good(plain, "Вода", code="100010", barcodes=writer.barcodes([])),
    ]


@pytest.mark.parametrize("code", sorted(FORMATS))
def test_the_text_writer_writes_what_the_tree_builder_writes(code):
    fmt = get_format(code)
    texts = goods(GoodsTextWriter(fmt), fmt)
    from_tree = build_price_list(PriceListData(full=True, goods=goods(_DataWriter(), fmt)), fmt)
    spliced = splice_goods(build_price_list_head(PriceListData(full=True), fmt), [text.encode() for text in texts])
    assert spliced == from_tree


@pytest.mark.django_db
def test_a_name_xml_cannot_carry_fails_the_goods_as_lxml_does():
    device = f.OfflineDeviceFactory()
    device = OfflineDevice.objects.select_related("rule__warehouse__store").get(pk=device.pk)
    item = f.ItemFactory(name="Товар\x01")
    sku_generate_for_items(item_ids=[item.pk])
    with pytest.raises(ValueError, match="XML compatible"):
        price_list_goods_serialized(device=device, ids=[item.pk])
    Item.objects.filter(pk=item.pk).update(name="Товар")
    assert 'Name="Товар"'.encode() in b"".join(price_list_goods_serialized(device=device, ids=[item.pk]))
