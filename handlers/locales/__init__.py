"""One module per language, each a flat mapping of message key to HTML template."""
