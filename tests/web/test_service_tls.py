"""HTTPS for the clinic LAN: the certificate command and `serve --tls-cert/--tls-key`.

The certificate must verify against the clinic authority for every name it was
made for (by Python's own TLS client against a live server), carry what
phones demand (subjectAltName, serverAuth, at most 825 days), keep its keys
owner-only, and reuse the authority so phones trust it only once.
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from typer.testing import CliRunner

from avt_notes.cli import serve as _serve  # noqa: F401  (registers the command)
from avt_notes.cli import tls as _tls  # noqa: F401
from avt_notes.cli.app import app as cli
from avt_notes.web.tls import SERVER_DAYS, make_clinic_certificate

from browserhelpers import serve


def test_certificate_verifies_against_the_clinic_authority(tmp_path: Path) -> None:
    files = make_clinic_certificate(tmp_path / "tls", ["clinic.lan", "127.0.0.1"])
    with serve(tmp_path, tls=(files.server_cert, files.server_key)) as server:
        trusting = ssl.create_default_context(cafile=str(files.authority_cert))
        response = httpx.get(f"{server.url()}/api/health", verify=trusting)
        assert response.status_code == 200
        # A client that does not trust the clinic authority refuses the connection.
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.url()}/api/health", verify=ssl.create_default_context())


def test_certificate_has_what_phones_require(tmp_path: Path) -> None:
    out = tmp_path / "tls"
    first = make_clinic_certificate(out, ["clinic.lan", "192.168.1.10"])
    authority = first.authority_cert.read_bytes()
    server_pem = first.server_cert.read_bytes()
    cert = x509.load_pem_x509_certificate(server_pem)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["clinic.lan"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["192.168.1.10"]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in usage
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime.days <= SERVER_DAYS
    assert cert.not_valid_before_utc <= datetime.now(UTC)
    for key in (first.server_key, out / "avt-notes-ca.key"):
        assert key.stat().st_mode & 0o777 == 0o600
    # A second run (a new address) reuses the authority the phones already trust.
    second = make_clinic_certificate(out, ["clinic.lan", "192.168.1.11"])
    assert second.authority_cert.read_bytes() == authority
    assert second.server_cert.read_bytes() != server_pem


def test_cli_makes_a_certificate_and_serve_wants_both_files(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["tls", "make-cert", "--name", "clinic.lan", "--out-dir", str(tmp_path / "t")]
    )
    assert result.exit_code == 0, result.output
    assert "--tls-cert" in result.output and "avt-notes-ca.crt" in result.output
    result = runner.invoke(cli, ["serve", "--tls-cert", str(tmp_path / "t" / "server.crt")])
    assert result.exit_code != 0
    assert "--tls-key" in str(result.exception)
