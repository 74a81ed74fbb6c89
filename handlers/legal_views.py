"""How legal requests look to legal officers: the request card, the list, the prompts."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.i18n import Catalog, Html
from moderation.legal.form import FIELDS, country_name
from moderation.legal.lookup import LookupResult
from moderation.legal.types import LegalRequest

MESSAGE_LIMIT = 4000  # Telegram's 4096, with room for the frame


@dataclass(frozen=True, slots=True)
class LegalViews:
    texts: Catalog
    language: str | None

    def t(self, key: str, **params: object) -> str:
        return self.texts.render(self.language, key, **params)

    def count(self, key: str, count: int) -> Html:
        """A plural text for `count` (e.g. "2 phone numbers"), to be set into another text."""
        return self.texts.count(self.language, key, count)

    def prompt(self, step: int) -> str:
        if step >= len(FIELDS):
            return self.t("legal.ask.document")
        return self.t(f"legal.ask.{FIELDS[step]}", step=step + 1, steps=len(FIELDS) + 1)

    def card(self, request: LegalRequest, approvals_needed: int) -> str:
        form = request.form
        checks = "\n".join(
            self.t(
                "legal.check.line",
                mark="✅" if check.passed else "❌",
                name=self.t(f"legal.check.{check.key.value}"),
                reason=check.reason,
            )
            for check in request.checks
        )
        lines = [
            self.t(
                "legal.card",
                id=request.id,
                state=self.t(f"legal.state.{request.state.value}"),
                authority=form.authority,
                country=form.country,
                country_name=country_name(form.country),
                reference=form.reference,
                order_type=self.t(f"legal.order.{form.order_type.value}"),
                issued_on=form.issued_on.isoformat(),
                offence=form.offence,
                target=form.target.shown(),
                period_start=form.period_start.isoformat(),
                period_end=form.period_end.isoformat(),
                sha256=request.document_sha256 or "-",
                violator=f"#{request.violator_id}" if request.violator_id else "-",
                checks=Html(checks),
                approvals=len(request.approvals),
                needed=approvals_needed,
            )
        ]
        if request.analysis:
            lines.append(self.t("legal.card.analysis", text=request.analysis[:1500]))
        if request.override_reason:
            lines.append(self.t("legal.card.override", text=request.override_reason[:500]))
        for vote in request.voided:
            lines.append(
                self.t(
                    "legal.card.voided",
                    officer=vote.officer_id,
                    at=f"{vote.voided_at:%Y-%m-%d %H:%M}" if vote.voided_at else "-",
                    reason=vote.voided_reason or "-",
                )
            )
        if request.rejected_reason:
            lines.append(self.t("legal.card.rejected", text=request.rejected_reason[:500]))
        lines.append(self.t(f"legal.next.{request.state.value}", id=request.id))
        return _fit("\n\n".join(lines))

    def listing(self, requests: list[LegalRequest], approvals_needed: int) -> str:
        if not requests:
            return self.t("legal.list.empty")
        rows = "\n".join(
            self.t(
                "legal.list.row",
                id=r.id,
                state=self.t(f"legal.state.{r.state.value}"),
                country=r.form.country,
                reference=r.form.reference[:40],
                approvals=len(r.approvals),
                needed=approvals_needed,
                failed=sum(1 for c in r.checks if not c.passed),
            )
            for r in requests
        )
        return _fit(self.t("legal.list", rows=Html(rows)))

    def lookup_result(self, result: LookupResult) -> str:
        request_id = result.request_id
        if not result.files:
            return self.t("lookup.none", request=request_id)
        parts = [self.t("lookup.header", request=request_id, count=len(result.files))]
        first, last = result.period
        for found in result.files:
            v = found.violator
            cases = ", ".join(f"#{c.case_id} {c.category}" for c in found.cases) or "-"
            timeline = "\n".join(
                f"{o.observed_at:%Y-%m-%d %H:%M} {o.kind.value}: {o.value} ({o.source.value})"
                for o in found.timeline[-40:]
            )
            parts.append(
                self.t(
                    "lookup.violator",
                    id=v.id,
                    target=v.target.key,
                    category=v.category,
                    confirmed=f"{v.confirmed_at:%Y-%m-%d}",
                    cases=cases,
                    hold=self.t("lookup.hold") if v.legal_hold else "",
                    shown=min(40, len(found.timeline)),
                    total=len(found.timeline),
                    timeline=timeline or "-",
                    sealed=self.t(
                        "lookup.sealed",
                        phones=self.count("legal.count.phones", found.in_period.phones),
                        ips=self.count("legal.count.ips", found.in_period.ips),
                        first=first,
                        last=last,
                        all_phones=found.all_time.phones,
                        all_ips=found.all_time.ips,
                        request=request_id,
                    ),
                )
            )
        return _fit("\n\n".join(parts))


def _fit(text: str) -> str:
    if len(text) <= MESSAGE_LIMIT:
        return text
    # Cut at a line boundary outside any tag we opened: the card's blocks are line-based.
    cut = text.rfind("\n", 0, MESSAGE_LIMIT - 20)
    head = text[: cut if cut > 0 else MESSAGE_LIMIT - 20]
    if head.count("<pre>") > head.count("</pre>"):
        head += "</pre>"
    return head + "\n…"
