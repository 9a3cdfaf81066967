"""docs/functions.md is generated from the tables: it must equal what they say now."""
import os

from matcalc.expr import OPS
from matcalc.reference import functions_markdown
from matcalc.rules import RULES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_functions_doc_is_up_to_date():
    with open(os.path.join(ROOT, "docs", "functions.md"), encoding="utf-8") as fh:
        assert fh.read() == functions_markdown(), "run: python -m matcalc.reference > docs/functions.md"


def test_every_operator_has_a_rule_and_a_doc_line():
    assert set(OPS) <= set(RULES)
    for op in OPS:
        assert f"`{OPS[op].syntax}`" in functions_markdown()
