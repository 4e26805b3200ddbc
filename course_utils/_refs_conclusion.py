"""Exercise references of notebook 16 (conclusion: the capstone and the quiz), used as ``cu.exercises.<name>``.

Nothing here imports torch at import time: each function that needs it imports it itself.
"""

__all__: list[str] = []
