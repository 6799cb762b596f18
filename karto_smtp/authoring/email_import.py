"""Live Auth email and link settings -> `auth.email` and `auth.links` in an imported karto.yaml.

Each template's HTML goes to a file beside karto.yaml (`templates/<name>.html`, the names the
Management API uses, notifications included) and the file names it with `content_path`;
printed to stdout, where there is no folder, the HTML is written inline as `content`. When
every imported project has the same email settings (staging and production usually do),
they are declared once, under `supabase.defaults`; when projects hold different HTML for
the same template, each gets its own folder (`templates/<project>/<name>.html`).

The rules keep the first plan empty: a setting is declared only when Supabase holds a value
for it (an empty subject or template is left out, so not managed), and a file holds the
template's exact text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from karto_smtp.authoring.live import LiveProject
from karto_smtp.authoring.yaml_text import Block, Flow, FlowList, Literal, Value
from karto_smtp.providers.supabase.email_fields import (
    NOTIFICATION_NAMES,
    TEMPLATE_NAMES,
    content_key,
    enabled_key,
    subject_key,
)

TEMPLATE_FOLDER = "templates"
# What a template file would lose on the way back: karto-smtp reads files as UTF-8 and drops
# a leading byte-order mark, so such a template stays inline.
_BOM = "\ufeff"


@dataclass
class EmailImport:
    """The blocks to declare, and the template files to write (path -> text)."""

    shared: Block | None = None  # for supabase.defaults.auth.email
    email: dict[str, Block] = field(default_factory=dict)  # ref -> auth.email
    links: dict[str, Block] = field(default_factory=dict)  # ref -> auth.links
    files: dict[str, str] = field(default_factory=dict)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _declared(auth: Mapping[str, Any]) -> dict[str, Any]:
    """What the project's email settings declare, as plain data (for comparing projects)."""
    email: dict[str, Any] = {}
    templates: dict[str, dict[str, Any]] = {}
    for name in TEMPLATE_NAMES:
        entry: dict[str, Any] = {
            key: value
            for key, value in (
                ("subject", _text(auth.get(subject_key(name)))),
                ("content", _text(auth.get(content_key(name)))),
            )
            if value is not None
        }
        if entry:
            templates[name] = entry
    notifications: dict[str, dict[str, Any]] = {}
    for name in NOTIFICATION_NAMES:
        entry = {
            key: value
            for key, value in (
                ("enabled", _bool(auth.get(enabled_key(name)))),
                ("subject", _text(auth.get(subject_key(name, True)))),
                ("content", _text(auth.get(content_key(name, True)))),
            )
            if value is not None
        }
        if entry:
            notifications[name] = entry
    otp = {
        key: value
        for key, value in (
            ("expiry", _int(auth.get("mailer_otp_exp"))),
            ("length", _int(auth.get("mailer_otp_length"))),
        )
        if value is not None
    }
    if templates:
        email["templates"] = templates
    if notifications:
        email["notifications"] = notifications
    if otp:
        email["otp"] = otp
    secure = _bool(auth.get("mailer_secure_email_change_enabled"))
    if secure is not None:
        email["secure_email_change"] = secure
    return email


def _folder_name(project: LiveProject, taken: set[str]) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", project.name).strip("-").lower()
    if not name or name in taken:
        name = project.ref
    taken.add(name)
    return name


class _Builder:
    def __init__(self, projects: list[LiveProject], inline: bool) -> None:
        self.projects = projects
        self.inline = inline
        self.declared = {p.ref: _declared(p.auth or {}) for p in projects}
        self.result = EmailImport()
        taken: set[str] = set()
        self.folders = {p.ref: _folder_name(p, taken) for p in projects}

    def path(self, ref: str, group: str, name: str) -> str:
        """Where the template `name` of project `ref` goes: one file when every project
        holds the same text, else one per project."""
        texts = {
            declared[group][name]["content"]
            for declared in self.declared.values()
            if "content" in declared.get(group, {}).get(name, {})
        }
        if len(texts) <= 1:
            return f"{TEMPLATE_FOLDER}/{name}.html"
        return f"{TEMPLATE_FOLDER}/{self.folders[ref]}/{name}.html"

    def body(self, ref: str, group: str, name: str, text: str) -> tuple[str, Value]:
        if self.inline or text.startswith(_BOM):
            return "content", Literal(text)
        path = self.path(ref, group, name)
        self.result.files[path] = text
        return "content_path", path

    def email_block(self, ref: str) -> Block:
        declared = self.declared[ref]
        block = Block()
        for group in ("templates", "notifications"):
            entries = declared.get(group)
            if not entries:
                continue
            group_block = Block()
            for name, entry in entries.items():
                item = Block()
                for key in ("enabled", "subject"):
                    if key in entry:
                        item.add(key, entry[key])
                if "content" in entry:
                    item.add(*self.body(ref, group, name, entry["content"]))
                group_block.add(name, item)
            block.add(group, group_block)
        if "otp" in declared:
            block.add("otp", Flow(dict(declared["otp"])))
        if "secure_email_change" in declared:
            block.add("secure_email_change", declared["secure_email_change"])
        return block

    def links_block(self, auth: Mapping[str, Any]) -> Block | None:
        from karto_smtp.providers.supabase.email_fields import normalise_live_email_fields

        block = Block()
        site_url = _text(auth.get("site_url"))
        if site_url is not None:
            block.add("site_url", site_url)
        allowed = normalise_live_email_fields({"uri_allow_list": auth.get("uri_allow_list")}).get(
            "uri_allow_list"
        )
        if allowed:
            block.add("redirect_urls", FlowList(list(allowed)))
        return block if block.keys else None

    def build(self) -> EmailImport:
        refs = [p.ref for p in self.projects if self.declared[p.ref]]
        shared = len(self.projects) > 1 and len(refs) == len(self.projects)
        if shared:
            first = self.declared[refs[0]]
            shared = all(self.declared[ref] == first for ref in refs)
        if shared:
            self.result.shared = self.email_block(refs[0])
        else:
            for ref in refs:
                self.result.email[ref] = self.email_block(ref)
        for project in self.projects:
            links = self.links_block(project.auth or {})
            if links is not None:
                self.result.links[project.ref] = links
        return self.result


def import_email(projects: list[LiveProject], inline: bool) -> EmailImport:
    """The email and link blocks for `projects`; `inline`: HTML in the file, not beside it."""
    return _Builder(projects, inline).build()


EMAIL_COMMENTS = [
    "Subjects, templates and codes of the Auth emails. Each content_path is a file beside",
    "this karto.yaml; edit it and plan shows the change as a diff (docs/config.md).",
]
SHARED_COMMENTS = [
    "Every imported project has the same email settings, so they are declared once here;",
    "a project's own auth.email would win over them.",
]
