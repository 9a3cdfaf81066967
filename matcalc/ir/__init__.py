"""The expression IR: interned nodes (expr), dimensions and shape-rule helpers (dims), and the
operator registry (operator).  The records themselves live in matcalc.ops."""
