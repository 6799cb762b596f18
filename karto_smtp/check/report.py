"""The result of `karto-smtp check`: rows, the exit code, and the text and JSON views."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Literal

import click

Status = Literal["pass", "fail", "skip", "warn"]
Link = Literal[
    "reach",
    "tls",
    "auth",
    "sender",
    "send",
    "supabase_smtp",
    "supabase_mail",
    "delivery",
    "dmarc",
    "spf",
    "alignment",
    "dns",
    "quota",
    "bounces",
    "spam",
]

LINK_TITLES: dict[str, str] = {
    "reach": "reach",
    "tls": "TLS",
    "auth": "auth",
    "sender": "sender",
    "send": "send",
    "supabase_smtp": "Supabase SMTP",
    "supabase_mail": "Supabase mail",
    "delivery": "delivery",
    "dmarc": "DMARC",
    "spf": "SPF",
    "alignment": "alignment",
    "dns": "DNS",
    "quota": "quota",
    "bounces": "bounces",
    "spam": "spam",
}
_COLOURS = {"pass": "green", "fail": "red", "skip": "bright_black", "warn": "yellow"}


@dataclass
class Row:
    """One link of the mail path, checked for one relay or one project."""

    link: Link
    subject: str
    status: Status
    ms: int | None
    detail: str
    fix: str | None = None

    @classmethod
    def skipped(cls, link: Link, subject: str, detail: str) -> Row:
        return cls(link, subject, "skip", None, detail)

    def as_dict(self) -> dict[str, object]:
        return {
            "link": self.link,
            "subject": self.subject,
            "status": self.status,
            "ms": self.ms,
            "detail": self.detail,
            "fix": self.fix,
        }


def exit_code(rows: list[Row]) -> int:
    """0 when every row passed or was skipped; a warning counts as a problem in CI."""
    return 0 if all(row.status in ("pass", "skip") for row in rows) else 1


def summary(rows: list[Row]) -> dict[str, int]:
    counts = {status: 0 for status in ("pass", "fail", "warn", "skip")}
    for row in rows:
        counts[row.status] += 1
    return counts


def render_json(rows: list[Row], config: str) -> str:
    from karto_smtp.views.envelope import dumps, envelope

    ok = exit_code(rows) == 0
    payload = {
        "config": config,
        "ok": ok,
        "summary": summary(rows),
        "rows": [row.as_dict() for row in rows],
    }
    return dumps(envelope("check", "ok" if ok else "failed", {"check": payload}))


def _ms(row: Row) -> str:
    return "" if row.ms is None else str(row.ms)


MIN_DETAIL_WIDTH = 30


def render_text(rows: list[Row], colour: bool = False, width: int | None = None) -> str:
    """A plain table; colour only changes the status word (callers decide TTY / NO_COLOR).

    With `width` (the terminal's columns), DETAIL and fix lines wrap inside the DETAIL
    column; when the other columns leave less than MIN_DETAIL_WIDTH for it, each detail
    goes on its own indented lines under its row instead.
    """
    if not rows:
        return "Nothing to check: karto.yaml declares no SMTP user and no project using one.\n"
    header = ("STATUS", "LINK", "SUBJECT", "MS", "DETAIL")
    cells = [(r.status, LINK_TITLES[r.link], r.subject, _ms(r), r.detail) for r in rows]
    widths = [max(len(header[i]), *(len(c[i]) for c in cells)) for i in range(4)]
    start = sum(widths) + 2 * len(widths)
    room = None if width is None else width - start
    under = room is not None and room < MIN_DETAIL_WIDTH
    indent = " " * (4 if under else start)
    wrap_at = None if width is None else (width - len(indent))

    def wrapped(text: str) -> list[str]:
        if wrap_at is None:
            return [text]
        return textwrap.wrap(text, wrap_at, break_on_hyphens=False) or [""]

    def line(values: tuple[str, ...], status: str | None = None) -> list[str]:
        first = values[0].ljust(widths[0])
        if status is not None and colour:
            first = click.style(first, fg=_COLOURS[status], bold=status == "fail")
        rest = [values[1].ljust(widths[1]), values[2].ljust(widths[2]), values[3].rjust(widths[3])]
        if under:
            head = "  ".join([first, *rest]).rstrip()
            return [head] + [indent + part for part in wrapped(values[4]) if values[4]]
        detail = wrapped(values[4])
        head = "  ".join([first, *rest, detail[0]]).rstrip()
        return [head] + [indent + part for part in detail[1:]]

    out = (
        line(header)
        if not under
        else ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)).rstrip()]
    )
    for row, values in zip(rows, cells, strict=True):
        out += line(values, row.status)
        if row.fix:
            out += [indent + part for part in wrapped(f"fix: {row.fix}")]
    counts = summary(rows)
    verdict = "ok" if exit_code(rows) == 0 else "problems found"
    out.append("")
    out.append(
        f"{len(rows)} checks: {counts['pass']} pass, {counts['fail']} fail, "
        f"{counts['warn']} warn, {counts['skip']} skip: {verdict}"
    )
    return "\n".join(out) + "\n"
