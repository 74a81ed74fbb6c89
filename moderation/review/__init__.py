"""Review: cases as moderators see and decide them, appeals, the posts and notices the delivery
worker owes.
"""
