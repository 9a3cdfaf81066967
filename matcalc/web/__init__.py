"""matcalc serve: a local page and JSON API over matcalc (issue 13). See docs/serve.md.

    matcalc serve --port 8000
"""
