"""From-scratch NumPy networks of exercises B1 and B2: plain NumPy, no autograd, written in the
exercises' own style so that the labs (and the tests) can compare them with the engine."""

from .b1_network import Network, cost, cost_derivative, sigmoid, sigmoid_derivative
from .numpy_ann import NumpyANN

__all__ = ["Network", "NumpyANN", "cost", "cost_derivative", "sigmoid", "sigmoid_derivative"]
