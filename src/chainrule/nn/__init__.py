"""Layers, containers and losses with PyTorch's names, signatures and defaults."""

from . import functional, init, utils
from .activation import ELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Step, Tanh
from .activation import GELU, Hardtanh, Mish, ReLU6, SiLU, Softplus
from .container import ModuleList, Sequential
from .container import ModuleDict, ParameterDict, ParameterList
from .conv import AvgPool2d, Conv2d, MaxPool2d
from .conv import Conv1d, ConvTranspose2d, Upsample
from .linear import Flatten, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HalfMSELoss, MSELoss, NLLLoss
from .loss import HuberLoss, KLDivLoss, L1Loss, MultiMarginLoss, SmoothL1Loss
from .module import LayerError, Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d, Dropout
from .normalization import LayerNorm
from .pooling import AdaptiveAvgPool2d
from .sparse import Embedding
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "LayerError", "Sequential", "ModuleList",
    "Linear", "Identity", "Flatten", "Conv2d", "MaxPool2d", "AvgPool2d",
    "Conv1d", "ConvTranspose2d", "Upsample",
    "BatchNorm1d", "BatchNorm2d", "Dropout",
    "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Step",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
    "MSELoss", "HalfMSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "MultiMarginLoss",
    "GELU", "SiLU", "Softplus", "Hardtanh", "ReLU6", "Mish",
    "ModuleDict", "ParameterList", "ParameterDict", "LayerNorm", "Embedding", "AdaptiveAvgPool2d",
]
