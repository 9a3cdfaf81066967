"""The examples never go stale: each script regenerates its checked-in output exactly."""
import importlib.util
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py"))


def load(path):
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_output_is_up_to_date(script):
    module = load(script)
    want = module.OUTPUT.read_text(encoding="utf-8")
    assert module.build() == want, f"run `python examples/{script.name}` and commit {module.OUTPUT.name}"


def test_every_example_has_output():
    assert {p.stem for p in SCRIPTS} == {p.stem for p in (EXAMPLES / "output").glob("*.md")}
    assert len(SCRIPTS) >= 3
