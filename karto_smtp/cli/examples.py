"""Examples shown under each command's `--help`, kept in one table so they read alike."""

from __future__ import annotations

EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "init": [
        ("ask for everything, then write ./karto.yaml", "karto-smtp init"),
        (
            "no questions (CI, scripts)",
            "karto-smtp init --non-interactive --smtp-user karto --sender auth@example.com "
            "--project abcdefghijklmnopqrst:production",
        ),
    ],
    "import": [
        ("everything both services hold", "karto-smtp import --all -o karto.yaml"),
        (
            "one project and the SMTP2GO user it relays through",
            "karto-smtp import --project abcdefghijklmnopqrst",
        ),
        (
            "take the password from a variable you set",
            "karto-smtp import --all --password-env SMTP_PASSWORD -o -",
        ),
    ],
    "validate": [
        ("check ./karto.yaml (no credentials needed)", "karto-smtp validate"),
        ("also require every env()/file() secret", "karto-smtp validate --require-secrets"),
        ("warnings fail too (CI)", "karto-smtp validate --strict -c deploy/karto.yaml"),
    ],
    "schema": [("for editors", "karto-smtp schema > karto.schema.json")],
    "plan": [
        ("show what apply would change", "karto-smtp plan"),
        ("for CI: exit 2 when there are changes", "karto-smtp plan --detailed-exitcode"),
        ("save it for review, then apply exactly that", "karto-smtp plan --out karto.plan"),
        ("a pull-request comment", "karto-smtp plan --format markdown"),
    ],
    "apply": [
        ("plan, ask, then change", "karto-smtp apply"),
        ("apply a reviewed plan (refused if live state moved)", "karto-smtp apply karto.plan"),
        ("a new password on both sides, now", "karto-smtp apply --rotate-password karto"),
    ],
    "show": [
        ("review a saved plan", "karto-smtp show karto.plan"),
        (
            "into a CI job summary",
            'karto-smtp show karto.plan --format markdown >> "$GITHUB_STEP_SUMMARY"',
        ),
    ],
    "dns": [
        ("BIND zone-file lines, to paste into a zone", "karto-smtp dns"),
        ("records for DNSControl's dnsconfig.js", "karto-smtp dns --format dnscontrol"),
        (
            "for a Terraform module (hashicorp/dns)",
            "karto-smtp dns --format terraform > smtp2go.tf",
        ),
    ],
    "check": [
        ("reach, TLS and AUTH of every relay", "karto-smtp check"),
        ("also send a test message", "karto-smtp check --send-test-to you@example.com"),
        (
            "have Supabase Auth itself send a magic link",
            "karto-smtp check --via-supabase monitor@example.com",
        ),
    ],
    "sandbox": [
        ("run it, then point the CLI at it", "karto-smtp sandbox > sandbox.env &"),
        ("", ". ./sandbox.env && karto-smtp plan -c examples/karto.yaml"),
    ],
    "demo": [("the whole job on the built-in sandbox", "karto-smtp demo")],
}


def examples_for(command: str) -> str | None:
    """The `Examples:` epilog for a command, formatted so click keeps the lines as they are."""
    items = EXAMPLES.get(command)
    if not items:
        return None
    lines = ["\b", "Examples:"]
    for comment, example in items:
        if comment:
            lines.append(f"  # {comment}")
        lines.append(f"  $ {example}")
    return "\n".join(lines)
