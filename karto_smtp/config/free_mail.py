"""Free mailbox domains: anyone can sign up for an address there, nobody but the provider
can sign mail for it.

A relay such as SMTP2GO cannot make mail From one of these domains pass DMARC (RFC 7489
§3.1 needs the From domain aligned with an SPF or DKIM domain the relay authenticates), so
receivers that enforce the provider's policy put it in spam or refuse it.

Maintained by hand. Sources: each provider's own sign-up or help pages for the domains it
hands out (Google: gmail.com, googlemail.com; Yahoo; Microsoft Outlook.com: outlook.com,
hotmail.*, live.*, msn.com; Apple iCloud Mail: icloud.com, me.com, mac.com; AOL; Proton;
GMX and WEB.DE; mail.com; Zoho; Yandex; VK Mail.ru: mail.ru, inbox.ru, list.ru, bk.ru,
internet.ru; Rambler&Co's Rambler Mail: rambler.ru, lenta.ru, autorambler.ru,
myrambler.ru, ro.ru, rambler.ua; Tencent QQ Mail; NetEase: 163.com, 126.com, yeah.net).
Add a domain here, with its provider in this list of sources, when users meet one.
"""

from __future__ import annotations

FREE_MAIL_DOMAINS = frozenset(
    {
        # Google
        "gmail.com",
        "googlemail.com",
        # Yahoo
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "ymail.com",
        "rocketmail.com",
        # Microsoft Outlook.com
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "live.com",
        "msn.com",
        # Apple iCloud Mail
        "icloud.com",
        "me.com",
        "mac.com",
        # AOL
        "aol.com",
        # Proton
        "proton.me",
        "protonmail.com",
        "pm.me",
        # GMX, WEB.DE, mail.com
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        # Zoho
        "zohomail.com",
        # Yandex
        "yandex.ru",
        "yandex.com",
        "ya.ru",
        # VK Mail.ru
        "mail.ru",
        "inbox.ru",
        "list.ru",
        "bk.ru",
        "internet.ru",
        # Rambler Mail
        "rambler.ru",
        "lenta.ru",
        "autorambler.ru",
        "myrambler.ru",
        "ro.ru",
        "rambler.ua",
        # Tencent, NetEase
        "qq.com",
        "163.com",
        "126.com",
        "yeah.net",
    }
)


def free_mail_domain(address: str) -> str | None:
    """The free mailbox domain of `address`, or None when it is not one."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    return domain if domain in FREE_MAIL_DOMAINS else None
