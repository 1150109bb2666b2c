"""Write MT940 files: the demo data's sample file, and test and benchmark input."""

from datetime import date
from decimal import Decimal

DEFAULT_COUNTERPARTY = "NL02RABO0300065264"


def _amount(value):
    return (f"{value:.2f}").replace(".", ",")


def _wrap_86(text):
    """Cut an :86: text at 65 characters as banks do (tag included)."""
    line = ":86:" + text
    lines = [line[:65]]
    rest = line[65:]
    while rest:
        lines.append(rest[:65])
        rest = rest[65:]
    return lines


def build_mt940(
    transactions,
    account="NL91ABNA0417164300",
    opening=0.0,
    day=None,
    reference="P260101000000001",
    currency="EUR",
    header=True,
):
    """An ING-style MT940 file whose balances add up.

    ``transactions``: dicts with ``amount`` (negative for a debit), ``remi``
    and optionally ``eref``, ``iban``, ``name``, ``ref`` (bank reference) and
    ``date``.
    """
    day = day or date.today()
    lines = []
    if header:
        lines += ["0000 01INGBNL2AXXXX00001", "0000 01INGBNL2AXXXX00001", "940 00"]
    lines += [
        f":20:{reference}",
        f":25:{account}{currency}",
        ":28C:00001",
        ":60F:C{}{}{}".format(day.strftime("%y%m%d"), currency, _amount(opening)),
    ]
    balance = Decimal(str(opening))
    for index, tx in enumerate(transactions):
        amount = Decimal(str(tx["amount"]))
        balance += amount
        when = tx.get("date", day)
        lines.append(
            ":61:{}{}{}{}NTRFEREF//{}".format(
                when.strftime("%y%m%d"),
                when.strftime("%m%d"),
                "C" if amount > 0 else "D",
                _amount(abs(amount)),
                tx.get("ref", f"{index + 1:014d}"),
            )
        )
        lines.append("/TRCD/00100/")
        lines += _wrap_86(
            "/EREF/{}//CNTP/{}/RABONL2U/{}///REMI/USTD//{}/".format(
                tx.get("eref", "NOTPROVIDED"),
                tx.get("iban", DEFAULT_COUNTERPARTY),
                tx.get("name", "Klant BV"),
                tx["remi"],
            )
        )
    lines.append(
        ":62F:{}{}{}{}".format(
            "C" if balance >= 0 else "D",
            day.strftime("%y%m%d"),
            currency,
            _amount(abs(balance)),
        )
    )
    if header:
        lines.append("-XXX")
    return ("\n".join(lines) + "\n").encode()
