"""Exercise references of notebooks 15 and 16 (ethics, conclusion), used as ``cu.exercises.<name>``.

Nothing here imports torch at import time: each function that needs it imports it itself.
"""

__all__: list[str] = []
