r"""Breaking a long LaTeX formula into pieces for the rows of an align, so no row overflows the page.

A row of a derivation is one formula; when it shows more characters than fit, it is broken before a
binary operator (+ and − first, then ⊙ and ⊘, then between the factors of a product), at the
shallowest nesting that leaves a reasonably full first piece.  TeX cannot break inside
\left( ... \right), and the two halves of a broken pair land in different rows, so each pair that
spans a break becomes \bigl( ... \bigr) (\biggl around a fraction), which needs no partner.

>>> pieces = break_formula(r"\operatorname{tr}\left(A + B + C\right)", 12)
>>> pieces
['\\operatorname{tr}\\bigl(A + B', '+ C\\bigr)']
"""
from __future__ import annotations

import re

__all__ = ["break_formula", "visible"]

_TOKEN = re.compile(r"\\(?:left|right)\s*(?:\\[A-Za-z]+|\\.|.)|\\[A-Za-z]+|\\.|\s+|.", re.S)
_OPERATORS = {"+": 0, "-": 0, r"\odot": 1, r"\oslash": 1}   # break priority: lower first
_PRODUCT = 2


def visible(s: str) -> int:
    """About how many characters a LaTeX string shows: a command counts one, braces none."""
    return len(re.sub(r"\\(left|right)|[{}]", "", re.sub(r"\\(operatorname|mathrm|mathbf)\{(\w+)\}|\\[A-Za-z]+", r"\2x", s)))


def _tokens(s: str) -> list:
    """Tokens in which a brace group {...} is one token: nothing inside braces is ever broken."""
    out, depth, start = [], 0, 0
    for m in _TOKEN.finditer(s):
        t = m.group()
        if t == "{":
            if depth == 0:
                start = m.start()
            depth += 1
        elif t == "}":
            depth -= 1
            if depth == 0:
                out.append(s[start:m.end()])
        elif depth == 0:
            out.append(t)
    return out


def _pairs(tokens: list) -> dict:
    """index of each \\left token -> index of its \\right."""
    stack, pairs = [], {}
    for i, t in enumerate(tokens):
        if t.startswith(r"\left"):
            stack.append(i)
        elif t.startswith(r"\right") and stack:
            pairs[stack.pop()] = i
    return pairs


def _breaks(tokens: list) -> list:
    """(index, depth, priority) of each place a row may break: before the token at index."""
    out, depth = [], 0
    for i, t in enumerate(tokens):
        if t.startswith(r"\left"):
            depth += 1
        elif t.startswith(r"\right"):
            depth -= 1
        elif t in _OPERATORS and i > 1 and tokens[i - 1].isspace() and not tokens[i - 2].startswith(r"\left"):
            out.append((i, depth, _OPERATORS[t]))
        elif t.isspace() and 0 < i < len(tokens) - 1 and _factor_end(tokens[i - 1]) and _factor_start(tokens[i + 1]):
            out.append((i + 1, depth, _PRODUCT))
    return out


def _factor_end(t: str) -> bool:
    return t.startswith(r"\right") or t.startswith("{") or t.isalnum() or t in (r"\top",)


def _factor_start(t: str) -> bool:
    return t.startswith(r"\left") or t.isalnum() or (t.startswith("\\") and t not in _OPERATORS and t != r"\quad")


def _sized(token: str, tall: bool) -> str:
    """\\left( -> \\bigl(, \\right) -> \\bigr) (\\biggl, \\biggr when tall); \\left. and \\right. vanish."""
    side = "l" if token.startswith(r"\left") else "r"
    delimiter = token[len(r"\left"):] if side == "l" else token[len(r"\right"):]
    delimiter = delimiter.strip()
    if delimiter == ".":
        return ""
    return ("\\bigg" if tall else "\\big") + side + delimiter


def break_formula(s: str, width: int) -> list:
    """s as pieces of at most about `width` visible characters each (a piece may run over where no break fits)."""
    tokens = _tokens(s)
    pieces = []
    while visible("".join(tokens)) > width:
        places = []
        shown = 0
        for i, depth, priority in _breaks(tokens):
            shown = visible("".join(tokens[:i]))
            if shown > width:
                break
            if shown >= width // 3:
                places.append((depth, priority, -i))
        if not places:
            break
        _, _, cut = min(places)
        cut = -cut
        pairs = _pairs(tokens)
        for left, right in pairs.items():
            if left < cut <= right:
                tall = r"\frac" in "".join(tokens[left:right])
                tokens[left], tokens[right] = _sized(tokens[left], tall), _sized(tokens[right], tall)
        pieces.append("".join(tokens[:cut]).rstrip())
        tokens = tokens[cut:]
    pieces.append("".join(tokens).strip())
    return pieces
