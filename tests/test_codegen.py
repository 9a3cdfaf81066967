"""matcalc.compile and `matcalc codegen`: the contract around the generated code.

Every grad and vector Hessian the suite checks already runs through the generated code of each
backend (torch_oracle.assert_derivative_matches -> codegen_oracle); these tests cover the rest of
the contract: hvp, several variables at once, shapes and types of what comes back, the torch
autograd Function in a training loop, JAX under jit, the CLI and the errors.
"""
import importlib.util

import numpy as np
import pytest
import torch
from codegen_oracle import check_source, jax_numpy, skip_without_jax, to_backend
from torch_oracle import compare, random_values, torch_eval, torch_grad, torch_value

import matcalc
from matcalc.cli import main

BACKENDS = ["numpy", "torch", "jax"]
HOMEWORK = "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2"
HOMEWORK_SHAPES = {"X": (7, 3), "W1": (3, 5), "b1": (1, 5), "W2": (5, 2), "b2": (1, 2), "Y": (7, 2)}
PARAMETERS = ["W1", "b1", "W2", "b2"]


def _backend(name):
    if name == "jax":
        skip_without_jax()
    return name


def _hvp_reference(f, wrt, values, direction):
    """H·V by autograd: the gradient of <grad f, V>."""
    tensors = {k: torch.as_tensor(v) for k, v in values.items()}
    w = tensors[wrt].clone().requires_grad_(True)
    out = torch_eval(f, {**tensors, wrt: w}).reshape(())
    (g,) = torch.autograd.grad(out, w, create_graph=True)
    (hv,) = torch.autograd.grad((g * torch.as_tensor(direction)).sum(), w)
    return hv.numpy()


HVP_CASES = [
    ("norm(X@W - Y)^2", "W", {"X": (6, 3), "W": (3, 2), "Y": (6, 2)}),
    ("sum(log(1 + exp(-y*(X@w))))", "w", {"X": (8, 4), "w": (4,), "y": (8,)}),
    ("sum(tanh(X@W)) + tr(W'@A@W)", "W", {"X": (5, 3), "W": (3, 4), "A": (3, 3)}),
    (HOMEWORK, "W1", HOMEWORK_SHAPES),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("f, wrt, shapes", HVP_CASES, ids=[c[0] for c in HVP_CASES])
def test_hvp_matches_autograd(backend, f, wrt, shapes):
    values = random_values({**shapes, "V": shapes[wrt]}, seed=3)
    fn = matcalc.compile(f, wrt, shapes, backend=_backend(backend), kind="hvp")
    value, derivs = fn(**to_backend(values, backend, "float64"))
    assert not compare(derivs[wrt], _hvp_reference(f, wrt, values, values["V"]))
    assert not compare(value, torch_value(f, values))


@pytest.mark.parametrize("backend", BACKENDS)
def test_hvp_direction_takes_the_name_given(backend):
    shapes = {"X": (6, 3), "w": (3,), "y": (6,)}
    fn = matcalc.compile("norm(X@w - y)^2", "w", shapes, backend=_backend(backend), kind="hvp", direction="D")
    values = random_values({**shapes, "D": (3,)}, seed=1)
    _, derivs = fn(**to_backend(values, backend, "float64"))
    assert not compare(derivs["w"], 2 * values["X"].T @ values["X"] @ values["D"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_several_variables_share_one_call(backend):
    fn = matcalc.compile(HOMEWORK, PARAMETERS, HOMEWORK_SHAPES, backend=_backend(backend))
    values = random_values(HOMEWORK_SHAPES, seed=5)
    value, derivs = fn(**to_backend(values, backend, "float64"))
    assert list(derivs) == PARAMETERS
    for name in PARAMETERS:
        assert not compare(derivs[name], torch_grad(HOMEWORK, name, values)), name


@pytest.mark.parametrize("backend", BACKENDS)
def test_vectors_and_scalars_come_back_in_their_own_shapes(backend):
    shapes = {"X": (6, 3), "w": (3,), "a": ()}
    fn = matcalc.compile("sum(exp(a*X@w))", ["w", "a"], shapes, backend=_backend(backend))
    value, derivs = fn(**to_backend(random_values(shapes, seed=2), backend, "float64"))
    assert tuple(value.shape) == () and tuple(derivs["w"].shape) == (3,) and tuple(derivs["a"].shape) == ()


def test_a_hessian_is_n_by_n():
    fn = matcalc.compile("sum(exp(X@x))", "x", {"X": (4, 3), "x": (3,)}, kind="hessian")
    _, derivs = fn(**random_values({"X": (4, 3), "x": (3,)}))
    assert derivs["x"].shape == (3, 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_matrix_hessian_is_in_column_stacking_vec_form(backend):
    shapes = {"X": (5, 3), "W": (3, 2)}
    values = random_values(shapes, seed=11)
    fn = matcalc.compile("sum(exp(X@W))", "W", shapes, backend=_backend(backend), kind="hessian")
    X, W = (torch.as_tensor(values[k]) for k in ("X", "W"))
    hess = torch.autograd.functional.hessian(lambda w: torch.exp(X @ w).sum(), W)   # [i, j, k, l]
    want = hess.permute(1, 0, 3, 2).reshape(6, 6).numpy()                          # vec stacks columns
    assert not compare(fn(**to_backend(values, backend, "float64"))[1]["W"], want)


def test_source_keeps_the_named_intermediates():
    source = matcalc.compile(HOMEWORK, PARAMETERS, HOMEWORK_SHAPES).source
    assert "H = sigmoid(X@W1 + b1)" in source          # the docstring gives the formulas
    assert "R = H@W2 + b2 - Y" in source
    code = source.split('"""', 2)[2]
    assert "H = X @ W1" in code and "d_W2 = H.T @ R" in code


@pytest.mark.parametrize("backend", BACKENDS)
def test_source_is_standalone(backend):
    assert not check_source(matcalc.compile(HOMEWORK, "W1", HOMEWORK_SHAPES, backend=backend).source)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_broadcast_ones_are_never_built(backend):
    """logsumexp's Hessian diag(p) - p@p' is written eye(n) - p' scaled by p: no n×n ones, and right."""
    fn = matcalc.compile("logsumexp(x)", "x", {"x": (6,)}, backend=backend, kind="hessian")
    x = random_values({"x": (6,)}, seed=9)
    p = np.exp(x["x"] - np.log(np.exp(x["x"]).sum()))
    assert "ones(" not in fn.source.split('"""', 2)[2]
    assert not compare(fn(**to_backend(x, backend, "float64"))[1]["x"], np.diag(p) - np.outer(p, p))


def test_symbolic_sizes_are_read_off_the_inputs():
    fn = matcalc.compile("sum(X@w)/n", "w", {"X": ("n", "d"), "w": ("d",)})
    for n in (4, 9):
        _, derivs = fn(X=np.ones((n, 2)), w=np.ones(2))
        assert derivs["w"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_unvec_with_two_symbolic_sizes_reads_them_off_the_inputs(backend):
    """m*n entries and n read off v and x: m is their quotient (no reshape with two unknown sizes)."""
    f = "norm(unvec(v, m, n)@x)^2"
    fn = matcalc.compile(f, "v", {"x": ("n",)}, backend=_backend(backend))
    for m, n in ((3, 4), (5, 2)):
        values = random_values({"v": (m * n,), "x": (n,)}, seed=m)
        got = fn(**to_backend(values, backend, "float64"))[1]["v"]
        assert not compare(got, torch_grad(f.replace("m, n", f"{m}, {n}"), "v", values))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_size_that_is_a_product_of_symbolic_sizes_is_computed(backend):
    """The Hessian of a function linear in v is zeros(m*n, m*n), with m*n read off v."""
    fn = matcalc.compile("sum(unvec(v, m, n)@x)", "v", {"x": ("n",)}, backend=_backend(backend), kind="hessian")
    values = random_values({"v": (12,), "x": (4,)}, seed=1)
    got = fn(**to_backend(values, backend, "float64"))[1]["v"]
    assert np.asarray(got).tolist() == np.zeros((12, 12)).tolist()


@pytest.mark.parametrize("f, kind", [
    ("tr(unvec(v, m, m))", "grad"),               # v has m*m entries: m is a square root
    ("norm(unvec(v, m, n))^2", "grad"),           # m*n entries, and neither m nor n alone
    ("norm(unvec(v, m, n))^2", "hessian"),
])
def test_a_symbolic_size_the_inputs_do_not_give_is_a_clear_error(f, kind):
    with pytest.raises(matcalc.ShapeError, match="cannot tell the size of dimension [mn] from the sizes"):
        matcalc.compile(f, "v", kind=kind)


def test_the_inputs_are_left_alone():
    values = random_values(HOMEWORK_SHAPES, seed=4)
    kept = {k: v.copy() for k, v in values.items()}
    matcalc.compile(HOMEWORK, PARAMETERS, HOMEWORK_SHAPES)(**values)
    assert all(np.array_equal(values[k], kept[k]) for k in values)


def _operators_with_values():
    from matcalc.ir.operator import REGISTRY
    return sorted(name for name in REGISTRY if name != "var")   # a variable is its parameter's name


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op", _operators_with_values())
def test_every_operator_has_code_for_every_backend(op, backend):
    from matcalc.ir.operator import REGISTRY
    assert backend in REGISTRY[op].code, f"operator {op} has no {backend} Code (see docs/codegen.md)"


# ----------------------------------------------------------------- torch autograd Function
def _homework_params(seed):
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(HOMEWORK_SHAPES[k], generator=g, dtype=torch.float64) for k in HOMEWORK_SHAPES}


def test_autograd_function_trains_as_autograd_does():
    fn = matcalc.compile(HOMEWORK, PARAMETERS, HOMEWORK_SHAPES, backend="torch")
    ours, theirs = _homework_params(0), _homework_params(0)
    for t in (ours, theirs):
        for k in PARAMETERS:
            t[k].requires_grad_(True)
    opt_ours = torch.optim.SGD([ours[k] for k in PARAMETERS], lr=0.01)
    opt_theirs = torch.optim.SGD([theirs[k] for k in PARAMETERS], lr=0.01)
    for _ in range(5):
        for opt, p, loss_of in ((opt_ours, ours, lambda p: fn.autograd.apply(*(p[k] for k in fn.inputs))),
                                (opt_theirs, theirs, lambda p: torch_eval(HOMEWORK, p).reshape(()))):
            opt.zero_grad()
            loss_of(p).backward()
            opt.step()
    for k in PARAMETERS:
        torch.testing.assert_close(ours[k], theirs[k], rtol=1e-10, atol=1e-12)


def test_autograd_function_refuses_a_gradient_it_was_not_compiled_for():
    fn = matcalc.compile(HOMEWORK, ["W1"], HOMEWORK_SHAPES, backend="torch")
    p = _homework_params(1)
    p["X"].requires_grad_(True)
    with pytest.raises(RuntimeError, match="must not require grad"):
        fn.autograd.apply(*(p[k] for k in fn.inputs))


# ---------------------------------------------------------------------------------- jax
def test_jax_function_under_jit_matches_autograd():
    skip_without_jax()
    import jax
    fn = matcalc.compile(HOMEWORK, PARAMETERS, HOMEWORK_SHAPES, backend="jax")
    values = random_values(HOMEWORK_SHAPES, seed=6)
    arrays = to_backend(values, "jax", "float64")
    value, derivs = jax.jit(fn.function)(*(arrays[k] for k in fn.inputs))
    assert isinstance(derivs["W1"], jax.Array) and jax_numpy() is not None
    assert not compare(derivs["W1"], torch_grad(HOMEWORK, "W1", values))


# ---------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs, says", [
    ({"backend": "tensorflow"}, "backend is one of"),
    ({"kind": "jacobian"}, "kind is one of"),
    ({"kind": "hvp", "wrt": ["W1", "W2"]}, "hvp takes one variable"),
    ({"wrt": []}, "wrt names no variable"),
])
def test_bad_arguments_raise_a_matcalc_error(kwargs, says):
    args = {"wrt": "W1", **kwargs}
    with pytest.raises(matcalc.MatcalcError, match=says):
        matcalc.compile(HOMEWORK, args.pop("wrt"), HOMEWORK_SHAPES, **args)


def test_a_missing_value_is_named():
    fn = matcalc.compile("norm(X@w)^2", "w", {"X": (3, 2), "w": (2,)})
    with pytest.raises(matcalc.MatcalcError, match="missing value for X"):
        fn(w=np.ones(2))


# ------------------------------------------------------------------------------------ CLI
def test_cli_writes_a_module_that_computes_the_gradient(tmp_path, capsys):
    out = tmp_path / "homework.py"
    shapes = [f"--shape={k}={'x'.join(map(str, v))}" for k, v in HOMEWORK_SHAPES.items()]
    assert main(["codegen", HOMEWORK, *PARAMETERS, "--backend", "numpy", "-o", str(out), *shapes]) == 0
    spec = importlib.util.spec_from_file_location("homework", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    values = random_values(HOMEWORK_SHAPES, seed=8)
    _, derivs = module.f_and_grad(**values)
    assert not compare(derivs["b1"], torch_grad(HOMEWORK, "b1", values))
    assert module.__doc__.startswith("grad of f for numpy")


def test_cli_prints_the_module_without_o(capsys):
    assert main(["codegen", "norm(X@w)^2", "w", "--backend", "torch", "--kind", "hessian"]) == 0
    out = capsys.readouterr().out
    assert "import torch" in out and "def f_and_hessian(" in out


def test_cli_bad_input_exits_2_with_one_line(capsys):
    assert main(["codegen", "norm(X@W - Y)^2", "Q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown variable" in err
