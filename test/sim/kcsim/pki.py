"""Keys and certificates of a simulated Kuscia node (RSA 2048, SHA-256).

Layout written by write_node_pki(root, domain):
  var/certs/domain.key, ca.key      the node key (identical, as Kuscia writes both from domainKeyData)
  var/certs/domain.crt, ca.crt      self-signed, CN=<domain>, CA:true (Kuscia's template)
  var/certs/token                   KusciaAPI token (32 chars, no newline)
  var/certs/kusciaapi-server.*      CN=KusciaAPI, issued by the CA
  var/certs/kusciaapi-client.*      CN=KusciaAPIClient, issued by the CA
  sim/certs/external_tls.*          gateway certificate CN=<domain>_ENVOY_EXTERNAL, IP SAN 127.0.0.1
  sim/certs/apiserver.*             Kubernetes API server certificate (IP SAN 127.0.0.1)
  sim/certs/admin.*                 kubeconfig client certificate (CN=system:admin, O=system:masters)
  sim/certs/sa.key                  service-account token signing key
Only two RSA keys are generated (in parallel): the node key and one auxiliary key that the
simulator-only and KusciaAPI certificates share.
"""

import base64
import datetime
import ipaddress
import os
import socket
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def gen_keys(n):
    """Generate n RSA-2048 keys in parallel threads (OpenSSL releases the GIL)."""
    out = [None] * n

    def one(i):
        out[i] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def key_pem(key):
    """PKCS#1 PEM, as Kuscia's generate_rsa_key.sh (openssl genrsa -traditional) writes it."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def load_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def load_cert(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def public_key_string(pub):
    """Kuscia's canonical public-key string: base64 of the PKCS#1 'RSA PUBLIC KEY' PEM text."""
    pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    return base64.b64encode(pem).decode()


def kusciaapi_token(key, domain):
    """base64(RSA-PKCS1v15-SHA256 signature of the domain ID)[:32] (gen_kusciaapi_token.sh)."""
    sig = key.sign(domain.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(sig).decode()[:32]


def _name(cn, org=None):
    attrs = []
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def self_signed_ca(key, cn, serial=1, years=50):
    """Kuscia's domain.crt / ca.crt template: serial 1, 50 years, CA:true,
    keyUsage digitalSignature+certSign, extKeyUsage clientAuth+serverAuth."""
    now = _now()
    name = _name(cn)
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
         .serial_number(serial).not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=365 * years))
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                      crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]),
                        critical=False)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    return b.sign(key, hashes.SHA256())


def issue(ca_key, ca_cert, pub, cn, org=None, dns=(), ips=(), server=False, client=False, days=3650):
    now = _now()
    b = (x509.CertificateBuilder().subject_name(_name(cn, org)).issuer_name(ca_cert.subject).public_key(pub)
         .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                      crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
    usages = []
    if server:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    if client:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    if usages:
        b = b.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return b.sign(ca_key, hashes.SHA256())


def _write(path, data, mode):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def write_node_pki(root, domain):
    """Create every key and certificate of a node. Returns a dict of useful values."""
    node_key, aux_key = gen_keys(2)
    certs = os.path.join(root, "var", "certs")
    simc = os.path.join(root, "sim", "certs")
    node_pem = key_pem(node_key)
    aux_pem = key_pem(aux_key)
    ca_cert = self_signed_ca(node_key, domain)
    dom_cert = self_signed_ca(node_key, domain)
    _write(os.path.join(certs, "domain.key"), node_pem, 0o600)
    _write(os.path.join(certs, "ca.key"), node_pem, 0o600)
    _write(os.path.join(certs, "domain.crt"), cert_pem(dom_cert), 0o644)
    _write(os.path.join(certs, "ca.crt"), cert_pem(ca_cert), 0o644)
    _write(os.path.join(certs, "token"), kusciaapi_token(node_key, domain).encode(), 0o644)
    host = socket.gethostname() or "localhost"
    dns = ["kusciaapi", "localhost"] + ([host] if host not in ("kusciaapi", "localhost") else [])
    api_srv = issue(node_key, ca_cert, aux_key.public_key(), "KusciaAPI", dns=dns, ips=["127.0.0.1"])
    _write(os.path.join(certs, "kusciaapi-server.key"), aux_pem, 0o600)
    _write(os.path.join(certs, "kusciaapi-server.crt"), cert_pem(api_srv), 0o644)
    api_cli = issue(node_key, ca_cert, aux_key.public_key(), "KusciaAPIClient", client=True, days=1000)
    _write(os.path.join(certs, "kusciaapi-client.key"), aux_pem, 0o600)
    _write(os.path.join(certs, "kusciaapi-client.crt"), cert_pem(api_cli), 0o644)
    ext = issue(node_key, ca_cert, aux_key.public_key(), domain + "_ENVOY_EXTERNAL", ips=["127.0.0.1"], server=True)
    _write(os.path.join(simc, "external_tls.key"), aux_pem, 0o600)
    _write(os.path.join(simc, "external_tls.crt"), cert_pem(ext), 0o644)
    # k3s serves its API and signs its admin client certificate with ECDSA P-256 keys: as fast
    # to handshake as the real thing
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = key_pem(ec_key)
    k8s = issue(node_key, ca_cert, ec_key.public_key(), "k3s", org="k3s", dns=["localhost", "kubernetes"],
                ips=["127.0.0.1"], server=True)
    _write(os.path.join(simc, "apiserver.key"), ec_pem, 0o600)
    _write(os.path.join(simc, "apiserver.crt"), cert_pem(k8s), 0o644)
    admin = issue(node_key, ca_cert, ec_key.public_key(), "system:admin", org="system:masters", client=True)
    _write(os.path.join(simc, "admin.key"), ec_pem, 0o600)
    _write(os.path.join(simc, "admin.crt"), cert_pem(admin), 0o644)
    _write(os.path.join(simc, "sa.key"), aux_pem, 0o600)
    return {
        "node_key_pem": node_pem,
        "ca_pem": cert_pem(ca_cert),
        "domain_crt_pem": cert_pem(dom_cert),
        "admin_crt_pem": cert_pem(admin),
        "admin_key_pem": ec_pem,
    }
