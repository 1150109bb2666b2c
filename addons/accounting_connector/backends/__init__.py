"""Plain-Python clients for accounting packages (no ORM).

One class per package, registered in ``BACKENDS`` under the key stored in
``accounting.backend.backend_type``.
"""

from .base import (
    ORANGE,
    RED,
    TRANSIENT,
    AccountingBackend,
    BackendError,
    OfficeError,
    SupportError,
    TransientError,
    perform,
)
from .odoo_json2 import OdooJson2Backend

BACKENDS = {
    "odoo_json2": OdooJson2Backend,
}

__all__ = [
    "BACKENDS",
    "ORANGE",
    "RED",
    "TRANSIENT",
    "AccountingBackend",
    "BackendError",
    "OdooJson2Backend",
    "OfficeError",
    "SupportError",
    "TransientError",
    "perform",
]
