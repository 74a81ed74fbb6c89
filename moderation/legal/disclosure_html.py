"""The human-readable copy of a disclosure, an HTML page generated from its JSON.

It stays in the domain, unlike the chat's HTML (handlers/legal_views.py): it is a file, not a
Telegram message. `report-bot legal disclose` writes it next to the JSON and the bot sends it as
a document; it is made with the disclosure, from the same JSON, and names that JSON's SHA-256.
"""

from __future__ import annotations

import hashlib
import html
import json

from moderation.legal.form import country_name


def render_html(content: bytes) -> bytes:
    """The human-readable copy of a disclosure, generated from its JSON."""
    data = json.loads(content)
    req = data["request"]

    def esc(value: object) -> str:
        return html.escape(str(value))

    rows = (
        "\n".join(
            f"<tr><td>{esc(i['kind'])}</td><td>{esc(i['value'])}</td>"
            f"<td>{esc(i['observed_at'])}</td><td>{esc(i['source'])}</td></tr>"
            for i in data["items"]
        )
        or '<tr><td colspan="4">Nothing was observed within the period.</td></tr>'
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Disclosure for legal request #{esc(req["id"])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:4px 8px;text-align:left}}</style></head><body>
<h1>Disclosure for legal request #{esc(req["id"])}</h1>
<p>{esc(req["authority"])}, {esc(country_name(req["country"]))} ({esc(req["country"])}),
reference {esc(req["reference"])}, {esc(req["order_type"])} issued {esc(req["issued_on"])},
offence {esc(req["offence"])}.</p>
<p>Violator #{esc(data["violator_id"])}; period {esc(data["period"]["start"])} to
{esc(data["period"]["end"])}; disclosed {esc(data["disclosed_at"])}.</p>
<p>{esc(data["disclosed"])}.</p>
<table><tr><th>Kind</th><th>Value</th><th>Observed at (UTC)</th><th>Source</th></tr>
{rows}
</table>
<p>SHA-256 of the JSON disclosure: {hashlib.sha256(content).hexdigest()}</p>
</body></html>
"""
    return page.encode()
