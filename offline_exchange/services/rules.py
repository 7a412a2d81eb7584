from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from offline_exchange.models import ExchangeRule, SkuCode
from retail.models import Item, ItemGroup


def rule_items(*, rule: ExchangeRule) -> QuerySet[Item]:
    """The goods an exchange rule selects (its filter is data: groups, kinds, explicit list)."""
    items = Item.objects.filter(deletion_mark=False)
    group_ids: set[int] = set()
    for group in rule.filter_groups.all():
        group_ids |= group.descendant_ids()
    if group_ids:
        items = items.filter(group_id__in=group_ids)
    if rule.filter_kinds:
        items = items.filter(kind__in=rule.filter_kinds)
    explicit = rule.filter_items.values_list("pk", flat=True)
    if explicit.exists():
        items = items.filter(pk__in=explicit)
    return items


def group_ancestors(group_ids: set[int]) -> list[ItemGroup]:
    """The groups and all their parents, parents first, so a device can build the tree."""
    by_id = {g.pk: g for g in ItemGroup.objects.all()}
    wanted: set[int] = set()
    for gid in group_ids:
        while gid and gid not in wanted and gid in by_id:
            wanted.add(gid)
            gid = by_id[gid].parent_id
    ordered: list[ItemGroup] = []
    placed: set[int] = set()

    def place(gid: int) -> None:
        if gid in placed:
            return
        parent = by_id[gid].parent_id
        if parent in wanted:
            place(parent)
        placed.add(gid)
        ordered.append(by_id[gid])

    for gid in sorted(wanted, key=lambda pk: by_id[pk].code):
        place(gid)
    return ordered


@dataclass(frozen=True)
class RuleGoodsCount:
    total: int
    without_sku: int

    def __str__(self) -> str:
        return f"Товаров по правилу: {self.total}, без SKU: {self.without_sku}"


def rule_goods_count(*, rule: ExchangeRule) -> RuleGoodsCount:
    """How many goods the rule selects, and how many of them a price list leaves out for want of the
    item's own SKU (the code of its base position, which every Good of the list is sent under)."""
    items = rule_items(rule=rule)
    coded = SkuCode.objects.filter(item=OuterRef("pk"), characteristic=None, pack=None)
    return RuleGoodsCount(total=items.count(), without_sku=items.exclude(Exists(coded)).count())
