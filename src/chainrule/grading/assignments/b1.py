"""B1: ``q1.py``, a generic sigmoid network with per-sample back-propagation (100 marks).

Marks as section E: sigmoid 5 · sigmoid_derivative 5 · cost 5 · cost_derivative 5 ·
forward_pass 10 · mini_batch_GD 10 · back_propagation 60 = bias gradients 25 + weight
gradients 35. Each function has a public test on fixed inputs and a hidden one drawn from the
grade's seed: random layer sizes (the code must be generic: one hidden layer, 784-16-16-16-10,
random depths), random weights, batches of 1, σ at ±800.

The gradients earn per layer: a network whose output layer is right and whose hidden layers are
wrong keeps the output layer's share. A wrong gradient is matched against the classic faults,
each computed here by :func:`faulty_gradients`, and the feedback names the one that fits.
"""

from __future__ import annotations

import numpy as np

from ..assignment import Assignment, Fault, Outcome, Test
from ..checks import as_array, expect_array, expect_number, expect_sequence
from ..diagnose import describe_ratio, matching_fault, same
from ..sandbox import SubmissionFault

PUBLIC_SIZES = [5, 3, 4, 2]
"""The public tests' network; its weights come from a fixed seed the student can reproduce."""


# ------------------------------------------------------------------ inputs
def random_network(rng, sizes):
    weights = [rng.standard_normal((n_in, n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [rng.standard_normal((n_out, 1)) for n_out in sizes[1:]]
    return weights, biases


def hidden_sizes(rng) -> list[list[int]]:
    """The hidden tests' networks: one hidden layer, the deep 784-16-16-16-10, a random depth."""
    depth = int(rng.integers(2, 5))
    return [[int(rng.integers(2, 9)), int(rng.integers(2, 9)), int(rng.integers(2, 6))],
            [784, 16, 16, 16, 10],
            [int(rng.integers(1, 13)) for _ in range(depth + 2)]]


def one_hot(rng, n, classes):
    return np.eye(classes)[rng.integers(0, classes, size=n)]


def sample(rng, sizes):
    """One sample as columns: x (n_0, 1) in [0, 1), y (n_L, 1) one-hot."""
    return rng.random((sizes[0], 1)), one_hot(rng, 1, sizes[-1]).reshape(-1, 1)


def build(ctx, sizes, weights, biases):
    """The student's ``NeuralNetwork(sizes)`` with the given weights and biases."""
    net = ctx.sub.new("NeuralNetwork", list(sizes))
    ctx.sub.set(net, "weights", list(weights))
    ctx.sub.set(net, "biases", list(biases))
    return net


def reference(ctx, sizes, weights, biases):
    net = ctx.ref.NeuralNetwork(sizes)
    net.weights, net.biases = [w.copy() for w in weights], [b.copy() for b in biases]
    return net


def cases(ctx, name, public: bool):
    """The networks of a test: the public one, or the hidden ones, each with its weights."""
    rng = np.random.default_rng(1) if public else ctx.rng(name)
    for sizes in ([PUBLIC_SIZES] if public else hidden_sizes(rng)):
        yield (sizes, *random_network(rng, sizes), rng)


# ------------------------------------------------------------------ the functions
def elementwise(function: str, public: bool, extremes: bool = False):
    """A test of ``sigmoid`` or ``sigmoid_derivative`` on fixed points, random arrays of random
    shapes, or ±800 (no overflow warning, no NaN)."""

    def check(ctx):
        if extremes:
            inputs = [np.array([-800.0, -50.0, 0.0, 50.0, 800.0])]
        elif public:
            inputs = [np.array([-2.0, -0.5, 0.0, 0.5, 2.0]), np.array([[1.0], [-3.0]]), 0.25]
        else:
            rng = ctx.rng(function)
            inputs = [rng.normal(0, 4, size=tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 3)))))
                      for _ in range(3)]
        for z in inputs:
            got = ctx.sub.function(function, z)
            if extremes and ctx.sub.warnings:
                raise Fault(f"{function} at ±800 warned: {ctx.sub.warnings[0]} (compute σ from e^(−|z|), "
                            "which cannot overflow)", tags=("overflow",))
            expect_array(f"{function}({_short(z)})", got, getattr(ctx.ref, function)(z), rtol=1e-7, atol=1e-12)

    return check


def cost_derivative(public: bool):
    def check(ctx):
        rng = np.random.default_rng(2) if public else ctx.rng("cost_derivative")
        for n in ([3] if public else [1, int(rng.integers(2, 20))]):
            a, y = rng.random((n, 1)), one_hot(rng, 1, n).reshape(-1, 1)
            got = ctx.sub.function("cost_derivative", a, y)
            expected = ctx.ref.cost_derivative(a, y)
            _explain_ratio(f"cost_derivative (n = {n})", got, expected)

    return check


def forward_pass(public: bool):
    def check(ctx):
        for sizes, weights, biases, rng in cases(ctx, "forward_pass", public):
            x, _ = sample(rng, sizes)
            got = ctx.sub.call(build(ctx, sizes, weights, biases), "forward_pass", x)
            expect_array(f"forward_pass on {_net(sizes)}", got, reference(ctx, sizes, weights, biases).forward_pass(x))

    return check


def cost(public: bool):
    def check(ctx):
        for sizes, weights, biases, rng in cases(ctx, "cost", public):
            n = 4 if public else int(rng.integers(1, 9))
            X, Y = rng.random((n, sizes[0])), one_hot(rng, n, sizes[-1])
            got = ctx.sub.call(build(ctx, sizes, weights, biases), "cost", X, Y)
            expected = reference(ctx, sizes, weights, biases).cost(X, Y)
            value = expect_sequence("cost", [got], 1)[0]
            ratio = float(as_array("cost", value).reshape(-1)[0]) / expected if np.size(value) == 1 else None
            if ratio is not None and np.isclose(ratio, 1 / n) and n > 1:
                raise Fault(f"cost on {_net(sizes)}, {n} samples: the mean over the samples, where the sheet "
                            "asks for the sum ½ Σ over samples and outputs", tags=("mean-for-sum",))
            if ratio is not None and np.isclose(ratio, 2.0):
                raise Fault(f"cost on {_net(sizes)}: twice the expected value (the ½ is missing)", tags=("factor-2",))
            expect_number(f"cost on {_net(sizes)}, {n} samples", value, expected)

    return check


# ------------------------------------------------------------------ back-propagation
def faulty_gradients(weights, biases, x, y, fault: str | None = None, output_only: bool = False):
    """(dC_dw, dC_db) of one sample, right (``fault`` None) or with one classic fault (a σ′
    fault on every layer, or with ``output_only`` on the output layer alone): the reference for
    diagnosing what a student's gradients got wrong. Written layer by layer from the chain
    rule, independently of the solution file."""
    acts = [x]
    for w, b in zip(weights, biases):
        acts.append(_sigmoid(w.T @ acts[-1] + b))

    def slope(l):  # σ'(z_l) = a_l (1 − a_l), or what the fault puts there
        faulty = not output_only or l == len(weights) - 1
        if fault == "no-sigma-prime" and faulty:
            return np.ones_like(acts[l + 1])
        s = _sigmoid(acts[l + 1]) if fault == "sigma-prime-of-a" and faulty else acts[l + 1]
        return s * (1 - s)

    scale = {"sign": -1.0, "factor-2": 2.0}.get(fault, 1.0)
    delta = scale * (acts[-1] - y) * slope(len(weights) - 1)
    dws, dbs = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        dbs[l], dws[l] = delta, acts[l] @ delta.T
        if l:
            through = weights[l].T if fault == "through-transpose" else weights[l]
            if through.shape[1] != delta.shape[0]:
                return None  # this fault cannot happen on this network's shapes
            delta = (through @ delta) * slope(l - 1)
    return dws, dbs


FAULTS = {
    "no-sigma-prime": "σ′ is missing: δ is not multiplied by σ′(z)",
    "sigma-prime-of-a": "σ′ is applied to the activation a instead of to z",
    "sign": "the sign is flipped (y − a where dC/da = a − y belongs)",
    "factor-2": "off by a factor 2: the ½ of the cost is lost (dC/da = a − y, not 2(a − y))",
    "through-transpose": "δ is propagated through Wᵀ instead of W (with in-by-out weights, δ_l = W_{l+1} δ_{l+1})",
}


def gradients(part: str, public: bool):
    """Bias (``part`` "db", 25 marks) or weight (``"dw"``, 35 marks) gradients: per layer, over
    the test's networks."""
    index = 0 if part == "dw" else 1
    what = "weight" if part == "dw" else "bias"

    def check(ctx):
        earned, layers, lines, tags = 0, 0, [], set()
        for sizes, weights, biases, rng in cases(ctx, f"back_propagation {part}", public):
            x, y = sample(rng, sizes)
            result = _back_propagation(ctx, sizes, weights, biases, x, y)
            expected_pair = faulty_gradients(weights, biases, x, y)
            pair = expect_sequence(f"back_propagation on {_net(sizes)}", result, 2)
            if same(pair[::-1], list(expected_pair)):
                raise Fault(f"back_propagation on {_net(sizes)} returns (dC_db, dC_dw); the contract's order is "
                            "(dC_dw, dC_db)", tags=("swapped",))
            got, expected = pair[index], expected_pair[index]
            got = expect_sequence(f"{what} gradients on {_net(sizes)}", got, len(expected))
            right = _layers_right(what, sizes, got, expected, lines, tags)
            if right < len(expected):
                _diagnose(what, sizes, weights, biases, x, y, got, index, lines, tags)
            earned += right
            layers += len(expected)
        return Outcome(earned / layers, lines, tuple(sorted(tags)))

    return check


def _back_propagation(ctx, sizes, weights, biases, x, y):
    try:
        return ctx.sub.call(build(ctx, sizes, weights, biases), "back_propagation", x, y)
    except SubmissionFault as fault:
        if fault.exc_type == "ValueError" and ("matmul" in str(fault) or "shapes" in str(fault)):
            raise Fault(f"back_propagation on {_net(sizes)} {fault}\n→ a shape mismatch while carrying δ back: "
                        f"{FAULTS['through-transpose'].split('(')[1].rstrip(')')}",
                        tags=("through-transpose",)) from None
        raise


def _layers_right(what, sizes, got, expected, lines, tags) -> int:
    right = 0
    for l, (g, e) in enumerate(zip(got, expected)):
        try:
            expect_array(f"{what} gradient of layer {l + 1} of {_net(sizes)}", g, e)
            right += 1
        except Fault as fault:
            lines.append(str(fault) + _axis_hint(g, e))
            tags.update(fault.tags)
    return right


def _axis_hint(got, expected) -> str:
    """A hint for a bias gradient of the wrong shape: summed over the wrong axis, or flat."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return ""
    if got.shape == expected.shape:
        return ""
    if got.shape == (expected.shape[0],):
        return " (a flat vector: keep the column shape (n, 1))"
    if expected.shape[1] == 1 and got.size == 1 and np.isclose(got.sum(), expected.sum()):
        return " (summed over the wrong axis?)"
    return ""


def _diagnose(what, sizes, weights, biases, x, y, got, index, lines, tags) -> None:
    """Name the fault that explains the wrong layers, when one does."""
    candidates = {}
    for name in FAULTS:
        for output_only in (False, True):
            grads = faulty_gradients(weights, biases, x, y, name, output_only)
            if grads is not None:
                candidates[name, output_only] = grads[index]
    found = matching_fault(got, candidates)
    if found:
        name, output_only = found
        where = " (at the output layer)" if output_only else ""
        lines.append(f"→ on {_net(sizes)} the {what} gradients match the fault: {FAULTS[name]}{where}")
        tags.add(name)
        return
    expected = faulty_gradients(weights, biases, x, y)[index]
    output_right = np.allclose(as_array("", got[-1]), expected[-1]) if np.shape(got[-1]) == expected[-1].shape else False
    if output_right:
        lines.append(f"→ on {_net(sizes)} the output layer is right but a hidden one is not: check how δ is "
                     "carried back (δ_l = W_{l+1} δ_{l+1} ⊙ σ′(z_l), with the in-by-out W, not its transpose)")
        tags.add("hidden-layers")
        return
    sentence = describe_ratio(got[-1], expected[-1])
    if sentence:
        lines.append(f"→ output layer: {sentence}")


def mini_batch_GD(public: bool):
    """The cost history, number for number, with np.random seeded alike for both."""

    def check(ctx):
        for sizes, weights, biases, rng in cases(ctx, "mini_batch_GD", public):
            sizes = sizes if sizes[0] < 100 else [20, 8, 8, 10]  # the deep net trains too slowly per sample
            weights, biases = random_network(rng, sizes)
            n, batch = (6, 2) if public else (int(rng.integers(5, 16)), int(rng.integers(1, 5)))
            X, Y = rng.random((n, sizes[0])), one_hot(rng, n, sizes[-1])
            epochs, eta, seed = 2 if public else 3, float(rng.uniform(0.5, 3.0)), int(rng.integers(2**31))
            net = build(ctx, sizes, weights, biases)
            ctx.sub.seed(seed)
            got = ctx.sub.call(net, "mini_batch_GD", X, Y, epochs, batch, eta)
            ref = reference(ctx, sizes, weights, biases)
            np.random.seed(seed)
            expected = ref.mini_batch_GD(X, Y, epochs, batch, eta)
            label = f"mini_batch_GD on {_net(sizes)}, {n} samples, batch {batch}, η = {eta:.3g}"
            history = expect_sequence(f"{label}: the cost history", got, epochs)
            trained = [ctx.sub.get(net, "weights"), ctx.sub.get(net, "biases")]
            if all(np.allclose(np.asarray(g, float), e, rtol=1e-6, atol=1e-9)
                   for g, e in zip(trained[0] + trained[1], ref.weights + ref.biases)
                   if np.shape(g) == e.shape) and _own_cost(ctx, net, X, Y, history[-1]):
                continue  # the training is right; a wrong cost() alone is marked in cost's own test
            try:
                expect_array(f"{label}: the cost history", history, expected)
            except Fault as fault:
                tag, sentence = _history_fault(ctx, sizes, weights, biases, X, Y, epochs, batch, eta, seed, history)
                raise Fault(f"{fault}\n→ {sentence}", fault.tags + ((tag,) if tag else ())) from None

    return check


def _own_cost(ctx, net, X, Y, last) -> bool:
    """Whether the last recorded cost is what the student's own ``cost`` gives now."""
    try:
        return bool(np.isclose(float(as_array("cost", ctx.sub.call(net, "cost", X, Y))), float(last), rtol=1e-9))
    except (Fault, TypeError, ValueError):
        return False


def _unshuffled(X, Y, m):
    return [(X[k:k + m], Y[k:k + m]) for k in range(0, len(X), m)]


def _shuffled_apart(X, Y, m):
    X, Y = X[np.random.permutation(len(X))], Y[np.random.permutation(len(Y))]
    return _unshuffled(X, Y, m)


HISTORY_FAULTS = {
    "eta-not-averaged": ("the update uses η where η / batch_size belongs (the gradients are summed, not averaged)",
                         dict(eta_times_batch=True)),
    "no-shuffle": ("the samples are not shuffled each epoch", dict(batches=_unshuffled)),
    "shuffled-apart": ("X and Y are shuffled with different permutations (the pairs are broken)",
                       dict(batches=_shuffled_apart)),
}


def _history_fault(ctx, sizes, weights, biases, X, Y, epochs, batch, eta, seed, history):
    """The classic training fault that reproduces the student's history: (tag, sentence)."""
    for tag, (sentence, change) in HISTORY_FAULTS.items():
        ref = reference(ctx, sizes, weights, biases)
        if "batches" in change:
            ref.make_mini_batches = change["batches"]
        np.random.seed(seed)
        candidate = ref.mini_batch_GD(X, Y, epochs, batch, eta * batch if change.get("eta_times_batch") else eta)
        if same(history, list(candidate), rtol=1e-6):
            return tag, f"it matches a run where {sentence}"
    return None, ("check the shuffle (one permutation for X and Y together, from np.random), the update "
                  "W −= (η / batch_size) Σ dC/dW, and that the cost is recorded after each epoch (the history also "
                  "depends on back_propagation: make its tests pass first)")


# ------------------------------------------------------------------ helpers
def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _explain_ratio(what, got, expected):
    try:
        expect_array(what, got, expected)
    except Fault as fault:
        sentence = describe_ratio(got, expected)
        tags = fault.tags + (("sign",) if sentence.startswith("the sign") else ())
        raise Fault(str(fault) + (f"\n→ {sentence}" if sentence else ""), tags) from None


def _net(sizes) -> str:
    return "-".join(str(s) for s in sizes)


def _short(z) -> str:
    array = np.asarray(z)
    return f"{float(array):g}" if array.ndim == 0 else f"array of shape {array.shape}"



NN = "NeuralNetwork"
ASSIGNMENT = Assignment(
    id="B1",
    title="A generic sigmoid network with per-sample back-propagation (q1.py)",
    filename="q1.py",
    solution="b1/q1.py",
    allowed_imports=("numpy",),
    graded=("sigmoid", "sigmoid_derivative", "cost_derivative", f"{NN}.forward_pass", f"{NN}.cost",
            f"{NN}.back_propagation", f"{NN}.update_mini_batch", f"{NN}.mini_batch_GD"),
    contracts={"sigmoid": ("z",), "sigmoid_derivative": ("z",), "cost_derivative": ("output_activations", "y"),
               f"{NN}.__init__": ("sizes",), f"{NN}.forward_pass": ("x",), f"{NN}.cost": ("X", "Y"),
               f"{NN}.back_propagation": ("x", "y"),
               f"{NN}.mini_batch_GD": ("X", "Y", "epochs", "mini_batch_size", "eta")},
    tests=(
        Test("sigmoid: values", 2, elementwise("sigmoid", public=True), "sigmoid"),
        Test("sigmoid: random arrays", 2, elementwise("sigmoid", public=False), "sigmoid", "hidden"),
        Test("sigmoid: ±800 without overflow", 1, elementwise("sigmoid", False, extremes=True), "sigmoid", "hidden"),
        Test("sigmoid_derivative: values", 3, elementwise("sigmoid_derivative", public=True), "sigmoid_derivative"),
        Test("sigmoid_derivative: random arrays", 1, elementwise("sigmoid_derivative", public=False),
              "sigmoid_derivative", "hidden"),
        Test("sigmoid_derivative: ±800 without overflow", 1, elementwise("sigmoid_derivative", False, extremes=True),
              "sigmoid_derivative", "hidden"),
        Test("cost: 5-3-4-2", 3, cost(public=True), f"{NN}.cost"),
        Test("cost: random networks", 2, cost(public=False), f"{NN}.cost", "hidden"),
        Test("cost_derivative: values", 3, cost_derivative(public=True), "cost_derivative"),
        Test("cost_derivative: random sizes", 2, cost_derivative(public=False), "cost_derivative", "hidden"),
        Test("forward_pass: 5-3-4-2", 4, forward_pass(public=True), f"{NN}.forward_pass"),
        Test("forward_pass: random networks", 6, forward_pass(public=False), f"{NN}.forward_pass", "hidden"),
        Test("back_propagation: bias gradients, 5-3-4-2", 10, gradients("db", public=True),
              f"{NN}.back_propagation"),
        Test("back_propagation: bias gradients, random networks", 15, gradients("db", public=False),
              f"{NN}.back_propagation", "hidden"),
        Test("back_propagation: weight gradients, 5-3-4-2", 14, gradients("dw", public=True),
              f"{NN}.back_propagation"),
        Test("back_propagation: weight gradients, random networks", 21, gradients("dw", public=False),
              f"{NN}.back_propagation", "hidden"),
        Test("mini_batch_GD: cost history, 5-3-4-2", 4, mini_batch_GD(public=True), f"{NN}.mini_batch_GD"),
        Test("mini_batch_GD: cost history, random networks", 6, mini_batch_GD(public=False),
              f"{NN}.mini_batch_GD", "hidden"),
    ),
)
