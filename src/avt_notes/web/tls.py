"""A clinic-LAN certificate: a small private authority and a server certificate it signs.

Phones only give a page the microphone (and WebCrypto) in a secure context, so
a server reached as ``https://clinic.lan:8443`` needs a certificate the phone
trusts. Public authorities do not issue certificates for LAN names, so the
clinic makes its own authority once, installs ``avt-notes-ca.crt`` on each
phone (README: "Phones on the clinic network"), and serves with the server
certificate. The server certificate follows what iOS and Android require:
subjectAltName with every name and address, serverAuth usage, at most 825 days.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from avt_notes.errors import InputError

SERVER_DAYS = 825  # Apple's limit for TLS server certificates
AUTHORITY_DAYS = 3650
CA_CERT = "avt-notes-ca.crt"
CA_KEY = "avt-notes-ca.key"
SERVER_CERT = "server.crt"
SERVER_KEY = "server.key"


_AUTHORITY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


@dataclass(frozen=True)
class CertificateFiles:
    authority_cert: Path  # install this one on the phones
    server_cert: Path  # --tls-cert
    server_key: Path  # --tls-key
    names: tuple[str, ...]


def _alt_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _subject(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "avt-notes clinic"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _authority(out_dir: Path, now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The clinic's authority: reused when it exists, so phones need to trust it only once."""
    cert_path, key_path = out_dir / CA_CERT, out_dir / CA_KEY
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise InputError(f"{key_path} is not the EC key this command writes")
        return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    name = _subject("avt-notes clinic authority")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=AUTHORITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_AUTHORITY_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_key(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def make_clinic_certificate(
    out_dir: Path, names: list[str], now: datetime | None = None
) -> CertificateFiles:
    """Write (or reuse) the authority and a fresh server certificate for `names`."""
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise InputError("give at least one host name or address, e.g. --name clinic.lan")
    now = now or datetime.now(UTC)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    authority, authority_key = _authority(out_dir, now)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_subject(names[0]))
        .issuer_name(authority.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName([_alt_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()),
            critical=False,
        )
        .sign(authority_key, hashes.SHA256())
    )
    server_cert, server_key = out_dir / SERVER_CERT, out_dir / SERVER_KEY
    _write_key(server_key, key)
    # The chain (server, then authority) so clients that were given only the authority verify.
    server_cert.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + authority.public_bytes(serialization.Encoding.PEM)
    )
    return CertificateFiles(out_dir / CA_CERT, server_cert, server_key, tuple(names))
