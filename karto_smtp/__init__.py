"""karto-smtp: transactional-email wiring (SMTP2GO + Supabase Auth) as code."""

__version__ = "0.1.0"
