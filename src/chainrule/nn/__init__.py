"""Layers, containers and losses with PyTorch's names, signatures and defaults."""

from . import functional, init, utils
from .activation import ELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Step, Tanh
from .container import ModuleList, Sequential
from .conv import AvgPool2d, Conv2d, MaxPool2d
from .linear import Flatten, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HalfMSELoss, MSELoss, NLLLoss
from .module import LayerError, Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d, Dropout

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "LayerError", "Sequential", "ModuleList",
    "Linear", "Identity", "Flatten", "Conv2d", "MaxPool2d", "AvgPool2d",
    "BatchNorm1d", "BatchNorm2d", "Dropout",
    "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Step",
    "MSELoss", "HalfMSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
]
