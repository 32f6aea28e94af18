"""A self-managed CA and serving certificate for the webhook server, kept in a Secret.

Every manager replica reads the same Secret, so all of them serve certificates the registered
caBundle trusts. The serving certificate is re-issued when less than `rotate_before` of its
validity remains; the CA lives much longer, so a rotation does not break in-flight trust.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kruise.client.errors import AlreadyExists, Conflict, NotFound
from kruise.client.resources import SECRETS
from kruise.client.rest import Client

log = logging.getLogger("kruise.webhooks.certs")


@dataclass(frozen=True)
class CertBundle:
    ca_pem: bytes
    ca_key_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    @property
    def not_after(self) -> dt.datetime:
        return x509.load_pem_x509_certificate(self.cert_pem).not_valid_after_utc

    def covers(self, dns_names: list[str], ips: list[str]) -> bool:
        cert = x509.load_pem_x509_certificate(self.cert_pem)
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return False
        have_dns = set(san.get_values_for_type(x509.DNSName))
        have_ip = {str(i) for i in san.get_values_for_type(x509.IPAddress)}
        return set(dns_names) <= have_dns and set(ips) <= have_ip


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _new_ca(now: dt.datetime, days: int) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kruise-webhook-ca")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


def issue(
    dns_names: list[str],
    ips: list[str],
    *,
    validity: dt.timedelta,
    ca: tuple[bytes, bytes] | None = None,
    ca_days: int = 3650,
) -> CertBundle:
    """A serving certificate for the names, signed by `ca` (PEM cert, PEM key) or by a new CA."""
    now = dt.datetime.now(dt.UTC)
    ca_pem, ca_key_pem = ca or _new_ca(now, ca_days)
    ca_cert = x509.load_pem_x509_certificate(ca_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_names[0] if dns_names else ips[0])])
        )
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + validity)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return CertBundle(ca_pem, ca_key_pem, cert.public_bytes(serialization.Encoding.PEM), _pem_key(key))


_KEYS = {"ca.crt": "ca_pem", "ca.key": "ca_key_pem", "tls.crt": "cert_pem", "tls.key": "key_pem"}


def to_secret_data(bundle: CertBundle) -> dict[str, str]:
    return {k: base64.b64encode(getattr(bundle, attr)).decode() for k, attr in _KEYS.items()}


def from_secret(secret: dict[str, Any]) -> CertBundle | None:
    data = secret.get("data") or {}
    try:
        return CertBundle(**{attr: base64.b64decode(data[k]) for k, attr in _KEYS.items()})
    except (KeyError, ValueError):
        return None


@dataclass
class CertManager:
    """Keeps the Secret's certificate valid; `ensure()` returns the bundle to serve."""

    client: Client
    namespace: str
    secret_name: str
    dns_names: list[str]
    ips: list[str]
    validity: dt.timedelta = dt.timedelta(days=365)
    rotate_before: dt.timedelta = dt.timedelta(days=90)

    def _fresh(self, bundle: CertBundle | None) -> bool:
        if bundle is None or not bundle.covers(self.dns_names, self.ips):
            return False
        return bundle.not_after - dt.datetime.now(dt.UTC) > self.rotate_before

    async def ensure(self) -> CertBundle:
        for _ in range(5):
            try:
                secret = await self.client.get(SECRETS, self.secret_name, namespace=self.namespace)
            except NotFound:
                secret = None
            current = from_secret(secret) if secret else None
            if self._fresh(current):
                assert current is not None
                return current
            ca = (current.ca_pem, current.ca_key_pem) if current else None
            bundle = issue(self.dns_names, self.ips, validity=self.validity, ca=ca)
            body = {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "kubernetes.io/tls",
                "metadata": {"name": self.secret_name, "namespace": self.namespace},
                "data": to_secret_data(bundle),
            }
            try:
                if secret is None:
                    await self.client.create(SECRETS, body, namespace=self.namespace)
                else:
                    body["metadata"]["resourceVersion"] = secret["metadata"]["resourceVersion"]
                    await self.client.update(SECRETS, body, namespace=self.namespace)
            except (AlreadyExists, Conflict):
                continue  # another replica wrote it first: use theirs
            log.info(
                "event=webhook_cert_issued secret=%s/%s not_after=%s",
                self.namespace,
                self.secret_name,
                bundle.not_after.isoformat(),
            )
            return bundle
        raise RuntimeError("could not settle the webhook certificate Secret after 5 attempts")
