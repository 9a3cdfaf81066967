"""The parser tables ship as JSON beside the grammar: never a pickle, never from a shared folder."""
import json
import pickle
import tempfile

import lark
import pytest

from matcalc.frontend import tables
from matcalc.frontend.parse import parse


CORPUS = ["norm(sigmoid(X@W1+b1)@W2+b2-Y)^2", "-x^2'", "a ** b ^ c", "f(x, 1, 2.5e-3)", "(A.T)'@-B*C/D - E + F",
          "sum(X, 0)@v", "x'@A@x + sum(exp(x))"]


def test_shipped_tables_are_for_this_grammar():
    """tables.json records the hash of the grammar it was built from (regenerate: python -m matcalc.frontend.tables)."""
    stored = json.loads(tables._read("tables.json"))
    assert stored["grammar_sha256"] == tables.grammar_hash(tables.grammar_text())


@pytest.mark.parametrize("text", CORPUS)
def test_shipped_tables_parse_as_the_grammar_does(text):
    fresh = lark.Lark(tables.grammar_text(), **tables.OPTIONS)
    assert tables.load_parser().parse(text) == fresh.parse(text)


def test_a_planted_cache_file_is_never_loaded(tmp_path, monkeypatch):
    """Lark's own cache is a pickle in the temp folder; a hostile one planted there is not executed."""
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for name in (".lark_cache_matcalc.tmp", ".lark_cache_0_1.3.1.tmp"):
        (tmp_path / name).write_bytes(pickle.dumps(Payload()))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: (_ for _ in ()).throw(AssertionError("pickle.load called")))
    tables.load_parser.cache_clear()
    try:
        assert parse("X@W + b").op == "add"
    finally:
        tables.load_parser.cache_clear()
    assert not marker.exists()


def test_edited_grammar_without_new_tables_still_parses(monkeypatch):
    """If the grammar changed and tables.json did not, the tables are built from the grammar."""
    real = tables._read
    monkeypatch.setattr(tables, "_read", lambda name: real(name) + "\n// edited\n" if name.endswith(".lark")
                        else real(name))
    tables.load_parser.cache_clear()
    try:
        assert tables.load_parser().parse("a + b").data == "add"
    finally:
        tables.load_parser.cache_clear()


def test_no_module_unpickles_or_asks_lark_for_a_cache():
    """No source file of matcalc imports pickle, marshal or shelve, or passes cache= to Lark."""
    import ast
    import pathlib
    import matcalc
    for path in pathlib.Path(matcalc.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not {"pickle", "marshal", "shelve", "dill", "cloudpickle"} & set(names), path
            if isinstance(node, ast.keyword):
                assert node.arg != "cache", f"{path}: cache= at line {node.value.lineno}"
