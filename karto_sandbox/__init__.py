"""karto-sandbox: local stand-ins for SMTP2GO's API and relay and for Supabase's Management API
and Auth mail path, for demos and tests of clients of those services.

It never imports `karto_smtp`: it is an independent test double, and what it knows of each
service comes from that service's public documentation and specs (docs/sandbox.md lists
what is confirmed and what is a guess). Installed by `pip install 'karto-smtp[sandbox]'`.
"""

from __future__ import annotations

import importlib.util

# Third-party packages the sandbox needs beyond the product's own dependencies.
REQUIREMENTS = ("aiosmtpd", "cryptography")


def missing_requirements() -> list[str]:
    """The REQUIREMENTS that are not installed (without importing them)."""
    return [name for name in REQUIREMENTS if importlib.util.find_spec(name) is None]
