"""What the parser returns: statements with their balances and transactions."""

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import ClassVar


@dataclass
class Transaction:
    date: date
    amount: Decimal
    currency: str
    type_code: str = ""
    customer_reference: str = ""
    bank_reference: str = ""
    counterparty_account: str = ""
    counterparty_bic: str = ""
    counterparty_name: str = ""
    end_to_end_reference: str = ""
    remittance: str = ""
    details: str = ""
    import_id: str = ""

    @property
    def is_credit(self):
        return self.amount > 0

    def to_dict(self):
        values = asdict(self)
        values["date"] = self.date.isoformat()
        values["amount"] = str(self.amount)
        return values


@dataclass
class Statement:
    reference: str
    account: str
    currency: str
    number: str = ""
    opening_balance: Decimal = Decimal(0)
    opening_date: date = None
    closing_balance: Decimal = Decimal(0)
    closing_date: date = None
    info: str = ""
    transactions: list = field(default_factory=list)
    # Set when the file ended without the closing balance and it was computed.
    closing_missing: ClassVar[bool] = False

    @property
    def balance_difference(self):
        """Closing minus (opening + transactions); zero when the statement adds up."""
        total = sum((t.amount for t in self.transactions), Decimal(0))
        return self.closing_balance - self.opening_balance - total

    def to_dict(self):
        values = asdict(self)
        for key in ("opening_balance", "closing_balance"):
            values[key] = str(values[key])
        for key in ("opening_date", "closing_date"):
            values[key] = values[key] and values[key].isoformat()
        values["transactions"] = [t.to_dict() for t in self.transactions]
        return values
