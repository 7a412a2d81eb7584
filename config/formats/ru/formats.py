"""The formats of 1С:Розница's forms, for every page Django renders in Russian: 13.07.2020 16:31:53 and
1 306,84. Django's own ru formats spell dates out («13 июля 2020 г. 16:31») and drop seconds, which
a cashier comparing a check with the journal needs. common/ru.py holds the
separators that both read, so the admin's columns and the hand-made pages cannot disagree."""
from common.ru import DECIMAL_SEPARATOR, NUMBER_GROUPING, THOUSAND_SEPARATOR  # noqa: F401  (read by Django)

DATE_FORMAT = "d.m.Y"
TIME_FORMAT = "H:i:s"
DATETIME_FORMAT = "d.m.Y H:i:s"
YEAR_MONTH_FORMAT = "F Y г."
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i:s"
FIRST_DAY_OF_WEEK = 1  # Monday

# The first of each list is what inputs show (and so must parse back); the others are accepted too.
DATE_INPUT_FORMATS = [
    "%d.%m.%Y",  # 13.07.2020
    "%d.%m.%y",  # 13.07.20
    "%Y-%m-%d",  # 2020-07-13, as pasted from a file
]
TIME_INPUT_FORMATS = [
    "%H:%M:%S",  # 16:31:53
    "%H:%M:%S.%f",
    "%H:%M",  # 16:31
]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M:%S",  # 13.07.2020 16:31:53
    "%d.%m.%Y %H:%M:%S.%f",
    "%d.%m.%Y %H:%M",
    "%d.%m.%y %H:%M:%S",
    "%d.%m.%y %H:%M",
    "%Y-%m-%d %H:%M:%S",  # 2020-07-13 16:31:53
    "%Y-%m-%dT%H:%M:%S",  # as 1C writes it
    "%Y-%m-%d %H:%M",
]
