"""docs/functions.md and the function table of docs/language.md are generated from the registry."""
import os

from matcalc.docs import BEGIN, END, function_table, functions_markdown
from matcalc.ir.operator import REGISTRY

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(name):
    with open(os.path.join(ROOT, "docs", name), encoding="utf-8") as fh:
        return fh.read()


def test_functions_doc_is_up_to_date():
    assert _read("functions.md") == functions_markdown(), "run: python -m matcalc.docs"


def test_language_doc_function_table_is_up_to_date():
    text = _read("language.md")
    assert f"{BEGIN}\n{function_table()}\n{END}" in text, "run: python -m matcalc.docs"


def test_every_operator_a_person_can_write_is_documented():
    doc = functions_markdown()
    for op in REGISTRY.values():
        if not op.leaf or op.dim_args:
            assert f"`{op.syntax}`" in doc, op.name
