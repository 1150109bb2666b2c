"""Merge a fresh .pot into a .po: keep translations, add new terms, drop old ones."""

import sys

import polib

# Odoo's standard field labels, filled in when a term has no translation yet.
COMMON_TERMS_NL = {
    "Active": "Actief",
    "Company": "Bedrijf",
    "Created by": "Aangemaakt door",
    "Created on": "Aangemaakt op",
    "Display Name": "Weergavenaam",
    "ID": "ID",
    "Last Updated by": "Laatst bijgewerkt door",
    "Last Updated on": "Laatst bijgewerkt op",
    "Name": "Naam",
    "Messages": "Berichten",
    "Followers": "Volgers",
    "Followers (Partners)": "Volgers (relaties)",
    "Is Follower": "Is volger",
    "Message Delivery error": "Bericht afleverfout",
    "Has Message": "Heeft bericht",
    "Number of Actions": "Aantal acties",
    "Number of errors": "Aantal fouten",
    "Number of messages requiring action": "Aantal berichten die actie vereisen",
    "Number of messages with delivery error": "Aantal berichten met leveringsfout",
    "Action Needed": "Actie gevraagd",
    "Attachment Count": "Aantal bijlagen",
    "Website Messages": "Websiteberichten",
    "Website communication history": "Website communicatie geschiedenis",
    "Activities": "Activiteiten",
    "Activity State": "Activiteitsfase",
    "Activity Exception Decoration": "Activiteit uitzondering decoratie",
    "Activity Type Icon": "Activiteitensoort icoon",
    "Next Activity Deadline": "Volgende activiteit deadline",
    "Next Activity Summary": "Volgende activiteit overzicht",
    "Next Activity Type": "Volgende activiteit type",
    "Responsible User": "Verantwoordelijke gebruiker",
    "My Activity Deadline": "Mijn activiteit deadline",
    "Has SMS error": "Heeft SMS fout",
    "Currency": "Valuta",
    "Status": "Status",
    "Date": "Datum",
    "Amount": "Bedrag",
    "Partner": "Relatie",
    "Journal": "Dagboek",
    "Message": "Bericht",
    "Reference": "Referentie",
    "Description": "Omschrijving",
    "Sequence": "Reeks",
    "Draft": "Concept",
    "Error": "Fout",
    "Done": "Gereed",
}

pot_path, po_path = sys.argv[1:3]
pot = polib.pofile(pot_path, wrapwidth=0)
try:
    old = {(e.msgctxt, e.msgid): e for e in polib.pofile(po_path)}
except OSError:
    old = {}
po = polib.POFile(wrapwidth=0)
po.header = pot.header
po.metadata = dict(
    pot.metadata, Language="nl", **{"Plural-Forms": "nplurals=2; plural=(n != 1);"}
)
for entry in pot:
    previous = old.get((entry.msgctxt, entry.msgid))
    entry.msgstr = (previous.msgstr if previous else "") or COMMON_TERMS_NL.get(
        entry.msgid, ""
    )
    po.append(entry)
po.save(po_path)
missing = [e.msgid for e in po if not e.msgstr]
print(f"{po_path}: {len(po)} terms, {len(missing)} without Dutch translation")
for msgid in missing:
    print(f"  - {msgid!r}")
