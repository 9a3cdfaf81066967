"""Shared test setup: single-threaded torch, the `breadth` marker, hypothesis profiles.

HYPOTHESIS_PROFILE=wide runs the property tests on 500 examples; the default (and CI) is "ci".
The hook that fails skips under CI is in ../conftest.py, so that it covers the doctests too.
"""
import os
import sys

import torch
from hypothesis import HealthCheck, settings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

torch.set_num_threads(1)

settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("wide", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "breadth: later work (softmax/logsumexp/mean, Jacobians, Hessians, cross-entropy); "
                   "runs by default, deselect with -m 'not breadth'")

