"""Legal requests: the order's analysis, four-eyes approval, disclosure, the ledger and the
transparency report.
"""
