"""ORM models, one module per aggregate. Importing this package registers them all."""

from tableside.models.audit import AuditEntry
from tableside.models.auth import ActionToken, ActionTokenPurpose, ApiKey, AuthSession, RefreshToken
from tableside.models.business import Business, BusinessType, Location, LocationType
from tableside.models.customer import Customer
from tableside.models.forecast import (
    Forecast,
    ForecastGranularity,
    ForecastRun,
    ForecastRunStatus,
    ForecastScope,
    ForecastSeries,
    ForecastTarget,
)
from tableside.models.idempotency import IdempotencyRecord
from tableside.models.job import Job, JobStatus
from tableside.models.kitchen import KitchenTicket, TicketPriority, TicketStatus
from tableside.models.ledger import (
    NO_KEY,
    DailyItemRollup,
    DailyItemTotal,
    DailySignal,
    HourlyRollup,
    LedgerBatch,
    LedgerLine,
)
from tableside.models.ledger_upload import LedgerUpload
from tableside.models.menu import MenuCategory, MenuItem
from tableside.models.order import (
    Order,
    OrderCounter,
    OrderItem,
    OrderItemStatus,
    OrderStatus,
    OrderType,
)
from tableside.models.sale import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    Sale,
    SaleLine,
    SaleSource,
    SaleStatus,
)
from tableside.models.table import DiningTable, TableStatus
from tableside.models.user import Invitation, KitchenProfile, Role, User

__all__ = [
    "NO_KEY",
    "ActionToken",
    "ActionTokenPurpose",
    "ApiKey",
    "AuditEntry",
    "AuthSession",
    "Business",
    "BusinessType",
    "Customer",
    "DailyItemRollup",
    "DailyItemTotal",
    "DailySignal",
    "DiningTable",
    "Forecast",
    "ForecastGranularity",
    "ForecastRun",
    "ForecastRunStatus",
    "ForecastScope",
    "ForecastSeries",
    "ForecastTarget",
    "HourlyRollup",
    "IdempotencyRecord",
    "Invitation",
    "Job",
    "JobStatus",
    "KitchenProfile",
    "KitchenTicket",
    "LedgerBatch",
    "LedgerLine",
    "LedgerUpload",
    "Location",
    "LocationType",
    "MenuCategory",
    "MenuItem",
    "Order",
    "OrderCounter",
    "OrderItem",
    "OrderItemStatus",
    "OrderStatus",
    "OrderType",
    "Payment",
    "PaymentMethod",
    "PaymentStatus",
    "RefreshToken",
    "Refund",
    "Role",
    "Sale",
    "SaleLine",
    "SaleSource",
    "SaleStatus",
    "TableStatus",
    "TicketPriority",
    "TicketStatus",
    "User",
]
