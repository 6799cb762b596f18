"""The sandbox's TLS identity: one self-signed certificate for every name the relay answers as.

The certificate is its own trust anchor (basicConstraints CA=True), so a client only has to
add `cert_file` to its store (`KARTO_SMTP_CA_FILE`) and keep full verification on while
talking to "mail.smtp2go.com" at a loopback address.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

RELAY_HOSTS = (
    "mail.smtp2go.com",
    "mail-us.smtp2go.com",
    "mail-eu.smtp2go.com",
    "mail-eu2.smtp2go.com",
    "mail-au.smtp2go.com",
)
DNS_NAMES = ("localhost", *RELAY_HOSTS)
IP_ADDRESSES = ("127.0.0.1",)
VALIDITY = dt.timedelta(days=365)
# A persisted certificate closer than this to expiry is replaced at start.
RENEW_BEFORE = dt.timedelta(days=7)


def generate_certificate() -> tuple[bytes, bytes]:
    """A new (certificate PEM, private key PEM) pair on an EC P-256 key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "karto-smtp sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, "karto-smtp sandbox relay"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    public_key = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(n) for n in DNS_NAMES]
                + [x509.IPAddress(ipaddress.ip_address(a)) for a in IP_ADDRESSES]
            ),
            critical=False,
        )
        # Strict verifiers (Python 3.13's VERIFY_X509_STRICT) want both key identifiers.
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert_pem, key_pem


def _still_valid(cert_pem: bytes) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        return False
    return cert.not_valid_after_utc - dt.datetime.now(dt.UTC) > RENEW_BEFORE


class SandboxTls:
    """A certificate and key on disk, made now or reused from `pem` when still valid.

    `directory`: where to write `ca.pem` and `key.pem` (a temporary directory, removed by
    `cleanup()`, when None).
    """

    def __init__(
        self, directory: Path | None = None, pem: tuple[bytes, bytes] | None = None
    ) -> None:
        self._temporary = directory is None
        self.directory = (
            Path(tempfile.mkdtemp(prefix="karto-sandbox-tls-")) if directory is None else directory
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        if pem is None or not _still_valid(pem[0]):
            pem = generate_certificate()
        self.cert_pem, self.key_pem = pem
        self.cert_file = self.directory / "ca.pem"
        self.key_file = self.directory / "key.pem"
        self.cert_file.write_bytes(self.cert_pem)
        self.key_file.touch(mode=0o600)
        self.key_file.write_bytes(self.key_pem)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self, system_store: bool = False) -> ssl.SSLContext:
        """A verifying client context that trusts this certificate (and, with
        `system_store`, the system's CAs too)."""
        if not system_store:
            return ssl.create_default_context(cafile=str(self.cert_file))
        context = ssl.create_default_context()
        context.load_verify_locations(cafile=str(self.cert_file))
        return context

    def cleanup(self) -> None:
        """Remove the files when they live in a temporary directory made for them."""
        if self._temporary:
            shutil.rmtree(self.directory, ignore_errors=True)
