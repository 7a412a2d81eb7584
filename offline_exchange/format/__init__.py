"""Exchange format documents of 1С:Офлайн оборудование, free of Django and of spyne.

Builders take plain dataclasses and return UTF-8 bytes; parsers go through `xmlsafe.parse_xml`.
The format version is always a parameter so 3.0/3.2/3.3 can be added as switches.
"""
