"""Review: case views and decisions, the search blocklist, review-chat posts, appeals, copies
of case posts, the user outbox.
"""
