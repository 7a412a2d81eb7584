"""The 1C-style WSDL, generated from one table of operations.

spyne's own WSDL loses its portType when rebuilt and names things its own way; a 1C client
posts to the WSDL's soap:address and expects 1C's names, so we write the document ourselves.
"""
from __future__ import annotations

from functools import lru_cache

from lxml import etree

TNS = "http://www.1c.ru/EquipmentService"
TYPES_NS = "http://www.1c.ru/EquipmentService/1.0.0.6"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
XS = "http://www.w3.org/2001/XMLSchema"
ADDRESS_PLACEHOLDER = "urn:equipment-service-address"

# (operation, [(parameter, type)], return type); "StringID" lives in the 1.0.0.6 namespace.
OPERATIONS = [
    ("Connect", [("DeviceID", "StringID")], "xs:boolean"),
    ("GetDocs", [("DeviceID", "StringID"), ("DocType", "xs:string")], "xs:string"),
    ("GetDocTypes", [], "xs:string"),
    ("GetGood", [("DeviceID", "StringID"), ("Barcode", "xs:string")], "xs:string"),
    ("GetPriceList", [("DeviceID", "StringID")], "xs:string"),
    ("GetPriceListPackage", [("DeviceID", "StringID"), ("TransferID", "StringID"), ("Restart", "xs:boolean")], "xs:string"),
    ("GetSettings", [("DeviceID", "StringID")], "xs:string"),
    ("GetVersion", [("DeviceID", "StringID")], "xs:int"),
    ("PostDocs", [("DeviceID", "StringID"), ("DocType", "xs:string"), ("Document", "xs:string")], "xs:string"),
    ("PreparePriceList", [("DeviceID", "StringID")], "StringID"),
    ("PrepareFullPriceList", [("DeviceID", "StringID"), ("FullPriceList", "xs:boolean")], "StringID"),
]


def soap_action(operation: str) -> str:
    return f"{TNS}#EquipmentService:{operation}"


def _type(name: str) -> str:
    return "xs1:StringID" if name == "StringID" else name


@lru_cache(maxsize=1)
def _template() -> bytes:
    W = f"{{{WSDL}}}"
    root = etree.Element(W + "definitions", nsmap={
        None: WSDL, "soap12bind": SOAP12, "soapbind": SOAP11, "tns": TNS, "xsd": XS, "xsd1": TYPES_NS,
    }, attrib={"name": "EquipmentService", "targetNamespace": TNS})
    types = etree.SubElement(root, W + "types")
    xs = f"{{{XS}}}"
    ids = etree.SubElement(types, xs + "schema", nsmap={"xs": XS}, attrib={
        "targetNamespace": TYPES_NS, "elementFormDefault": "qualified", "attributeFormDefault": "unqualified"})
    string_id = etree.SubElement(ids, xs + "simpleType", name="StringID")
    restriction = etree.SubElement(string_id, xs + "restriction", base="xs:string")
    etree.SubElement(restriction, xs + "minLength", value="1")
    etree.SubElement(restriction, xs + "maxLength", value="36")

    schema = etree.SubElement(types, xs + "schema", nsmap={"xs": XS, "tns": TNS, "xs1": TYPES_NS}, attrib={
        "targetNamespace": TNS, "elementFormDefault": "qualified", "attributeFormDefault": "unqualified"})
    etree.SubElement(schema, xs + "import", namespace=TYPES_NS)
    for op, params, returns in OPERATIONS:
        request = etree.SubElement(schema, xs + "element", name=op)
        seq = etree.SubElement(etree.SubElement(request, xs + "complexType"), xs + "sequence")
        for pname, ptype in params:
            etree.SubElement(seq, xs + "element", name=pname, type=_type(ptype))
        response = etree.SubElement(schema, xs + "element", name=f"{op}Response")
        seq = etree.SubElement(etree.SubElement(response, xs + "complexType"), xs + "sequence")
        etree.SubElement(seq, xs + "element", name="return", type=_type(returns))

    for op, _params, _returns in OPERATIONS:
        for suffix, element in (("RequestMessage", op), ("ResponseMessage", f"{op}Response")):
            message = etree.SubElement(root, W + "message", name=f"{op}{suffix}")
            etree.SubElement(message, W + "part", name="parameters", element=f"tns:{element}")

    port_type = etree.SubElement(root, W + "portType", name="EquipmentServicePortType")
    for op, _params, _returns in OPERATIONS:
        operation = etree.SubElement(port_type, W + "operation", name=op)
        etree.SubElement(operation, W + "input", message=f"tns:{op}RequestMessage")
        etree.SubElement(operation, W + "output", message=f"tns:{op}ResponseMessage")

    for binding_name, ns in (("EquipmentServiceSoapBinding", SOAP11), ("EquipmentServiceSoap12Binding", SOAP12)):
        binding = etree.SubElement(root, W + "binding", name=binding_name, type="tns:EquipmentServicePortType")
        etree.SubElement(binding, f"{{{ns}}}binding", style="document", transport="http://schemas.xmlsoap.org/soap/http")
        for op, _params, _returns in OPERATIONS:
            operation = etree.SubElement(binding, W + "operation", name=op)
            etree.SubElement(operation, f"{{{ns}}}operation", style="document", soapAction=soap_action(op))
            for direction in ("input", "output"):
                etree.SubElement(etree.SubElement(operation, W + direction), f"{{{ns}}}body", use="literal")

    service = etree.SubElement(root, W + "service", name="EquipmentService")
    for port_name, binding_name, ns in (("EquipmentServiceSoap", "EquipmentServiceSoapBinding", SOAP11),
                                        ("EquipmentServiceSoap12", "EquipmentServiceSoap12Binding", SOAP12)):
        port = etree.SubElement(service, W + "port", name=port_name, binding=f"tns:{binding_name}")
        etree.SubElement(port, f"{{{ns}}}address", location=ADDRESS_PLACEHOLDER)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def wsdl_document(address: str) -> bytes:
    """The WSDL whose ports point at `address` (escaped for an XML attribute)."""
    escaped = (address.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")).encode("utf-8")
    return _template().replace(ADDRESS_PLACEHOLDER.encode(), escaped)
