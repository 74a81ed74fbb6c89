"""Reports as filed, their cases and targets, guided reports in progress, and the people who talk
to the bot.
"""
