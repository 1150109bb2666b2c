# Plain Python, no ORM: reading MT940 files and finding invoice numbers in them.
from .mt940_dialect import Mt940Error, Statement, Transaction, parse
from .matching import InvoiceNumberFinder
