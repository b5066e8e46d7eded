"""JSON merge patch (RFC 7386), JSON patch (RFC 6902), the strategic-merge subset used on
built-in kinds, a small YAML reader for apply bodies, and field ownership (managedFields) for
server-side apply."""

import json
import re

from .store import ApiError, now_rfc3339


def jcopy(v):
    """A deep copy of a JSON value (dicts, lists, scalars), much cheaper than copy.deepcopy."""
    if isinstance(v, dict):
        return {k: jcopy(x) if isinstance(x, (dict, list)) else x for k, x in v.items()}
    if isinstance(v, list):
        return [jcopy(x) if isinstance(x, (dict, list)) else x for x in v]
    return v


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return jcopy(patch)
    out = jcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def strategic_merge_patch(target, patch):
    """Merge patch that ignores the $-directives (enough for Namespace and ServiceAccount)."""
    def strip(p):
        if isinstance(p, dict):
            return {k: strip(v) for k, v in p.items() if not k.startswith("$")}
        return p
    return merge_patch(target, strip(patch))


def _bad(msg):
    return ApiError(422, "Invalid", msg)


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise _bad('the server rejected our request due to an error in our request: invalid JSON pointer "%s"' % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc, parts):
    cur = doc
    for p in parts:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise _bad("the server rejected our request due to an error in our request")
    return cur


def json_patch(doc, ops):
    doc = jcopy(doc)
    if not isinstance(ops, list):
        raise ApiError(400, "BadRequest", "json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    for op in ops:
        if not isinstance(op, dict) or "op" not in op:
            raise ApiError(400, "BadRequest", "the server rejected our request due to an error in our request")
        kind = op["op"]
        parts = _pointer(op.get("path", ""))

        def put(d, ps, value, replace):
            if not ps:
                return value
            parent = _walk(d, ps[:-1])
            last = ps[-1]
            if isinstance(parent, dict):
                if replace and last not in parent:
                    raise _bad('replace operation does not apply: doc is missing key: %s' % op.get("path"))
                parent[last] = value
            elif isinstance(parent, list):
                if last == "-":
                    parent.append(value)
                elif last.isdigit() and int(last) <= len(parent):
                    if replace:
                        parent[int(last)] = value
                    else:
                        parent.insert(int(last), value)
                else:
                    raise _bad("add operation does not apply: index out of range")
            else:
                raise _bad("the server rejected our request due to an error in our request")
            return d

        def remove(d, ps):
            parent = _walk(d, ps[:-1])
            last = ps[-1]
            if isinstance(parent, dict) and last in parent:
                return parent.pop(last)
            if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
                return parent.pop(int(last))
            raise _bad('remove operation does not apply: doc is missing path: "%s"' % op.get("path"))

        if kind == "add":
            doc = put(doc, parts, jcopy(op.get("value")), False)
        elif kind == "replace":
            doc = put(doc, parts, jcopy(op.get("value")), True)
        elif kind == "remove":
            remove(doc, parts)
        elif kind in ("move", "copy"):
            src = _pointer(op.get("from", ""))
            val = jcopy(_walk(doc, src))
            if kind == "move":
                remove(doc, src)
            doc = put(doc, parts, val, False)
        elif kind == "test":
            if _walk(doc, parts) != op.get("value"):
                raise _bad("the server rejected our request due to an error in our request: testing value %s "
                           "failed" % op.get("path"))
        else:
            raise _bad('Unexpected kind: %s' % kind)
    return doc


# ---- a small YAML reader (block mappings/sequences, flow collections, plain/quoted scalars) --------

class YamlError(ValueError):
    pass


def _scalar(s):
    s = s.strip()
    if s == "" or s in ("~", "null", "Null", "NULL"):
        return None
    if s[0] == '"':
        return json.loads(s)
    if s[0] == "'":
        return s[1:-1].replace("''", "'")
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if re.fullmatch(r"[-+]?[0-9]+", s):
        return int(s)
    if re.fullmatch(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", s):
        return float(s)
    return s


def _flow(s):
    """Flow collections: turn [a, 'b'] / {k: v} into JSON-ish and parse."""
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c in "[]{},:":
            out.append(c)
            i += 1
        elif c.isspace():
            i += 1
        elif c in "\"'":
            j = i + 1
            while j < len(s) and not (s[j] == c and (c == "'" and s[j + 1:j + 2] != "'" or c == '"' and s[j - 1] != "\\")):
                j += 2 if (c == "'" and s[j:j + 2] == "''") else 1
            out.append(json.dumps(_scalar(s[i:j + 1])))
            i = j + 1
        else:
            j = i
            while j < len(s) and s[j] not in ",]}" and not (s[j] == ":" and (j + 1 == len(s) or s[j + 1] in " ,]}")):
                j += 1
            out.append(json.dumps(_scalar(s[i:j])))
            i = j
    try:
        return json.loads("".join(out))
    except ValueError as e:
        raise YamlError(str(e))


def _strip_comment(line):
    q = None
    for i, c in enumerate(line):
        if q:
            if c == q:
                q = None
        elif c in "\"'":
            q = c
        elif c == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def yaml_load(text):
    lines = []
    for raw in text.splitlines():
        if raw.strip() in ("---", "...") and not lines:
            continue
        if raw.strip() == "---":
            raise YamlError("multiple documents are not supported")
        s = _strip_comment(raw)
        if s.strip():
            if "\t" in s[:len(s) - len(s.lstrip())]:
                raise YamlError("tabs are not allowed for indentation")
            lines.append((len(s) - len(s.lstrip()), s.strip()))
    pos = [0]

    def value_of(text, indent):
        if text == "":
            if pos[0] < len(lines) and (lines[pos[0]][0] > indent or
                                        (lines[pos[0]][0] == indent and lines[pos[0]][1].startswith("- "))):
                return block(lines[pos[0]][0])
            return None
        if text[0] in "[{":
            return _flow(text)
        if text in ("|", "|-", ">", ">-"):
            buf = []
            while pos[0] < len(lines) and lines[pos[0]][0] > indent:
                buf.append(lines[pos[0]][1])
                pos[0] += 1
            joined = ("\n" if text[0] == "|" else " ").join(buf)
            return joined if text.endswith("-") else joined + "\n"
        return _scalar(text)

    def split_key(text):
        m = re.match(r'^("(?:[^"\\]|\\.)*"|\'(?:[^\']|\'\')*\'|[^:#]+?)\s*:(?:\s+(.*)|$)', text)
        if not m or text.startswith("- ") or text[0] in "[{":
            return None
        return _scalar(m.group(1)) if m.group(1)[0] in "\"'" else m.group(1).strip(), (m.group(2) or "").strip()

    def block(indent):
        if lines[pos[0]][1].startswith("- ") or lines[pos[0]][1] == "-":
            seq = []
            while pos[0] < len(lines) and lines[pos[0]][0] == indent and (
                    lines[pos[0]][1].startswith("- ") or lines[pos[0]][1] == "-"):
                rest = lines[pos[0]][1][2:].strip() if lines[pos[0]][1] != "-" else ""
                pos[0] += 1
                kv = split_key(rest) if rest else None
                if kv is not None:
                    # "- key: value" opens a mapping whose other keys sit at indent + 2
                    lines.insert(pos[0], (indent + 2, rest))
                    seq.append(block(indent + 2))
                else:
                    seq.append(value_of(rest, indent))
            return seq
        m = {}
        while pos[0] < len(lines) and lines[pos[0]][0] == indent:
            kv = split_key(lines[pos[0]][1])
            if kv is None:
                raise YamlError("line %r: expected a mapping key" % lines[pos[0]][1])
            pos[0] += 1
            k, rest = kv
            if k in m:
                raise YamlError('duplicate key "%s"' % k)
            m[k] = value_of(rest, indent)
        return m

    if not lines:
        return None
    if len(lines) == 1 and lines[0][1][0] in "[{":
        return _flow(lines[0][1])
    doc = block(lines[0][0])
    if pos[0] != len(lines):
        raise YamlError("line %r: bad indentation" % lines[pos[0]][1])
    return doc


# ---- field ownership ---------------------------------------------------------------------------

SKIP_META = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
             "selfLink", "deletionTimestamp"}


def leaf_paths(obj, status=False):
    """Set of field paths (tuples) an object sets; lists are atomic (CRD default)."""
    out = set()

    def rec(v, path):
        if isinstance(v, dict) and v:
            for k, x in v.items():
                rec(x, path + (k,))
        else:
            out.add(path)

    for k, v in obj.items():
        if k in ("apiVersion", "kind"):
            continue
        if (k == "status") != status:
            continue
        if k == "metadata":
            for mk, mv in (v or {}).items():
                if mk in SKIP_META:
                    continue
                rec(mv, ("metadata", mk))
            continue
        rec(v, (k,))
    return out


def get_path(obj, path):
    cur = obj
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return None, False
        cur = cur[p]
    return cur, True


def del_path(obj, path):
    cur = obj
    stack = []
    for p in path[:-1]:
        if not isinstance(cur, dict) or p not in cur:
            return
        stack.append((cur, p))
        cur = cur[p]
    if isinstance(cur, dict):
        cur.pop(path[-1], None)
    # remove maps left empty by the removal
    while stack:
        parent, key = stack.pop()
        if parent[key] == {}:
            del parent[key]
        else:
            break


def deep_merge(live, cfg):
    if not isinstance(live, dict) or not isinstance(cfg, dict):
        return jcopy(cfg)
    return merge_into(jcopy(live), cfg)


def merge_into(out, cfg):
    """deep_merge onto out, a private copy, in place (cfg's values are copied)."""
    for k, v in cfg.items():
        cur = out.get(k)
        if isinstance(v, dict) and isinstance(cur, dict):
            merge_into(cur, v)
        else:
            out[k] = jcopy(v)
    return out


def fields_v1(paths):
    root = {}
    for p in sorted(paths):
        cur = root
        for seg in p:
            cur = cur.setdefault("f:" + seg, {})
    return root


def paths_of_fields_v1(fv):
    out = set()

    def rec(d, path):
        keys = [k for k in d if k.startswith("f:")]
        if not keys:
            if path:
                out.add(path)
            return
        for k in keys:
            rec(d[k], path + (k[2:],))

    rec(fv or {}, ())
    return out


def _now():
    return now_rfc3339()


def _time_of(obj, manager, operation, subresource):
    for e in _entries(obj or {}):
        if e.get("manager") == manager and e.get("operation") == operation and e.get("subresource") == subresource:
            return e.get("time") or _now()
    return _now()


def _entries(obj):
    return list((obj.get("metadata") or {}).get("managedFields") or [])


def record_update(old, new, manager, api_version, subresource=None):
    """Give `manager` (operation Update) the fields that changed between old and new."""
    status = subresource == "status"
    newp = leaf_paths(new, status)
    if old is None:
        changed = newp
    else:
        changed = {p for p in newp if get_path(old, p) != get_path(new, p)}
    entries = []
    mine = None
    allp = leaf_paths(new, False) | leaf_paths(new, True)
    for e in _entries(old or {}):
        ps = paths_of_fields_v1(e.get("fieldsV1")) & allp
        if e.get("manager") == manager and e.get("operation") == "Update" and e.get("subresource") == subresource:
            mine = ps
            continue
        ps -= changed
        if ps:
            e = dict(e, fieldsV1=fields_v1(ps))
            entries.append(e)
    owned = (mine or set()) | changed
    if owned:
        t = _now() if owned != mine else _time_of(old, manager, "Update", subresource)
        e = {"manager": manager, "operation": "Update", "apiVersion": api_version, "time": t,
             "fieldsType": "FieldsV1", "fieldsV1": fields_v1(owned)}
        if subresource:
            e["subresource"] = subresource
        entries.append(e)
    new.setdefault("metadata", {})["managedFields"] = entries
    return new


def apply(live, cfg, manager, force, api_version, group_version):
    """Server-side apply of cfg onto live (None: create). Returns the new object or raises 409."""
    cfgp = leaf_paths(cfg)
    base = jcopy(live) if live is not None else {}
    entries = _entries(base)
    conflicts = {}
    prev = set()
    others = []
    for e in entries:
        ps = paths_of_fields_v1(e.get("fieldsV1"))
        if e.get("manager") == manager and e.get("operation") == "Apply":
            prev = ps
            continue
        if e.get("subresource"):
            others.append((e, ps))
            continue
        for p in ps & cfgp:
            if get_path(base, p) != get_path(cfg, p):
                conflicts.setdefault(e.get("manager"), []).append(p)
        others.append((e, ps))
    if conflicts and not force:
        causes = []
        msgs = []
        n = sum(len(v) for v in conflicts.values())
        for mgr, ps in conflicts.items():
            fields = ["." + ".".join(p) for p in sorted(ps)]
            for f in fields:
                causes.append({"reason": "FieldManagerConflict", "message": 'conflict with "%s" using %s'
                               % (mgr, group_version), "field": f})
            if len(fields) == 1 and n == 1:
                msgs.append('conflict with "%s" using %s: %s' % (mgr, group_version, fields[0]))
            else:
                msgs.append('conflicts with "%s" using %s:\n%s' % (mgr, group_version,
                                                                   "\n".join("- " + f for f in fields)))
        raise ApiError(409, "Conflict", "Apply failed with %d conflict%s: %s" % (n, "" if n == 1 else "s",
                                                                              "\n".join(msgs)),
                       {"causes": causes})
    owned_by_others = set()
    kept = []
    for e, ps in others:
        if force and not e.get("subresource"):
            ps = ps - cfgp
        owned_by_others |= ps
        if ps:
            kept.append(dict(e, fieldsV1=fields_v1(ps)))
    result = base
    for p in prev - cfgp:
        if p not in owned_by_others:
            del_path(result, p)
    result = merge_into(result, cfg) if isinstance(cfg, dict) else jcopy(cfg)
    t = _time_of(live, manager, "Apply", None) if cfgp == prev and live is not None else _now()
    mine = {"manager": manager, "operation": "Apply", "apiVersion": api_version, "time": t,
            "fieldsType": "FieldsV1", "fieldsV1": fields_v1(cfgp)}
    result.setdefault("metadata", {})["managedFields"] = kept + [mine]
    return result
