"""Legal requests, their documents, votes and disclosures, the ledger and its checkpoints, the
transparency counts.
"""
