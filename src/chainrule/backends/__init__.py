"""Other engines for chainrule's models. :mod:`.torch_backend` builds, trains and compares
PyTorch twins of chainrule models; it imports torch only when one of its functions is called,
so chainrule without torch installed works fully on its own engine."""

__all__ = ["torch_backend"]
