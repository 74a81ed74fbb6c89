"""Telegram glue: parse an Update, call one domain function, render the answer."""
