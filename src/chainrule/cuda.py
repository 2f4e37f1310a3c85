"""``torch.cuda`` as seen from a NumPy engine: there is no GPU here.

``is_available()`` is False, so course code that picks ``'cuda' if torch.cuda.is_available()
else 'cpu'`` runs on the CPU. For a GPU, train on chainrule's PyTorch backend
(``chainrule.backends``; ``chainrule train --backend torch --device cuda``).
"""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed (no GPU); ``chainrule.manual_seed`` seeds everything."""


manual_seed_all = manual_seed
