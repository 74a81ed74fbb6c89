"""Review: case views and decisions, review-chat posts, appeals, copies of case posts, the user
outbox.
"""
