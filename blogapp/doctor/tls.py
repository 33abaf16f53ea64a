"""The TLS certificate ``SITE_URL`` serves, read through a real handshake."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509


@dataclass(frozen=True)
class Certificate:
    not_after: datetime
    trusted: bool
    problem: str = ""  # why it is not trusted


def fetch_certificate(
    host: str, port: int, timeout: float, cafile: str | None = None
) -> Certificate:
    """Connect, read the certificate's expiry, and say whether a client would trust it
    for ``host`` (the system's CAs, or ``cafile``). Raises OSError when there is no
    TLS server to ask."""
    lenient = ssl.create_default_context()
    lenient.check_hostname = False
    lenient.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        lenient.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if der is None:
        raise ssl.SSLError("the server sent no certificate")
    not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
    strict = ssl.create_default_context(cafile=cafile)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            strict.wrap_socket(raw, server_hostname=host),
        ):
            pass
    except ssl.SSLCertVerificationError as error:
        return Certificate(not_after, False, error.verify_message or str(error))
    return Certificate(not_after, True)
