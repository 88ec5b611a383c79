# See crm/formats/__init__.py. Numbers and compact dates as in English; a date in a sentence
# or a fact as Chinese users write it (2026年12月6日), compact dates in tables and lists ISO
# (2026-12-06), as on Chinese forms and exports.
DATE_FORMAT = "Y年n月j日"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
