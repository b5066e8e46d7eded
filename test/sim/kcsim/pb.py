"""Decode the few Kubernetes protobuf bodies kubectl sends to built-in kinds (typed clients
send application/vnd.kubernetes.protobuf): Namespace, ServiceAccount, TokenRequest, with
the ObjectMeta fields that matter. Answers are always JSON (kubectl also accepts it)."""

MAGIC = b"k8s\x00"


def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(buf):
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 2:
            n, i = _varint(buf, i)
            v = bytes(buf[i:i + n])
            i += n
        elif wt == 1:
            v = buf[i:i + 8]
            i += 8
        elif wt == 5:
            v = buf[i:i + 4]
            i += 4
        else:
            raise ValueError("unsupported protobuf wire type %d" % wt)
        yield num, v


def _s(b):
    return b.decode("utf-8")


def _map(entries):
    out = {}
    for e in entries:
        k = v = ""
        for n, x in fields(e):
            if n == 1:
                k = _s(x)
            elif n == 2:
                v = _s(x)
        out[k] = v
    return out


def _owner(buf):
    o = {}
    names = {1: "kind", 3: "name", 4: "uid", 5: "apiVersion"}
    for n, x in fields(buf):
        if n in names:
            o[names[n]] = _s(x)
        elif n == 6:
            o["controller"] = bool(x)
        elif n == 7:
            o["blockOwnerDeletion"] = bool(x)
    return o


def object_meta(buf):
    m = {}
    labels, annotations, owners, finalizers = [], [], [], []
    strings = {1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}
    for n, x in fields(buf):
        if n in strings:
            m[strings[n]] = _s(x)
        elif n == 11:
            labels.append(x)
        elif n == 12:
            annotations.append(x)
        elif n == 13:
            owners.append(_owner(x))
        elif n == 14:
            finalizers.append(_s(x))
    if labels:
        m["labels"] = _map(labels)
    if annotations:
        m["annotations"] = _map(annotations)
    if owners:
        m["ownerReferences"] = owners
    if finalizers:
        m["finalizers"] = finalizers
    return m


def decode(body):
    """Return the object as a JSON-style dict; ValueError when it is not one we know."""
    if not body.startswith(MAGIC):
        raise ValueError("not a Kubernetes protobuf body")
    api_version = kind = ""
    raw = b""
    for n, x in fields(body[4:]):
        if n == 1:
            for tn, tx in fields(x):
                if tn == 1:
                    api_version = _s(tx)
                elif tn == 2:
                    kind = _s(tx)
        elif n == 2:
            raw = x
    obj = {"apiVersion": api_version, "kind": kind}
    for n, x in fields(raw):
        if n == 1:
            obj["metadata"] = object_meta(x)
        elif kind == "Namespace" and n == 2:
            fins = [_s(v) for fn, v in fields(x) if fn == 1]
            obj["spec"] = {"finalizers": fins} if fins else {}
        elif kind == "ServiceAccount" and n == 3:
            obj["automountServiceAccountToken"] = bool(x)
        elif kind == "TokenRequest" and n == 2:
            spec = {}
            for fn, v in fields(x):
                if fn == 1:
                    spec.setdefault("audiences", []).append(_s(v))
                elif fn == 4:
                    spec["expirationSeconds"] = v
            obj["spec"] = spec
    if kind not in ("Namespace", "ServiceAccount", "TokenRequest"):
        raise ValueError("protobuf is not supported for %s" % (kind or "this object"))
    return obj
