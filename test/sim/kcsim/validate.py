"""Validation, defaulting and pruning of objects, as the apiserver does for the Kuscia CRDs
(schemas of spec/crds.md, see schema.py) and for the few built-in kinds the simulator serves."""

import datetime
import json
import re

from .schema import SCHEMAS
from .store import ApiError

DNS1123_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_QNAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"

META_FIELDS = {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
               "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
               "ownerReferences", "finalizers", "managedFields"}
OWNER_FIELDS = {"apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"}

# Built-in kinds: top-level fields and a loose schema (the simulator only stores them).
BUILTIN = {
    "namespaces": {"type": "object", "props": {
        "spec": {"type": "object", "props": {"finalizers": {"type": "array", "items": {"type": "string"}}}},
        "status": {"type": "object"}}},
    "serviceaccounts": {"type": "object", "props": {
        "secrets": {"type": "array", "items": {"type": "object"}},
        "imagePullSecrets": {"type": "array", "items": {"type": "object"}},
        "automountServiceAccountToken": {"type": "boolean"}}},
}


class FieldErrors:
    def __init__(self, partial=False):
        self.errors = []  # (reason, field, detail)
        self.unknown = []  # field paths
        self.partial = partial  # an apply configuration: required fields may be missing

    def add(self, reason, field, detail):
        if self.partial and reason == "FieldValueRequired":
            return
        self.errors.append((reason, field, detail))


def drop_nulls(v):
    """Remove null members (the apiserver drops null values of non-nullable fields)."""
    if isinstance(v, dict):
        return {k: drop_nulls(x) if isinstance(x, (dict, list)) else x for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [drop_nulls(x) if isinstance(x, (dict, list)) else x for x in v]
    return v


def _jtype(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def _q(v):
    return json.dumps(v, separators=(",", ":"))


def _type_ok(t, v):
    if t == "string":
        return isinstance(v, str)
    if t == "integer":
        return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "boolean":
        return isinstance(v, bool)
    if t == "array":
        return isinstance(v, list)
    if t == "object":
        return isinstance(v, dict)
    return True


def _date_time_ok(s):
    try:
        datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def _free(node):
    return node.get("type") in ("object", "array", None) and not any(k in node for k in ("props", "map", "items"))


def walk(node, v, path, fe, prune):
    """Validate v against node; returns v with unknown fields pruned and integral floats made ints."""
    t = node.get("type")
    if t == "object" and _free(node):
        return v
    if t and not _type_ok(t, v):
        jt = _jtype(v)
        fe.add("FieldValueTypeInvalid", path, "Invalid value: %s: %s in body must be of type %s: %s"
               % (_q(jt), path, t, _q(jt)))
        return v
    if t == "integer" and isinstance(v, float):
        v = int(v)
    if "enum" in node and v not in node["enum"]:
        fe.add("FieldValueNotSupported", path, "Unsupported value: %s: supported values: %s"
               % (_q(v), ", ".join(_q(e) for e in node["enum"])))
    if "pattern" in node and isinstance(v, str) and not re.search(node["pattern"], v):
        fe.add("FieldValueInvalid", path, "Invalid value: %s: %s in body should match '%s'" % (_q(v), path,
                                                                                             node["pattern"]))
    if "min" in node and isinstance(v, (int, float)) and v < node["min"]:
        fe.add("FieldValueInvalid", path, "Invalid value: %s: %s in body should be greater than or equal to %d"
               % (_q(v), path, node["min"]))
    if node.get("format") == "date-time" and isinstance(v, str) and not _date_time_ok(v):
        fe.add("FieldValueTypeInvalid", path, "Invalid value: %s: %s in body must be of type date-time: %s"
               % (_q(v), path, _q(v)))
    if isinstance(v, dict):
        out = {}
        props = node.get("props")
        for k, x in v.items():
            sub = path + "." + k if path else k
            if props is not None and k in props:
                out[k] = walk(props[k], x, sub, fe, prune)
            elif "map" in node:
                out[k] = walk(node["map"], x, "%s[%s]" % (path, k), fe, prune)
            elif props is not None:
                fe.unknown.append(sub)
                if not prune:
                    out[k] = x
            else:
                out[k] = x
        for r in node.get("required", []):
            if r not in v:
                fe.add("FieldValueRequired", (path + "." + r) if path else r, "Required value")
        return out
    if isinstance(v, list) and "items" in node:
        return [walk(node["items"], x, "%s[%d]" % (path, i), fe, prune) for i, x in enumerate(v)]
    return v


def apply_defaults(node, v):
    if not isinstance(node, dict):
        return v
    if isinstance(v, dict) and "props" in node:
        for k, sub in node["props"].items():
            if k not in v and "default" in sub:
                v[k] = sub["default"]
            elif k in v:
                v[k] = apply_defaults(sub, v[k])
    elif isinstance(v, list) and "items" in node:
        return [apply_defaults(node["items"], x) for x in v]
    return v


def _check_meta(meta, kind, fe, prune, creating):
    if not isinstance(meta, dict):
        fe.add("FieldValueTypeInvalid", "metadata", "Invalid value: %s: metadata in body must be of type object: %s"
               % (_q(_jtype(meta)), _q(_jtype(meta))))
        return meta
    out = {}
    for k, x in meta.items():
        if k not in META_FIELDS:
            fe.unknown.append("metadata." + k)
            if prune:
                continue
        out[k] = x
    name = out.get("name")
    if name is not None and not isinstance(name, str):
        fe.add("FieldValueTypeInvalid", "metadata.name", "Invalid value: %s: metadata.name in body must be of type "
               "string: %s" % (_q(_jtype(name)), _q(_jtype(name))))
    elif not name:
        if not (creating and out.get("generateName")):
            fe.add("FieldValueRequired", "metadata.name", "Required value: name or generateName is required")
    else:
        if kind.plural == "namespaces":
            if len(name) > 63 or not re.fullmatch(DNS1123_LABEL, name):
                fe.add("FieldValueInvalid", "metadata.name",
                       "Invalid value: %s: a lowercase RFC 1123 label must consist of lower case alphanumeric "
                       "characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
                       "or '123-abc', regex used for validation is '%s')" % (_q(name), DNS1123_LABEL))
        elif len(name) > 253 or not re.fullmatch(DNS1123_SUBDOMAIN, name):
            fe.add("FieldValueInvalid", "metadata.name",
                   "Invalid value: %s: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                   "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
                   "'example.com', regex used for validation is '%s')" % (_q(name), DNS1123_SUBDOMAIN))
    for field in ("labels", "annotations"):
        m = out.get(field)
        if m is None:
            continue
        if not isinstance(m, dict):
            fe.add("FieldValueTypeInvalid", "metadata." + field, "Invalid value: %s: metadata.%s in body must be of "
                   "type object: %s" % (_q(_jtype(m)), field, _q(_jtype(m))))
            continue
        for k, x in m.items():
            p = "metadata.%s" % field
            if not isinstance(x, str):
                fe.add("FieldValueTypeInvalid", "%s.%s" % (p, k), "Invalid value: %s: %s.%s in body must be of type "
                       "string: %s" % (_q(_jtype(x)), p, k, _q(_jtype(x))))
                continue
            prefix, _, nm = k.rpartition("/")
            if not nm or len(nm) > 63 or not re.fullmatch(_QNAME, nm) or \
                    (prefix and (len(prefix) > 253 or not re.fullmatch(DNS1123_SUBDOMAIN, prefix))):
                fe.add("FieldValueInvalid", p, "Invalid value: %s: name part must consist of alphanumeric characters, "
                       "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
                       "'my.name',  or '123-abc', regex used for validation is '%s')" % (_q(k), _QNAME))
            if field == "labels" and x and (len(x) > 63 or not re.fullmatch(_QNAME, x)):
                fe.add("FieldValueInvalid", p, "Invalid value: %s: a valid label must be an empty string or consist of "
                       "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                       "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                       "'(%s)?')" % (_q(x), _QNAME))
    refs = out.get("ownerReferences")
    if refs is not None:
        if not isinstance(refs, list):
            fe.add("FieldValueTypeInvalid", "metadata.ownerReferences", "Invalid value: %s: metadata.ownerReferences "
                   "in body must be of type array: %s" % (_q(_jtype(refs)), _q(_jtype(refs))))
        else:
            for i, r in enumerate(refs):
                if not isinstance(r, dict):
                    continue
                for k in r:
                    if k not in OWNER_FIELDS:
                        fe.unknown.append("metadata.ownerReferences[%d].%s" % (i, k))
    return out


def check(kind, obj, strict, creating=False, subresource=None, partial=False):
    """Validate and normalise obj (a full object; partial: an apply configuration).
    Returns (obj, warnings); raises ApiError 422."""
    fe = FieldErrors(partial)
    prune = strict != "Strict"
    obj = drop_nulls(obj)
    if kind.kuscia:
        schema = SCHEMAS.get(kind.plural, {"type": "object", "props": {"spec": {"type": "object"},
                                                                         "status": {"type": "object"}}})
        top = {"apiVersion", "kind", "metadata", "spec", "status"}
    else:
        schema = BUILTIN[kind.plural]
        top = {"apiVersion", "kind", "metadata"} | set(schema["props"])
    out = {}
    for k, v in obj.items():
        if k not in top:
            fe.unknown.append(k)
            if prune:
                continue
        out[k] = v
    out["metadata"] = _check_meta(out.get("metadata", {}), kind, fe, prune, creating)
    props = dict(schema.get("props", {}))
    if kind.kuscia and "status" not in props:
        props["status"] = {"type": "object"}
    for k in list(out):
        if k in props:
            node = props[k]
            if k == "status" and subresource != "status":
                # status is not validated through the main resource (it is dropped there)
                continue
            out[k] = apply_defaults(node, out[k])
            out[k] = walk(node, out[k], k, fe, prune)
    for r in schema.get("required", []):
        if r not in out and subresource != "status":
            fe.add("FieldValueRequired", r, "Required value")
    warnings = []
    if fe.unknown:
        if strict == "Strict":
            for u in fe.unknown:
                fe.add("FieldValueInvalid", u, 'unknown field "%s"' % u)
        elif strict == "Warn":
            warnings = ['unknown field "%s"' % u for u in fe.unknown]
    if fe.errors:
        raise invalid(kind, (obj.get("metadata") or {}).get("name", ""), fe.errors)
    return out, warnings


def invalid(kind, name, errors):
    """422 Invalid Status as the apiserver words it."""
    parts = []
    causes = []
    for reason, field, detail in errors:
        if detail.startswith("unknown field") or detail.startswith("duplicate field"):
            parts.append(detail)
        else:
            parts.append("%s: %s" % (field, detail))
        causes.append({"reason": reason, "message": detail, "field": field})
    what = "%s.%s" % (kind.kind, kind.group) if kind.group else kind.kind
    body = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    details = {"name": name}
    if kind.group:
        details["group"] = kind.group
    details["kind"] = kind.kind
    details["causes"] = causes
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (what, name, body), details)
