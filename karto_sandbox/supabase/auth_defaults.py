"""Default Auth config of a new hosted Supabase project, and the PATCH field rules.

Generated once from `tests/specs/supabase-management-api.openapi.json` (schemas
`AuthConfigResponse` and `UpdateAuthConfigBody`) by a throwaway script, then committed as
literals so the emulator never parses the spec at run time. A test checks that the keys
still match the spec.

Each default is tagged with where its value comes from:
  cli       the `supabase/cli` config.toml template (local-dev defaults that hosted shares)
  research  shared/research/supabase.md (e.g. rate_limit_email_sent = 2)
  brief     hosted defaults decided for this emulator (site_url, smtp_max_frequency)
  gotrue    supabase/auth's built-in default for that setting
  guess     best guess from how hosted projects look; not confirmed by a source
  neutral   no known default: on/off toggles false, other keys null where the response
            allows it, else 0 / ""
Counts: brief 2, cli 36, gotrue 6, guess 16, neutral 176, research 1.
"""

from __future__ import annotations

from typing import Any

AUTH_CONFIG_DEFAULTS: dict[str, Any] = {
    "api_max_request_duration": 10,  # guess
    "db_max_pool_size": None,  # neutral
    "db_max_pool_size_unit": None,  # neutral
    "disable_signup": False,  # cli
    "external_anonymous_users_enabled": False,  # cli
    "external_apple_additional_client_ids": None,  # neutral
    "external_apple_client_id": None,  # neutral
    "external_apple_email_optional": False,  # neutral
    "external_apple_enabled": False,  # neutral
    "external_apple_secret": None,  # neutral
    "external_azure_client_id": None,  # neutral
    "external_azure_email_optional": False,  # neutral
    "external_azure_enabled": False,  # neutral
    "external_azure_secret": None,  # neutral
    "external_azure_url": None,  # neutral
    "external_bitbucket_client_id": None,  # neutral
    "external_bitbucket_email_optional": False,  # neutral
    "external_bitbucket_enabled": False,  # neutral
    "external_bitbucket_secret": None,  # neutral
    "external_discord_client_id": None,  # neutral
    "external_discord_email_optional": False,  # neutral
    "external_discord_enabled": False,  # neutral
    "external_discord_secret": None,  # neutral
    "external_email_enabled": True,  # cli
    "external_facebook_client_id": None,  # neutral
    "external_facebook_email_optional": False,  # neutral
    "external_facebook_enabled": False,  # neutral
    "external_facebook_secret": None,  # neutral
    "external_figma_client_id": None,  # neutral
    "external_figma_email_optional": False,  # neutral
    "external_figma_enabled": False,  # neutral
    "external_figma_secret": None,  # neutral
    "external_github_client_id": None,  # neutral
    "external_github_email_optional": False,  # neutral
    "external_github_enabled": False,  # neutral
    "external_github_secret": None,  # neutral
    "external_gitlab_client_id": None,  # neutral
    "external_gitlab_email_optional": False,  # neutral
    "external_gitlab_enabled": False,  # neutral
    "external_gitlab_secret": None,  # neutral
    "external_gitlab_url": None,  # neutral
    "external_google_additional_client_ids": None,  # neutral
    "external_google_client_id": None,  # neutral
    "external_google_email_optional": False,  # neutral
    "external_google_enabled": False,  # neutral
    "external_google_secret": None,  # neutral
    "external_google_skip_nonce_check": False,  # cli
    "external_kakao_client_id": None,  # neutral
    "external_kakao_email_optional": False,  # neutral
    "external_kakao_enabled": False,  # neutral
    "external_kakao_secret": None,  # neutral
    "external_keycloak_client_id": None,  # neutral
    "external_keycloak_email_optional": False,  # neutral
    "external_keycloak_enabled": False,  # neutral
    "external_keycloak_secret": None,  # neutral
    "external_keycloak_url": None,  # neutral
    "external_linkedin_oidc_client_id": None,  # neutral
    "external_linkedin_oidc_email_optional": False,  # neutral
    "external_linkedin_oidc_enabled": False,  # neutral
    "external_linkedin_oidc_secret": None,  # neutral
    "external_slack_oidc_client_id": None,  # neutral
    "external_slack_oidc_email_optional": False,  # neutral
    "external_slack_oidc_enabled": False,  # neutral
    "external_slack_oidc_secret": None,  # neutral
    "external_notion_client_id": None,  # neutral
    "external_notion_email_optional": False,  # neutral
    "external_notion_enabled": False,  # neutral
    "external_notion_secret": None,  # neutral
    "external_phone_enabled": False,  # cli
    "external_slack_client_id": None,  # neutral
    "external_slack_email_optional": False,  # neutral
    "external_slack_enabled": False,  # neutral
    "external_slack_secret": None,  # neutral
    "external_spotify_client_id": None,  # neutral
    "external_spotify_email_optional": False,  # neutral
    "external_spotify_enabled": False,  # neutral
    "external_spotify_secret": None,  # neutral
    "external_twitch_client_id": None,  # neutral
    "external_twitch_email_optional": False,  # neutral
    "external_twitch_enabled": False,  # neutral
    "external_twitch_secret": None,  # neutral
    "external_twitter_client_id": None,  # neutral
    "external_twitter_email_optional": False,  # neutral
    "external_twitter_enabled": False,  # neutral
    "external_twitter_secret": None,  # neutral
    "external_x_client_id": None,  # neutral
    "external_x_email_optional": False,  # neutral
    "external_x_enabled": False,  # neutral
    "external_x_secret": None,  # neutral
    "external_workos_client_id": None,  # neutral
    "external_workos_enabled": False,  # neutral
    "external_workos_secret": None,  # neutral
    "external_workos_url": None,  # neutral
    "external_web3_solana_enabled": False,  # neutral
    "external_web3_ethereum_enabled": False,  # neutral
    "external_zoom_client_id": None,  # neutral
    "external_zoom_email_optional": False,  # neutral
    "external_zoom_enabled": False,  # neutral
    "external_zoom_secret": None,  # neutral
    "hook_custom_access_token_enabled": False,  # neutral
    "hook_custom_access_token_uri": None,  # neutral
    "hook_custom_access_token_secrets": None,  # neutral
    "hook_mfa_verification_attempt_enabled": False,  # neutral
    "hook_mfa_verification_attempt_uri": None,  # neutral
    "hook_mfa_verification_attempt_secrets": None,  # neutral
    "hook_password_verification_attempt_enabled": False,  # neutral
    "hook_password_verification_attempt_uri": None,  # neutral
    "hook_password_verification_attempt_secrets": None,  # neutral
    "hook_send_sms_enabled": False,  # neutral
    "hook_send_sms_uri": None,  # neutral
    "hook_send_sms_secrets": None,  # neutral
    "hook_send_email_enabled": False,  # neutral
    "hook_send_email_uri": None,  # neutral
    "hook_send_email_secrets": None,  # neutral
    "hook_before_user_created_enabled": False,  # neutral
    "hook_before_user_created_uri": None,  # neutral
    "hook_before_user_created_secrets": None,  # neutral
    "hook_after_user_created_enabled": False,  # neutral
    "hook_after_user_created_uri": None,  # neutral
    "hook_after_user_created_secrets": None,  # neutral
    "jwt_exp": 3600,  # cli
    "mailer_allow_unverified_email_sign_ins": None,  # neutral
    "mailer_autoconfirm": False,  # guess
    "mailer_otp_exp": 3600,  # cli
    "mailer_otp_length": 6,  # cli
    "mailer_secure_email_change_enabled": True,  # cli
    "mailer_subjects_confirmation": "Confirm Your Signup",  # guess
    "mailer_subjects_email_change": "Confirm Email Change",  # gotrue
    "mailer_subjects_invite": "You have been invited",  # gotrue
    "mailer_subjects_magic_link": "Your Magic Link",  # gotrue
    "mailer_subjects_reauthentication": "Confirm reauthentication",  # gotrue
    "mailer_subjects_recovery": "Reset Your Password",  # gotrue
    "mailer_subjects_password_changed_notification": None,  # neutral
    "mailer_subjects_email_changed_notification": None,  # neutral
    "mailer_subjects_phone_changed_notification": None,  # neutral
    "mailer_subjects_mfa_factor_enrolled_notification": None,  # neutral
    "mailer_subjects_mfa_factor_unenrolled_notification": None,  # neutral
    "mailer_subjects_identity_linked_notification": None,  # neutral
    "mailer_subjects_identity_unlinked_notification": None,  # neutral
    "mailer_templates_confirmation_content": (
        "<h2>Confirm your signup</h2>\n"
        "\n"
        "<p>Follow this link to confirm your user:</p>\n"
        '<p><a href="{{ .ConfirmationURL }}">Confirm your mail</a></p>'
    ),  # guess
    "mailer_templates_email_change_content": (
        "<h2>Confirm Change of Email</h2>\n"
        "\n"
        "<p>Follow this link to confirm the update of your email "
        "from {{ .Email }} to {{ .NewEmail }}:</p>\n"
        '<p><a href="{{ .ConfirmationURL }}">Change Email</a></p>'
    ),  # guess
    "mailer_templates_invite_content": (
        "<h2>You have been invited</h2>\n"
        "\n"
        "<p>You have been invited to create a user on {{ .SiteURL "
        "}}. Follow this link to accept the invite:</p>\n"
        '<p><a href="{{ .ConfirmationURL }}">Accept the invite</a></p>'
    ),  # guess
    "mailer_templates_magic_link_content": (
        "<h2>Magic Link</h2>\n"
        "\n"
        "<p>Follow this link to login:</p>\n"
        '<p><a href="{{ .ConfirmationURL }}">Log In</a></p>'
    ),  # guess
    "mailer_templates_reauthentication_content": (
        "<h2>Confirm reauthentication</h2>\n\n<p>Enter the code: {{ .Token }}</p>"
    ),  # gotrue
    "mailer_templates_recovery_content": (
        "<h2>Reset Password</h2>\n"
        "\n"
        "<p>Follow this link to reset the password for your user:</p>\n"
        '<p><a href="{{ .ConfirmationURL }}">Reset Password</a></p>'
    ),  # guess
    "mailer_templates_password_changed_notification_content": None,  # neutral
    "mailer_templates_email_changed_notification_content": None,  # neutral
    "mailer_templates_phone_changed_notification_content": None,  # neutral
    "mailer_templates_mfa_factor_enrolled_notification_content": None,  # neutral
    "mailer_templates_mfa_factor_unenrolled_notification_content": None,  # neutral
    "mailer_templates_identity_linked_notification_content": None,  # neutral
    "mailer_templates_identity_unlinked_notification_content": None,  # neutral
    "mailer_notifications_password_changed_enabled": False,  # neutral
    "mailer_notifications_email_changed_enabled": False,  # neutral
    "mailer_notifications_phone_changed_enabled": False,  # neutral
    "mailer_notifications_mfa_factor_enrolled_enabled": False,  # neutral
    "mailer_notifications_mfa_factor_unenrolled_enabled": False,  # neutral
    "mailer_notifications_identity_linked_enabled": False,  # neutral
    "mailer_notifications_identity_unlinked_enabled": False,  # neutral
    "mfa_max_enrolled_factors": 10,  # cli
    "mfa_totp_enroll_enabled": True,  # guess
    "mfa_totp_verify_enabled": True,  # guess
    "mfa_phone_enroll_enabled": False,  # cli
    "mfa_phone_verify_enabled": False,  # cli
    "mfa_web_authn_enroll_enabled": False,  # cli
    "mfa_web_authn_verify_enabled": False,  # cli
    "passkey_enabled": False,  # cli
    "webauthn_rp_display_name": None,  # neutral
    "webauthn_rp_id": None,  # neutral
    "webauthn_rp_origins": None,  # neutral
    "mfa_phone_otp_length": 6,  # cli
    "mfa_phone_template": "Your code is {{ .Code }}",  # cli
    "mfa_phone_max_frequency": 5,  # cli
    "nimbus_oauth_client_id": None,  # neutral
    "nimbus_oauth_email_optional": False,  # neutral
    "nimbus_oauth_client_secret": None,  # neutral
    "password_hibp_enabled": False,  # neutral
    "password_min_length": 6,  # cli
    "password_required_characters": "",  # cli
    "rate_limit_anonymous_users": 30,  # cli
    "rate_limit_email_sent": 2,  # research
    "rate_limit_sms_sent": 30,  # cli
    "rate_limit_token_refresh": 150,  # cli
    "rate_limit_verify": 30,  # cli
    "rate_limit_otp": 30,  # cli
    "rate_limit_web3": 30,  # cli
    "refresh_token_rotation_enabled": True,  # cli
    "saml_enabled": False,  # neutral
    "saml_external_url": None,  # neutral
    "saml_allow_encrypted_assertions": False,  # neutral
    "security_sb_forwarded_for_enabled": False,  # neutral
    "security_captcha_enabled": False,  # neutral
    "security_captcha_provider": None,  # neutral
    "security_captcha_secret": None,  # neutral
    "security_manual_linking_enabled": False,  # cli
    "security_refresh_token_reuse_interval": 10,  # cli
    "security_update_password_require_reauthentication": False,  # cli
    "sessions_inactivity_timeout": None,  # neutral
    "sessions_single_per_user": False,  # neutral
    "sessions_tags": None,  # neutral
    "sessions_timebox": None,  # neutral
    "site_url": "http://localhost:3000",  # brief
    "sms_autoconfirm": False,  # cli
    "sms_max_frequency": 5,  # cli
    "sms_messagebird_access_key": None,  # neutral
    "sms_messagebird_originator": None,  # neutral
    "sms_otp_exp": 60,  # guess
    "sms_otp_length": 6,  # guess
    "sms_provider": "twilio",  # guess
    "sms_template": "Your code is {{ .Code }}",  # cli
    "sms_test_otp": None,  # neutral
    "sms_test_otp_valid_until": None,  # neutral
    "sms_textlocal_api_key": None,  # neutral
    "sms_textlocal_sender": None,  # neutral
    "sms_twilio_account_sid": None,  # neutral
    "sms_twilio_auth_token": None,  # neutral
    "sms_twilio_content_sid": None,  # neutral
    "sms_twilio_message_service_sid": None,  # neutral
    "sms_twilio_verify_account_sid": None,  # neutral
    "sms_twilio_verify_auth_token": None,  # neutral
    "sms_twilio_verify_message_service_sid": None,  # neutral
    "sms_vonage_api_key": None,  # neutral
    "sms_vonage_api_secret": None,  # neutral
    "sms_vonage_from": None,  # neutral
    "smtp_admin_email": None,  # neutral
    "smtp_host": None,  # neutral
    "smtp_max_frequency": 60,  # brief
    "smtp_pass": None,  # neutral
    "smtp_port": None,  # neutral
    "smtp_sender_name": None,  # neutral
    "smtp_user": None,  # neutral
    "uri_allow_list": "",  # guess
    "oauth_server_enabled": False,  # cli
    "oauth_server_allow_dynamic_registration": False,  # cli
    "oauth_server_authorization_path": "/oauth/consent",  # cli
    "custom_oauth_enabled": False,  # guess
    "custom_oauth_max_providers": 0,  # guess
}

# Validation rules of every `UpdateAuthConfigBody` property: JSON type, nullability and the
# spec's minimum / maximum / format / pattern / enum where it declares them.
UPDATE_FIELD_RULES: dict[str, dict[str, Any]] = {
    "site_url": {"type": "string", "nullable": True, "pattern": "^[^,]+$"},
    "disable_signup": {"type": "boolean", "nullable": True},
    "jwt_exp": {"type": "integer", "nullable": True, "minimum": 0, "maximum": 604800},
    "smtp_admin_email": {"type": "string", "nullable": True, "format": "email"},
    "smtp_host": {"type": "string", "nullable": True},
    "smtp_port": {"type": "string", "nullable": True},
    "smtp_user": {"type": "string", "nullable": True},
    "smtp_pass": {"type": "string", "nullable": True},
    "smtp_max_frequency": {"type": "integer", "nullable": True, "minimum": 0, "maximum": 32767},
    "smtp_sender_name": {"type": "string", "nullable": True},
    "mailer_allow_unverified_email_sign_ins": {"type": "boolean", "nullable": True},
    "mailer_autoconfirm": {"type": "boolean", "nullable": True},
    "mailer_subjects_invite": {"type": "string", "nullable": True},
    "mailer_subjects_confirmation": {"type": "string", "nullable": True},
    "mailer_subjects_recovery": {"type": "string", "nullable": True},
    "mailer_subjects_email_change": {"type": "string", "nullable": True},
    "mailer_subjects_magic_link": {"type": "string", "nullable": True},
    "mailer_subjects_reauthentication": {"type": "string", "nullable": True},
    "mailer_subjects_password_changed_notification": {"type": "string", "nullable": True},
    "mailer_subjects_email_changed_notification": {"type": "string", "nullable": True},
    "mailer_subjects_phone_changed_notification": {"type": "string", "nullable": True},
    "mailer_subjects_mfa_factor_enrolled_notification": {"type": "string", "nullable": True},
    "mailer_subjects_mfa_factor_unenrolled_notification": {"type": "string", "nullable": True},
    "mailer_subjects_identity_linked_notification": {"type": "string", "nullable": True},
    "mailer_subjects_identity_unlinked_notification": {"type": "string", "nullable": True},
    "mailer_templates_invite_content": {"type": "string", "nullable": True},
    "mailer_templates_confirmation_content": {"type": "string", "nullable": True},
    "mailer_templates_recovery_content": {"type": "string", "nullable": True},
    "mailer_templates_email_change_content": {"type": "string", "nullable": True},
    "mailer_templates_magic_link_content": {"type": "string", "nullable": True},
    "mailer_templates_reauthentication_content": {"type": "string", "nullable": True},
    "mailer_templates_password_changed_notification_content": {"type": "string", "nullable": True},
    "mailer_templates_email_changed_notification_content": {"type": "string", "nullable": True},
    "mailer_templates_phone_changed_notification_content": {"type": "string", "nullable": True},
    "mailer_templates_mfa_factor_enrolled_notification_content": {
        "type": "string",
        "nullable": True,
    },
    "mailer_templates_mfa_factor_unenrolled_notification_content": {
        "type": "string",
        "nullable": True,
    },
    "mailer_templates_identity_linked_notification_content": {"type": "string", "nullable": True},
    "mailer_templates_identity_unlinked_notification_content": {"type": "string", "nullable": True},
    "mailer_notifications_password_changed_enabled": {"type": "boolean", "nullable": True},
    "mailer_notifications_email_changed_enabled": {"type": "boolean", "nullable": True},
    "mailer_notifications_phone_changed_enabled": {"type": "boolean", "nullable": True},
    "mailer_notifications_mfa_factor_enrolled_enabled": {"type": "boolean", "nullable": True},
    "mailer_notifications_mfa_factor_unenrolled_enabled": {"type": "boolean", "nullable": True},
    "mailer_notifications_identity_linked_enabled": {"type": "boolean", "nullable": True},
    "mailer_notifications_identity_unlinked_enabled": {"type": "boolean", "nullable": True},
    "mfa_max_enrolled_factors": {
        "type": "integer",
        "nullable": True,
        "minimum": 0,
        "maximum": 2147483647,
    },
    "uri_allow_list": {"type": "string", "nullable": True},
    "external_anonymous_users_enabled": {"type": "boolean", "nullable": True},
    "external_email_enabled": {"type": "boolean", "nullable": True},
    "external_phone_enabled": {"type": "boolean", "nullable": True},
    "saml_enabled": {"type": "boolean", "nullable": True},
    "saml_external_url": {"type": "string", "nullable": True, "pattern": "^[^,]+$"},
    "security_sb_forwarded_for_enabled": {"type": "boolean", "nullable": True},
    "security_captcha_enabled": {"type": "boolean", "nullable": True},
    "security_captcha_provider": {
        "type": "string",
        "nullable": True,
        "enum": ["turnstile", "hcaptcha"],
    },
    "security_captcha_secret": {"type": "string", "nullable": True},
    "sessions_timebox": {"type": "number", "nullable": True, "minimum": 0},
    "sessions_inactivity_timeout": {"type": "number", "nullable": True, "minimum": 0},
    "sessions_single_per_user": {"type": "boolean", "nullable": True},
    "sessions_tags": {
        "type": "string",
        "nullable": True,
        "pattern": "^\\s*([a-zA-Z0-9_-]+(\\s*,+\\s*)?)*\\s*$",
    },
    "rate_limit_anonymous_users": {
        "type": "integer",
        "nullable": True,
        "minimum": 1,
        "maximum": 2147483647,
    },
    "rate_limit_email_sent": {
        "type": "integer",
        "nullable": True,
        "minimum": 1,
        "maximum": 2147483647,
    },
    "rate_limit_sms_sent": {
        "type": "integer",
        "nullable": True,
        "minimum": 1,
        "maximum": 2147483647,
    },
    "rate_limit_verify": {"type": "integer", "nullable": True, "minimum": 1, "maximum": 2147483647},
    "rate_limit_token_refresh": {
        "type": "integer",
        "nullable": True,
        "minimum": 1,
        "maximum": 2147483647,
    },
    "rate_limit_otp": {"type": "integer", "nullable": True, "minimum": 1, "maximum": 2147483647},
    "rate_limit_web3": {"type": "integer", "nullable": True, "minimum": 1, "maximum": 2147483647},
    "mailer_secure_email_change_enabled": {"type": "boolean", "nullable": True},
    "refresh_token_rotation_enabled": {"type": "boolean", "nullable": True},
    "password_hibp_enabled": {"type": "boolean", "nullable": True},
    "password_min_length": {"type": "integer", "nullable": True, "minimum": 6, "maximum": 32767},
    "password_required_characters": {
        "type": "string",
        "nullable": True,
        "enum": [
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789",
            "abcdefghijklmnopqrstuvwxyz:ABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789",
            "abcdefghijklmnopqrstuvwxyz:ABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789:!@#$%^&*()_+-=[]{};'\\\\:\"|<>?,./`~",
            "",
        ],
    },
    "security_manual_linking_enabled": {"type": "boolean", "nullable": True},
    "security_update_password_require_reauthentication": {"type": "boolean", "nullable": True},
    "security_refresh_token_reuse_interval": {
        "type": "integer",
        "nullable": True,
        "minimum": 0,
        "maximum": 2147483647,
    },
    "mailer_otp_exp": {"type": "integer", "nullable": False, "minimum": 0, "maximum": 2147483647},
    "mailer_otp_length": {"type": "integer", "nullable": True, "minimum": 6, "maximum": 10},
    "sms_autoconfirm": {"type": "boolean", "nullable": True},
    "sms_max_frequency": {"type": "integer", "nullable": True, "minimum": 0, "maximum": 32767},
    "sms_otp_exp": {"type": "integer", "nullable": True, "minimum": 0, "maximum": 2147483647},
    "sms_otp_length": {"type": "integer", "nullable": False, "minimum": 0, "maximum": 32767},
    "sms_provider": {
        "type": "string",
        "nullable": True,
        "enum": ["messagebird", "textlocal", "twilio", "twilio_verify", "vonage"],
    },
    "sms_messagebird_access_key": {"type": "string", "nullable": True},
    "sms_messagebird_originator": {"type": "string", "nullable": True},
    "sms_test_otp": {"type": "string", "nullable": True, "pattern": "^([0-9]{1,15}=[0-9]+,?)*$"},
    "sms_test_otp_valid_until": {"type": "string", "nullable": True, "format": "date-time"},
    "sms_textlocal_api_key": {"type": "string", "nullable": True},
    "sms_textlocal_sender": {"type": "string", "nullable": True},
    "sms_twilio_account_sid": {"type": "string", "nullable": True},
    "sms_twilio_auth_token": {"type": "string", "nullable": True},
    "sms_twilio_content_sid": {"type": "string", "nullable": True},
    "sms_twilio_message_service_sid": {"type": "string", "nullable": True},
    "sms_twilio_verify_account_sid": {"type": "string", "nullable": True},
    "sms_twilio_verify_auth_token": {"type": "string", "nullable": True},
    "sms_twilio_verify_message_service_sid": {"type": "string", "nullable": True},
    "sms_vonage_api_key": {"type": "string", "nullable": True},
    "sms_vonage_api_secret": {"type": "string", "nullable": True},
    "sms_vonage_from": {"type": "string", "nullable": True},
    "sms_template": {"type": "string", "nullable": True},
    "hook_mfa_verification_attempt_enabled": {"type": "boolean", "nullable": True},
    "hook_mfa_verification_attempt_uri": {"type": "string", "nullable": True},
    "hook_mfa_verification_attempt_secrets": {"type": "string", "nullable": True},
    "hook_password_verification_attempt_enabled": {"type": "boolean", "nullable": True},
    "hook_password_verification_attempt_uri": {"type": "string", "nullable": True},
    "hook_password_verification_attempt_secrets": {"type": "string", "nullable": True},
    "hook_custom_access_token_enabled": {"type": "boolean", "nullable": True},
    "hook_custom_access_token_uri": {"type": "string", "nullable": True},
    "hook_custom_access_token_secrets": {"type": "string", "nullable": True},
    "hook_send_sms_enabled": {"type": "boolean", "nullable": True},
    "hook_send_sms_uri": {"type": "string", "nullable": True},
    "hook_send_sms_secrets": {"type": "string", "nullable": True},
    "hook_send_email_enabled": {"type": "boolean", "nullable": True},
    "hook_send_email_uri": {"type": "string", "nullable": True},
    "hook_send_email_secrets": {"type": "string", "nullable": True},
    "hook_before_user_created_enabled": {"type": "boolean", "nullable": True},
    "hook_before_user_created_uri": {"type": "string", "nullable": True},
    "hook_before_user_created_secrets": {"type": "string", "nullable": True},
    "hook_after_user_created_enabled": {"type": "boolean", "nullable": True},
    "hook_after_user_created_uri": {"type": "string", "nullable": True},
    "hook_after_user_created_secrets": {"type": "string", "nullable": True},
    "external_apple_enabled": {"type": "boolean", "nullable": True},
    "external_apple_client_id": {"type": "string", "nullable": True},
    "external_apple_email_optional": {"type": "boolean", "nullable": True},
    "external_apple_secret": {"type": "string", "nullable": True},
    "external_apple_additional_client_ids": {"type": "string", "nullable": True},
    "external_azure_enabled": {"type": "boolean", "nullable": True},
    "external_azure_client_id": {"type": "string", "nullable": True},
    "external_azure_email_optional": {"type": "boolean", "nullable": True},
    "external_azure_secret": {"type": "string", "nullable": True},
    "external_azure_url": {"type": "string", "nullable": True},
    "external_bitbucket_enabled": {"type": "boolean", "nullable": True},
    "external_bitbucket_client_id": {"type": "string", "nullable": True},
    "external_bitbucket_email_optional": {"type": "boolean", "nullable": True},
    "external_bitbucket_secret": {"type": "string", "nullable": True},
    "external_discord_enabled": {"type": "boolean", "nullable": True},
    "external_discord_client_id": {"type": "string", "nullable": True},
    "external_discord_email_optional": {"type": "boolean", "nullable": True},
    "external_discord_secret": {"type": "string", "nullable": True},
    "external_facebook_enabled": {"type": "boolean", "nullable": True},
    "external_facebook_client_id": {"type": "string", "nullable": True},
    "external_facebook_email_optional": {"type": "boolean", "nullable": True},
    "external_facebook_secret": {"type": "string", "nullable": True},
    "external_figma_enabled": {"type": "boolean", "nullable": True},
    "external_figma_client_id": {"type": "string", "nullable": True},
    "external_figma_email_optional": {"type": "boolean", "nullable": True},
    "external_figma_secret": {"type": "string", "nullable": True},
    "external_github_enabled": {"type": "boolean", "nullable": True},
    "external_github_client_id": {"type": "string", "nullable": True},
    "external_github_email_optional": {"type": "boolean", "nullable": True},
    "external_github_secret": {"type": "string", "nullable": True},
    "external_gitlab_enabled": {"type": "boolean", "nullable": True},
    "external_gitlab_client_id": {"type": "string", "nullable": True},
    "external_gitlab_email_optional": {"type": "boolean", "nullable": True},
    "external_gitlab_secret": {"type": "string", "nullable": True},
    "external_gitlab_url": {"type": "string", "nullable": True},
    "external_google_enabled": {"type": "boolean", "nullable": True},
    "external_google_client_id": {"type": "string", "nullable": True},
    "external_google_email_optional": {"type": "boolean", "nullable": True},
    "external_google_secret": {"type": "string", "nullable": True},
    "external_google_additional_client_ids": {"type": "string", "nullable": True},
    "external_google_skip_nonce_check": {"type": "boolean", "nullable": True},
    "external_kakao_enabled": {"type": "boolean", "nullable": True},
    "external_kakao_client_id": {"type": "string", "nullable": True},
    "external_kakao_email_optional": {"type": "boolean", "nullable": True},
    "external_kakao_secret": {"type": "string", "nullable": True},
    "external_keycloak_enabled": {"type": "boolean", "nullable": True},
    "external_keycloak_client_id": {"type": "string", "nullable": True},
    "external_keycloak_email_optional": {"type": "boolean", "nullable": True},
    "external_keycloak_secret": {"type": "string", "nullable": True},
    "external_keycloak_url": {"type": "string", "nullable": True},
    "external_linkedin_oidc_enabled": {"type": "boolean", "nullable": True},
    "external_linkedin_oidc_client_id": {"type": "string", "nullable": True},
    "external_linkedin_oidc_email_optional": {"type": "boolean", "nullable": True},
    "external_linkedin_oidc_secret": {"type": "string", "nullable": True},
    "external_slack_oidc_enabled": {"type": "boolean", "nullable": True},
    "external_slack_oidc_client_id": {"type": "string", "nullable": True},
    "external_slack_oidc_email_optional": {"type": "boolean", "nullable": True},
    "external_slack_oidc_secret": {"type": "string", "nullable": True},
    "external_notion_enabled": {"type": "boolean", "nullable": True},
    "external_notion_client_id": {"type": "string", "nullable": True},
    "external_notion_email_optional": {"type": "boolean", "nullable": True},
    "external_notion_secret": {"type": "string", "nullable": True},
    "external_slack_enabled": {"type": "boolean", "nullable": True},
    "external_slack_client_id": {"type": "string", "nullable": True},
    "external_slack_email_optional": {"type": "boolean", "nullable": True},
    "external_slack_secret": {"type": "string", "nullable": True},
    "external_spotify_enabled": {"type": "boolean", "nullable": True},
    "external_spotify_client_id": {"type": "string", "nullable": True},
    "external_spotify_email_optional": {"type": "boolean", "nullable": True},
    "external_spotify_secret": {"type": "string", "nullable": True},
    "external_twitch_enabled": {"type": "boolean", "nullable": True},
    "external_twitch_client_id": {"type": "string", "nullable": True},
    "external_twitch_email_optional": {"type": "boolean", "nullable": True},
    "external_twitch_secret": {"type": "string", "nullable": True},
    "external_twitter_enabled": {"type": "boolean", "nullable": True},
    "external_twitter_client_id": {"type": "string", "nullable": True},
    "external_twitter_email_optional": {"type": "boolean", "nullable": True},
    "external_twitter_secret": {"type": "string", "nullable": True},
    "external_x_enabled": {"type": "boolean", "nullable": True},
    "external_x_client_id": {"type": "string", "nullable": True},
    "external_x_email_optional": {"type": "boolean", "nullable": True},
    "external_x_secret": {"type": "string", "nullable": True},
    "external_workos_enabled": {"type": "boolean", "nullable": True},
    "external_workos_client_id": {"type": "string", "nullable": True},
    "external_workos_secret": {"type": "string", "nullable": True},
    "external_workos_url": {"type": "string", "nullable": True},
    "external_web3_solana_enabled": {"type": "boolean", "nullable": True},
    "external_web3_ethereum_enabled": {"type": "boolean", "nullable": True},
    "external_zoom_enabled": {"type": "boolean", "nullable": True},
    "external_zoom_client_id": {"type": "string", "nullable": True},
    "external_zoom_email_optional": {"type": "boolean", "nullable": True},
    "external_zoom_secret": {"type": "string", "nullable": True},
    "db_max_pool_size": {"type": "integer", "nullable": True},
    "db_max_pool_size_unit": {
        "type": "string",
        "nullable": True,
        "enum": ["connections", "percent"],
    },
    "api_max_request_duration": {"type": "integer", "nullable": True},
    "mfa_totp_enroll_enabled": {"type": "boolean", "nullable": True},
    "mfa_totp_verify_enabled": {"type": "boolean", "nullable": True},
    "mfa_web_authn_enroll_enabled": {"type": "boolean", "nullable": True},
    "mfa_web_authn_verify_enabled": {"type": "boolean", "nullable": True},
    "passkey_enabled": {"type": "boolean", "nullable": False},
    "webauthn_rp_display_name": {"type": "string", "nullable": True},
    "webauthn_rp_id": {"type": "string", "nullable": True},
    "webauthn_rp_origins": {"type": "string", "nullable": True},
    "mfa_phone_enroll_enabled": {"type": "boolean", "nullable": True},
    "mfa_phone_verify_enabled": {"type": "boolean", "nullable": True},
    "mfa_phone_max_frequency": {
        "type": "integer",
        "nullable": True,
        "minimum": 0,
        "maximum": 32767,
    },
    "mfa_phone_otp_length": {"type": "integer", "nullable": True, "minimum": 0, "maximum": 32767},
    "mfa_phone_template": {"type": "string", "nullable": True},
    "nimbus_oauth_client_id": {"type": "string", "nullable": True},
    "nimbus_oauth_client_secret": {"type": "string", "nullable": True},
    "oauth_server_enabled": {"type": "boolean", "nullable": True},
    "oauth_server_allow_dynamic_registration": {"type": "boolean", "nullable": True},
    "oauth_server_authorization_path": {"type": "string", "nullable": True},
    "custom_oauth_enabled": {"type": "boolean", "nullable": False},
}

# Keys the live API has gained since the saved spec (2026-05-22). The Supabase CLI 3.x
# checks responses against its own newer contract and fails without them.
NEWER_THAN_SPEC_DEFAULTS: dict[str, Any] = {
    "security_update_password_require_current_password": False,
}
NEWER_THAN_SPEC_RULES: dict[str, dict[str, Any]] = {
    "security_update_password_require_current_password": {"type": "boolean", "nullable": True},
}
AUTH_CONFIG_DEFAULTS.update(NEWER_THAN_SPEC_DEFAULTS)
UPDATE_FIELD_RULES.update(NEWER_THAN_SPEC_RULES)

# `AuthConfigResponse` keys the spec declares non-nullable: a PATCH that nulls one of these
# (allowed by some update rules) resets it to its default instead.
RESPONSE_NOT_NULLABLE: frozenset[str] = frozenset(
    [
        "custom_oauth_enabled",
        "custom_oauth_max_providers",
        "mailer_otp_exp",
        "mfa_phone_otp_length",
        "oauth_server_allow_dynamic_registration",
        "oauth_server_enabled",
        "passkey_enabled",
        "sms_otp_length",
    ]
)
