from .catalog import Barcode, Characteristic, Item, ItemGroup, Pack, Unit, VatRate
from .orders import CustomerOrder, CustomerOrderLine, CustomerOrderPayment
from .organizations import Counterparty, Organization, Store, TaxationSystem, Warehouse
from .prices import Price, PriceType, StockBalance
from .stock import (
    STOCK_DOCUMENTS, AccountingSettings, GoodsReceipt, GoodsReceiptLine, OpeningBalance, OpeningBalanceLine,
    PriceDocumentRow, PriceSetting, PriceSettingLine, StockCount, StockCountLine, StockMovement, StockTransfer,
    StockTransferLine, WriteOff, WriteOffLine,
)
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
    "STOCK_DOCUMENTS", "AccountingSettings", "GoodsReceipt", "GoodsReceiptLine", "OpeningBalance",
    "OpeningBalanceLine", "PriceDocumentRow", "PriceSetting", "PriceSettingLine", "StockCount", "StockCountLine",
    "StockMovement", "StockTransfer", "StockTransferLine", "WriteOff", "WriteOffLine",
    "Barcode", "Characteristic", "Counterparty", "CustomerOrder", "CustomerOrderLine",
    "CustomerOrderPayment", "Item", "ItemGroup", "Organization", "Pack", "Price", "PriceType",
    "RetailSalesReport", "SalesReportBankCreditPayment", "SalesReportCardPayment",
    "SalesReportCashMovement", "SalesReportExciseStamp", "SalesReportGoodsLine",
    "SalesReportReturnedLine", "SalesReportSettlement", "StockBalance", "Store", "TaxationSystem",
    "Unit", "VatRate", "Warehouse",
]
