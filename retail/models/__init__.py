from retail.models.cash import STORE_CASH_DESK, CashWithdrawal, MoneyMovement
from retail.models.catalog import Barcode, Characteristic, Item, ItemGroup, Pack, Unit, VatRate
from retail.models.checks import Check, CheckLine, CheckMarkingCode, CheckPayment
from retail.models.numbering import DocumentCounter
from retail.models.orders import CustomerOrder, CustomerOrderLine, CustomerOrderPayment
from retail.models.organizations import Counterparty, Organization, Store, TaxationSystem, Warehouse
from retail.models.prices import Price, PriceType, StockBalance
from retail.models.returns import RetailReturnsReport, RetailReturnsReportLine, RetailReturnsReportPayment
from retail.models.sales_reports import (
    RetailSalesReport,
    SalesReportBankCreditPayment,
    SalesReportCardPayment,
    SalesReportCashMovement,
    SalesReportCheck,
    SalesReportExciseStamp,
    SalesReportGoodsLine,
    SalesReportReturnedLine,
    SalesReportReturnSource,
    SalesReportSettlement,
)
from retail.models.stock import (
    STOCK_DOCUMENTS,
    AccountingSettings,
    GoodsReceipt,
    GoodsReceiptLine,
    OpeningBalance,
    OpeningBalanceLine,
    PriceDocumentRow,
    PriceSetting,
    PriceSettingLine,
    StockCount,
    StockCountLine,
    StockMovement,
    StockTransfer,
    StockTransferLine,
    WriteOff,
    WriteOffLine,
)

__all__ = [
    "STOCK_DOCUMENTS", "STORE_CASH_DESK", "CashWithdrawal", "MoneyMovement", "SalesReportCheck",
    "SalesReportReturnSource", "AccountingSettings", "GoodsReceipt", "GoodsReceiptLine", "OpeningBalance",
    "OpeningBalanceLine", "PriceDocumentRow", "PriceSetting", "PriceSettingLine", "StockCount", "StockCountLine",
    "StockMovement", "StockTransfer", "StockTransferLine", "WriteOff", "WriteOffLine",
    "Check", "CheckLine", "CheckMarkingCode", "CheckPayment", "RetailReturnsReport", "RetailReturnsReportLine",
    "RetailReturnsReportPayment",
    "Barcode", "Characteristic", "Counterparty", "CustomerOrder", "CustomerOrderLine",
    "CustomerOrderPayment", "DocumentCounter", "Item", "ItemGroup", "Organization", "Pack", "Price", "PriceType",
    "RetailSalesReport", "SalesReportBankCreditPayment", "SalesReportCardPayment",
    "SalesReportCashMovement", "SalesReportExciseStamp", "SalesReportGoodsLine",
    "SalesReportReturnedLine", "SalesReportSettlement", "StockBalance", "Store", "TaxationSystem",
    "Unit", "VatRate", "Warehouse",
]
