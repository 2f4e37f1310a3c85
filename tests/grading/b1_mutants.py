"""B1's one-fault mutants of the solution: (original text, faulty text, the tests that must lose
marks, a tag the diagnostics must give). Used by tests/grading/test_b1.py and by
benchmarks/grading.py (a class of 200 submissions)."""

GRADS = {"back_propagation: bias gradients, 5-3-4-2", "back_propagation: bias gradients, random networks",
         "back_propagation: weight gradients, 5-3-4-2", "back_propagation: weight gradients, random networks"}
BIAS = {t for t in GRADS if "bias" in t}
WEIGHT = GRADS - BIAS
MBGD = {"mini_batch_GD: cost history, 5-3-4-2", "mini_batch_GD: cost history, random networks"}
COST = {"cost: 5-3-4-2", "cost: random networks"}
FORWARD = {"forward_pass: 5-3-4-2", "forward_pass: random networks"}
SIG_EXTREMES = {"sigmoid: ±800 without overflow", "sigmoid_derivative: ±800 without overflow"}
DERIV = {"sigmoid_derivative: values", "sigmoid_derivative: random arrays", "sigmoid_derivative: ±800 without overflow"}
COST_DERIV = {"cost_derivative: values", "cost_derivative: random sizes"}

MUTANTS = {
    # name: (original text, faulty text, the tests that lose marks, a tag the diagnostics must give)
    "dW transposed": ("dC_dw[l] = activations[l] @ delta.T", "dC_dw[l] = delta @ activations[l].T",
                      WEIGHT | MBGD, "transposed"),
    "σ′ missing": ("* sigmoid_derivative(zs[-1])", "", GRADS | MBGD, "no-sigma-prime"),
    "σ′ of a at the output": ("sigmoid_derivative(zs[-1])", "sigmoid_derivative(activations[-1])",
                              GRADS | MBGD, "sigma-prime-of-a"),
    "sign flipped": ("delta = cost_derivative(activations[-1], y)", "delta = -cost_derivative(activations[-1], y)",
                     GRADS | MBGD, "sign"),
    "factor 2 (the ½ lost)": ("delta = cost_derivative(activations[-1], y)",
                              "delta = 2 * cost_derivative(activations[-1], y)", GRADS | MBGD, "factor-2"),
    "through Wᵀ": ("delta = (self.weights[l] @ delta)", "delta = (self.weights[l].T @ delta)",
                   GRADS | MBGD, "through-transpose"),
    "hidden δ without σ′": ("delta = (self.weights[l] @ delta) * sigmoid_derivative(zs[l - 1])",
                            "delta = self.weights[l] @ delta", GRADS | MBGD, "hidden-layers"),
    "layer loop off by one": ("for l in range(len(self.weights) - 1, -1, -1):",
                              "for l in range(len(self.weights) - 1, 0, -1):", GRADS | MBGD, "value"),
    "flat biases (n,)": ("dC_db[l] = delta\n", "dC_db[l] = delta.ravel()\n", BIAS | MBGD, "shape"),
    "biases summed over the wrong axis": ("dC_db[l] = delta\n", "dC_db[l] = delta.sum(axis=0, keepdims=True)\n",
                                          BIAS | MBGD, "shape"),
    "gradients swapped": ("return dC_dw, dC_db", "return dC_db, dC_dw", GRADS | MBGD, "swapped"),
    "dW from the wrong activation": ("dC_dw[l] = activations[l] @ delta.T", "dC_dw[l] = activations[l + 1] @ delta.T",
                                     WEIGHT | MBGD, "shape"),
    "η not divided by the batch": ("step = eta / len(X_batch)", "step = eta", MBGD, "eta-not-averaged"),
    "no shuffle": ("order = np.random.permutation(len(X))", "order = np.arange(len(X))", MBGD, "no-shuffle"),
    "X and Y shuffled apart": ("X, Y = X[order], Y[order]", "X, Y = X[order], Y[np.random.permutation(len(Y))]",
                               MBGD, "shuffled-apart"),
    "update with the wrong sign": ("w - step * s for w, s", "w + step * s for w, s", MBGD, "value"),
    "one epoch too few": ("for _ in range(epochs):", "for _ in range(epochs - 1):", MBGD, "length"),
    "cost of the last batch recorded": ("costs.append(self.cost(X, Y))", "costs.append(self.cost(X_batch, Y_batch))",
                                        MBGD, "value"),
    "sigmoid overflows": ("e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
                          "return 1.0 / (1.0 + np.exp(-z))", SIG_EXTREMES, "overflow"),
    "sigmoid as eᶻ / (1 + eᶻ)": ("e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
                                "return np.exp(z) / (1.0 + np.exp(z))", SIG_EXTREMES, "overflow"),
    "σ′ = σ(1 + σ)": ("return s * (1.0 - s)", "return s * (1.0 + s)", DERIV | GRADS | MBGD, "value"),
    "σ′ = z(1 − z)": ("s = sigmoid(z)\n    return s * (1.0 - s)", "return z * (1.0 - z)", DERIV | GRADS | MBGD, "value"),
    "cost as the mean": ("        return total\n", "        return total / len(X)\n", COST, "mean-for-sum"),
    "cost without ½": ("total += 0.5 * float(", "total += float(", COST, "factor-2"),
    "cost of the first sample only": ("for x, y in zip(X, Y):\n            a = self.forward_pass",
                                      "for x, y in zip(X[:1], Y[:1]):\n            a = self.forward_pass", COST, "value"),
    "cost_derivative sign": ("return output_activations - y", "return y - output_activations",
                             COST_DERIV | GRADS | MBGD, "sign"),
    "cost_derivative halved": ("return output_activations - y", "return 0.5 * (output_activations - y)",
                               COST_DERIV | GRADS | MBGD, "value"),
    "forward without the transpose": ("a = sigmoid(w.T @ a + b)", "a = sigmoid(w @ a + b)", FORWARD | COST | MBGD, "raised"),
    "not generic: three layers at most": ("for w, b in zip(self.weights, self.biases):\n            a = sigmoid",
                                          "for w, b in zip(self.weights[:3], self.biases[:3]):\n            a = sigmoid",
                                          {"forward_pass: random networks", "cost: random networks"}, "shape"),
    "forward without the bias": ("a = sigmoid(w.T @ a + b)", "a = sigmoid(w.T @ a)", FORWARD | COST, "value"),
}
