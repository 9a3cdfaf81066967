"""The LALR tables of the grammar, shipped with the package as JSON.

Building the tables from matcalc.lark takes about 40 ms, most of the CLI's start-up;
loading them takes about 3 ms.  They are stored as plain JSON beside the grammar
(never a pickle, and never in a shared temporary folder where another user could
plant one), together with the grammar's SHA-256: if the grammar changed and the
tables were not regenerated, they are built from the grammar instead.

    python -m matcalc.frontend.tables      # regenerate tables.json after editing the grammar

>>> str(load_parser().parse("a + b").data)
'add'
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources

import lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

OPTIONS = dict(parser="lalr", keep_all_tokens=True, maybe_placeholders=False)


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def grammar_text() -> str:
    return _read("matcalc.lark")


def grammar_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _encode(o):
    """JSON keeps neither tuples nor non-string keys: tag them so that the round trip is exact."""
    if isinstance(o, dict):
        if all(isinstance(k, str) for k in o):
            return {k: _encode(v) for k, v in o.items()}
        return {"__items__": [[_encode(k), _encode(v)] for k, v in o.items()]}
    if isinstance(o, tuple):
        return {"__tuple__": [_encode(x) for x in o]}
    if isinstance(o, list):
        return [_encode(x) for x in o]
    return o


def _decode(d: dict):
    if "__items__" in d:
        return dict((tuple(k) if isinstance(k, list) else k, v) for k, v in d["__items__"])
    if "__tuple__" in d:
        return tuple(d["__tuple__"])
    return d


def tables_json() -> str:
    """The serialized tables of the current grammar (what tables.json holds)."""
    text = grammar_text()
    data, memo = lark.Lark(text, **OPTIONS).memo_serialize([TerminalDef, Rule])
    return json.dumps({"grammar_sha256": grammar_hash(text), "data": _encode(data), "memo": _encode(memo)},
                      sort_keys=True, separators=(",", ":")) + "\n"


@lru_cache(maxsize=1)
def load_parser() -> lark.Lark:
    """The parser, from the shipped tables when they match the grammar, else built from it."""
    text = grammar_text()
    try:
        stored = json.loads(_read("tables.json"), object_hook=_decode)
    except (OSError, ValueError):
        stored = None
    if stored is None or stored.get("grammar_sha256") != grammar_hash(text):
        return lark.Lark(text, **OPTIONS)
    return lark.Lark._load_from_dict(stored["data"], stored["memo"])


if __name__ == "__main__":
    import pathlib
    pathlib.Path(__file__).with_name("tables.json").write_text(tables_json(), encoding="utf-8")
