from .catalog import Barcode, Characteristic, Item, ItemGroup, Pack, Unit, VatRate
from .orders import CustomerOrder, CustomerOrderLine, CustomerOrderPayment
from .organizations import Counterparty, Organization, Store, TaxationSystem, Warehouse
from .prices import Price, PriceType, StockBalance
from .sales_reports import (
    RetailSalesReport,
    SalesReportBankCreditPayment,
    SalesReportCardPayment,
    SalesReportCashMovement,
    SalesReportExciseStamp,
    SalesReportGoodsLine,
    SalesReportReturnedLine,
    SalesReportSettlement,
)

__all__ = [
    "Barcode", "Characteristic", "Counterparty", "CustomerOrder", "CustomerOrderLine",
    "CustomerOrderPayment", "Item", "ItemGroup", "Organization", "Pack", "Price", "PriceType",
    "RetailSalesReport", "SalesReportBankCreditPayment", "SalesReportCardPayment",
    "SalesReportCashMovement", "SalesReportExciseStamp", "SalesReportGoodsLine",
    "SalesReportReturnedLine", "SalesReportSettlement", "StockBalance", "Store", "TaxationSystem",
    "Unit", "VatRate", "Warehouse",
]
