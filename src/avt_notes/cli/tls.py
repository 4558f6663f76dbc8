"""`avt-notes tls make-cert`: a certificate so phones can use the service over the clinic LAN."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avt_notes.cli.app import app

NameOpt = Annotated[
    list[str],
    typer.Option(
        "--name", help="Host name or IP address phones use to reach the server (repeat for more)."
    ),
]
OutDirOpt = Annotated[Path, typer.Option("--out-dir", help="Where to write the files.")]

tls_app = typer.Typer(help="HTTPS for the clinic network.", no_args_is_help=True)
app.add_typer(tls_app, name="tls")


@tls_app.command("make-cert")
def make_cert(
    name: NameOpt,
    out_dir: OutDirOpt = Path("tls"),
) -> None:
    """Make (or reuse) a clinic authority and a server certificate signed by it."""
    from avt_notes.web.tls import make_clinic_certificate

    files = make_clinic_certificate(out_dir, name)
    print(f"server certificate for {', '.join(files.names)}")
    print("  serve with: avt-notes serve --host 0.0.0.0 --port 8443 \\")
    print(f"                --tls-cert {files.server_cert} --tls-key {files.server_key}")
    print(f"  install on each phone (once): {files.authority_cert}")
    print("  keep the .key files private; anyone with avt-notes-ca.key can impersonate the server")
