"""`uow.legal`: every legal table as one repository, the domain's `LegalRecords`."""

from __future__ import annotations

from storage.legal.disclosures import DisclosureRows
from storage.legal.rekeying import LegalRekeyRows
from storage.legal.requests import LegalRequestRows


class LegalRepository(LegalRequestRows, DisclosureRows, LegalRekeyRows):
    """One connection, shared by the rows of each concern."""
