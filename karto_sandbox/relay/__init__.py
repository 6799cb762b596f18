"""The stand-in for mail.smtp2go.com: the SMTP relay (`server`), its certificate (`tls`), the
messages it accepted (`mailbox`), how clients find it (`routing`) and blocked ports."""
