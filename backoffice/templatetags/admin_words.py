"""Titles and columns of every admin page the way 1C shows its forms: «Касса ККМ (создание)»,
«Касса 1 (Касса ККМ)», a list titled «Кассы ККМ», numbers aligned right."""
import html
import re
from dataclasses import dataclass

from django import template
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext

register = template.Library()


@dataclass(frozen=True)
class Title:
    text: str
    # The object is in the title: no second heading repeats it.
    replaced: bool


@register.simple_tag(takes_context=True)
def form_title(context) -> Title:
    """Django titles a form «Добавить касса ККМ» / «Изменить касса ККМ» (wrong case, the model's name in
    the middle of a sentence); 1C titles it by what it is. A title an admin set itself is kept."""
    title, opts = context.get("title") or "", context.get("opts")
    if opts is None:
        return Title(title, False)
    name = capfirst(opts.verbose_name)
    if context.get("add") and title == gettext("Add %s") % opts.verbose_name:
        return Title(f"{name} (создание)", True)
    original = context.get("original")
    if original is not None and title in (gettext("Change %s") % opts.verbose_name,
                                          gettext("View %s") % opts.verbose_name):
        return Title(f"{original} ({name})", True)
    return Title(title, False)


@register.simple_tag(takes_context=True)
def list_title(context) -> str:
    """«Выберите касса ККМ для изменения» becomes «Кассы ККМ»; a title an admin set itself is kept."""
    title, cl = context.get("title") or "", context.get("cl")
    if cl is not None and title == cl.title:
        return capfirst(cl.opts.verbose_name_plural)
    return title


# 1 306,84 · -5 · 20% · 0,000 (a number as the format module prints it; «—» is an empty value)
NUMBER = re.compile(r"[-−]?\d{1,3}(?:[\xa0 \u202f]\d{3})*(?:,\d+)?\s?%?|[-−]?\d+(?:,\d+)?\s?%?")
EMPTY = {"", "-", "—"}


def _text(cell) -> str:
    return html.unescape(strip_tags(str(cell))).strip()


@register.simple_tag
def numeric_columns(results) -> set[int]:
    """The columns of a change list whose every filled cell is a number (money, quantity, a count):
    those align right, as in 1C, so that the digits of a column line up."""
    numeric, seen = None, set()
    for row in results:
        cells = list(row)
        candidates = set()
        for index, cell in enumerate(cells):
            text = _text(cell)
            if text in EMPTY:
                candidates.add(index)
                continue
            if 'class="action-checkbox"' not in str(cell) and NUMBER.fullmatch(text):
                candidates.add(index)
                seen.add(index)
        numeric = candidates if numeric is None else numeric & candidates
    return (numeric or set()) & seen


_OPENING = re.compile(r"^\s*<t[hd]\b[^>]*>")


@register.filter
def with_class(markup, css_class: str):
    """Adds a class to a cell (<td …>/<th …>) or to a header's ` class="…"` attribute."""
    text = str(markup)
    if not text.strip():
        return mark_safe(f' class="{css_class}"')
    opening = _OPENING.match(text)
    if opening is None:
        if ' class="' in text:  # a header's attribute string
            return mark_safe(text.replace(' class="', f' class="{css_class} ', 1))
        return markup
    tag = opening.group(0)
    if ' class="' in tag:
        tag = tag.replace(' class="', f' class="{css_class} ', 1)
    else:
        tag = tag[:-1].rstrip() + f' class="{css_class}">'
    return mark_safe(tag + text[opening.end():])


@register.filter
def field_label(name: str, opts) -> str:
    """A field's Russian name from its identifier (simple-history lists changes by identifier)."""
    try:
        return capfirst(opts.get_field(name).verbose_name)
    except Exception:  # a field removed since the change was recorded
        return name


@register.filter
def object_label(obj) -> str:
    """An object's name, or nothing when it has none but Django's «SalesReportGoodsLine object (21)»."""
    if obj is None:
        return ""
    text = str(obj)
    return "" if text == f"{type(obj).__name__} object ({obj.pk})" else text


def column_name_label(column: str, model) -> str:
    """The Russian name of a catalog file's column: the model field it loads (through the admin's
    import-export resources, whose columns may be named otherwise), or the column itself."""
    from django.contrib import admin
    from django.core.exceptions import FieldDoesNotExist

    attributes = [column]
    model_admin = admin.site._registry.get(model)
    for resource_class in getattr(model_admin, "resource_classes", None) or []:
        for field in resource_class().fields.values():
            if field.column_name == column and field.attribute:
                attributes.insert(0, field.attribute.split("__")[0])
    for attribute in attributes:
        try:
            return capfirst(model._meta.get_field(attribute).verbose_name)
        except FieldDoesNotExist:
            continue
    return column


@register.filter
def column_label(column: str, opts) -> str:
    return column_name_label(column, opts.model)


@register.simple_tag
def column_priorities(cl) -> dict[str, int]:
    """Which of a list's columns must stay in sight (1) and which give way first (higher numbers), by the
    column's name (static/retail/list_columns.js hides the lesser ones when the table does not fit). The
    admin's `list_priority` decides; its first column (the link) is a key column unless it says otherwise."""
    given = getattr(cl.model_admin, "list_priority", {})
    found = {"action_checkbox": 1}
    first = True
    for entry in cl.list_display:
        name = entry if isinstance(entry, str) else getattr(entry, "__name__", "")
        if name == "action_checkbox":
            continue
        found[name] = given.get(name, 1 if first else 2)
        first = False
    return found
