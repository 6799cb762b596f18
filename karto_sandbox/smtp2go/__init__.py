"""The SMTP2GO API v3 emulator: the account state (`models`) and its HTTP routes (`responses`)."""
