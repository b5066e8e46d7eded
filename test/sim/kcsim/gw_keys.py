"""Keys, tokens and times of the RSA-GEN handshake (spec/routes-and-tokens.md §2, §3).

Shared by gateway.py (the handshake server), routes.py (the handshake client and the
route controller) and kusciaapi.py (route status times).
"""

import base64
import datetime
import hashlib
import json
import os
import socket
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

PREFIX = b"kuscia"
HALF = 16                           # random bytes per side
SESSION_LEN = len(PREFIX) + HALF    # 22: the plaintext of a token half
KUSCIA_VERSION = "v0.14.0b0"        # what the sim's gateway and KusciaAPI report


class KeyError_(ValueError):
    """A key or certificate that does not decode."""


# --- public keys -------------------------------------------------------------------------

def pub_pem(pub):
    """PKCS#1 'RSA PUBLIC KEY' PEM bytes, as Go's pem.EncodeToMemory writes them."""
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)


def pub_string(pub):
    """Kuscia's canonical public-key string: base64 of the PKCS#1 PEM text."""
    return base64.b64encode(pub_pem(pub)).decode()


def pub_from_string(s):
    """The inverse of pub_string (also accepts a PKIX PEM); raises KeyError_."""
    if not s:
        raise KeyError_("public key is empty")
    try:
        pem = base64.b64decode(s, validate=True)
    except Exception as e:
        raise KeyError_("must be based64 encoded string") from e
    try:
        key = serialization.load_pem_public_key(pem)
    except Exception as e:
        raise KeyError_("invalid public key: %s" % e) from e
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyError_("not an RSA public key")
    return key


def pubhash_of_string(s):
    """base64(SHA-256(PEM text)) of a canonical key string (44 characters)."""
    pem = base64.b64decode(s)
    return base64.b64encode(hashlib.sha256(pem).digest()).decode()


def pubhash(pub):
    return base64.b64encode(hashlib.sha256(pub_pem(pub)).digest()).decode()


def cert_from_b64(b64):
    """Domain.spec.cert (base64 of a PEM certificate) -> x509.Certificate; raises KeyError_."""
    if not b64:
        raise KeyError_("cert is nil")
    try:
        pem = base64.b64decode(b64)
        return x509.load_pem_x509_certificate(pem)
    except Exception as e:
        raise KeyError_("cert format error: %s" % e) from e


def key_string_from_cert_b64(b64):
    cert = cert_from_b64(b64)
    pub = cert.public_key()
    if not isinstance(pub, rsa.RSAPublicKey):
        raise KeyError_("cert format error: not an RSA key")
    return pub_string(pub)


def load_private_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


# --- token halves ----------------------------------------------------------------------

def encrypt_half(pub, half):
    """base64(RSA-PKCS#1 v1.5(pub, "kuscia" || half))."""
    assert len(half) == HALF
    return base64.b64encode(pub.encrypt(PREFIX + half, padding.PKCS1v15())).decode()


def decrypt_half(priv, b64):
    """The 16 bytes of a token half, or ValueError (one failure for every cause, like Go's
    constant-time session-key decryption with a 22-byte buffer)."""
    try:
        ct = base64.b64decode(b64, validate=True)
        pt = priv.decrypt(ct, padding.PKCS1v15())
    except Exception as e:
        raise ValueError("crypto/rsa: decryption error") from e
    if len(pt) != SESSION_LEN or not pt.startswith(PREFIX):
        raise ValueError("token prefix mismatch")
    return pt[len(PREFIX):]


def seal_for_self(pub, token32):
    """A full token as stored in a DomainRoute status: encrypted to the owner's own key."""
    return base64.b64encode(pub.encrypt(token32, padding.PKCS1v15())).decode()


def unseal(priv, b64):
    """The 32 raw bytes of a stored token; ValueError when it is not ours."""
    try:
        pt = priv.decrypt(base64.b64decode(b64), padding.PKCS1v15())
    except Exception as e:
        raise ValueError("decrypt token failed") from e
    if len(pt) != 2 * HALF:
        raise ValueError("decrypt token failed: bad length")
    return pt


def wire_token(token32):
    """What travels in Kuscia-Token: base64 of the 32 bytes, 44 characters."""
    return base64.b64encode(token32).decode()


def random_half():
    return os.urandom(HALF)


# --- Go-style JSON ----------------------------------------------------------------------

def go_json(obj):
    """encoding/json output: compact, <>& escaped, one trailing newline (as Go's Encoder)."""
    s = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (s + "\n").encode()


# --- times ------------------------------------------------------------------------------

def fmt_time(t=None, fine=False):
    """RFC 3339 UTC as Kubernetes writes metav1.Time; with fine=True (a time-scaled node)
    milliseconds are kept so that scaled intervals below one second stay measurable."""
    if t is None:
        t = time.time()
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    if fine:
        return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    """Seconds since the epoch of an RFC 3339 string, or None."""
    if not s or not isinstance(s, str):
        return None
    try:
        v = s.replace("Z", "+00:00")
        return datetime.datetime.fromisoformat(v).timestamp()
    except ValueError:
        return None


def go_time_string(s):
    """A stored RFC 3339 time in Go's time.Time.String() form: '2024-08-14 14:52:03 +0000 UTC'."""
    t = parse_time(s)
    if t is None:
        return "0001-01-01 00:00:00 +0000 UTC"
    d = datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc)
    return d.strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


# --- node facts --------------------------------------------------------------------------

def instance_name(node):
    """The gateway instance (upstream: the container hostname, lower-cased)."""
    v = getattr(node, "instance", None)
    if v:
        return str(v)
    user = os.environ.get("USER") or "root"
    return ("%s-kuscia-autonomy-%s" % (user, node.domain)).lower()


def kuscia_version(node):
    return getattr(node, "kuscia_version", None) or KUSCIA_VERSION


_own = {}
_own_lock = threading.Lock()


def own_key(node):
    """(private key, canonical public-key string) of the node's var/certs/domain.key."""
    path = _domain_key_path(node)
    try:
        st = os.stat(path)
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = None
    with _own_lock:
        hit = _own.get(path)
        if hit and hit[0] == stamp:
            return hit[1], hit[2]
        priv = load_private_key(path)
        pub = pub_string(priv.public_key())
        _own[path] = (stamp, priv, pub)
        return priv, pub


def _domain_key_path(node):
    for attr in ("domain_key", "domain_key_path"):
        v = getattr(node, attr, None)
        if isinstance(v, str) and v:
            return v
    return os.path.join(str(node.root), "var", "certs", "domain.key")


def log(node, level, msg):
    try:
        node.log(level, msg)
    except Exception:  # the log must never break a request
        pass


def host_ipv4(host):
    """IPv4 address of an endpoint host (gateway clusters are STRICT_DNS, IPv4 only)."""
    return socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
