"""The streamed upload reader checks shifts against the XSDs shipped in offline_exchange/format/xsd/; the tests
validate against tests/reference/xsd/2026/ (1C's 2026 package). The two copies must be the same files, or the
reader would accept what the tests call invalid (or refuse what they call valid)."""
from pathlib import Path

import offline_exchange.format

SHIPPED = Path(offline_exchange.format.__file__).parent / "xsd"
REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "xsd" / "2026"


def test_the_readers_xsds_are_the_2026_reference_byte_for_byte():
    shipped = sorted(path.name for path in SHIPPED.glob("*.xsd"))
    assert shipped == sorted(path.name for path in REFERENCE.glob("*.xsd")) and shipped
    for name in shipped:
        assert (SHIPPED / name).read_bytes() == (REFERENCE / name).read_bytes(), name
