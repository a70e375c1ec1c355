"""Throwaway TLS certificates made with the real OpenSSL command line."""

from __future__ import annotations

import subprocess
from pathlib import Path


def self_signed_certificate(directory: Path, names: tuple[str, ...] = ("DNS:localhost", "IP:127.0.0.1")) -> tuple[Path, Path]:
    """A P-256 certificate valid for a day for `names` (subjectAltName entries) and its key; the certificate
    is its own CA, so a client trusts it by adding it as one (CA_FILE)."""
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                    "-subj", "/CN=chatixia-test", "-addext", f"subjectAltName={','.join(names)}",
                    "-keyout", str(key), "-out", str(certificate)], check=True, capture_output=True)
    return certificate, key
