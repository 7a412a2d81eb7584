"""The SKU register's admin list is searched the way a register shows the code: by its number."""
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db


def shown(browser, term) -> list[str]:
    html = browser.get(reverse("admin:offline_exchange_skucode_changelist"), {"q": term}).content.decode()
    return re.findall(r'<th class="[^"]*field-sku[^"]*"><a href="[^"]+">(\d+)</a></th>', html)


def test_sku_codes_are_found_by_number_with_or_without_leading_zeros_and_by_name():
    puzzle = f.ItemFactory(name="Пазл 1000", article="79052")
    f.SkuCodeFactory(number=42, item=puzzle)
    f.SkuCodeFactory(number=420, item=f.ItemFactory(name="Кукла"))
    f.SkuCodeFactory(number=7, item=f.ItemFactory(name="Мяч 42 см"))
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_skucode"))
    browser = Client()
    browser.force_login(viewer)
    assert shown(browser, "00042") == ["42"]
    f.SkuCodeFactory(number=100004, item=f.ItemFactory(name="Футболка"))
    assert shown(browser, "100004") == ["100004"]  # a code: no thousands separator
    assert sorted(shown(browser, "42")) == ["42", "7"]  # the number, and a name that has it
    assert shown(browser, "Пазл") == ["42"] and shown(browser, "79052") == ["42"]
    assert shown(browser, "нет такого") == []
