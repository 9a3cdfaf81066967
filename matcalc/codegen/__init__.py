"""Generated code: f with its gradients, Hessians or HVPs as a NumPy, PyTorch or JAX function.

Downstream of the public API: it derives with matcalc.derive / hessian / hvp, lowers the DAG of f
and every derivative together (lower.py), names and orders its statements (schedule.py), writes
each operator as its record's Code says (emit.py) into a module (module.py), and loads it
(compile.py).  Nothing upstream imports this package.
"""
from .compile import CompiledFunction, compile_function, generate

__all__ = ["compile_function", "generate", "CompiledFunction"]
