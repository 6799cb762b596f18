"""The Supabase emulators: the Management API (`management`, `project_config`) over the account
state (`models`), and each project's Auth mail path (`auth`)."""
