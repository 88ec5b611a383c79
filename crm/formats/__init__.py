"""The app's date and number formats per language (``FORMAT_MODULE_PATH``), in place of
Django's own: one date form everywhere, ISO 8601 (2026-11-01, unambiguous in every language
and as wide in every row), a 24-hour clock, and thousands grouped by three with a comma.

Templates name these formats, never a pattern: ``|date:"SHORT_DATE_FORMAT"`` (or ``|date``,
the same), ``|date:"SHORT_DATETIME_FORMAT"``; numbers go through ``intcomma``,
``floatformat:"2g"`` or the ``formatting`` library (``core/formatting.py``). Input formats
are Django's for the language (this module names none, so Django's apply)."""
