"""Numbers: array backends, evaluation by each operator's implementation, and sample points.

Nothing here is imported with matcalc itself: NumPy is loaded on first use, so that
`matcalc derive` starts without it.
"""
