"""Authoring helpers: build a workbook notebook with the standard cells and nbgrader metadata.

The ``.ipynb`` files in ``notebooks/`` are the source of truth; this module only saves typing when a
notebook is first written. The builders live in the package (``course_utils._authoring``, with the
standard setup cells in ``course_utils.workbook``), so a scratch script run with the project's
environment needs no ``sys.path`` edits::

    from course_utils._authoring import header, objectives, setup, parameters, md, code, solution, check, write
    cells = [header("06", "Gaussian Mixture Models", "06-gaussian-mixture-models.ipynb"),
             objectives([...]), *setup(), *parameters(), ...]
    write("notebooks/06-gaussian-mixture-models.ipynb", cells)

or, from the repository root, ``from tools.nb import ...`` (this file re-exports them).

Conventions the structure tests enforce:
- cell 0: title ``# NN · Title`` and the Colab badge (stamped by ``python -m course_utils.workbook stamp``);
- a Colab bootstrap cell, an imports cell, a cell tagged ``parameters`` defining FAST, SEED, DEVICE;
- each exercise: a solution cell (nbgrader ``solution``) whose body sits between ``### BEGIN SOLUTION``
  and ``### END SOLUTION`` inside a function, then a locked check cell (nbgrader ``grade`` with points)
  that calls ``cu.exercises.check``;
- no outputs or execution counts are stored.
"""

from course_utils._authoring import (
    PARAMETERS,
    SETUP_COLAB,
    answer,
    check,
    code,
    header,
    md,
    objectives,
    parameters,
    setup,
    solution,
    write,
)

__all__ = ["SETUP_COLAB", "PARAMETERS", "md", "code", "solution", "check", "answer", "header", "objectives",
           "setup", "parameters", "write"]
