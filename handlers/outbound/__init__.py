"""What the bot sends on its own, outside any update: case and appeal posts, their edits and copies,
notifications (the delivery worker).
"""
