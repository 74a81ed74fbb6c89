"""The registry of confirmed violators: their metadata timeline, what the bot observes, imports and
retention.
"""
