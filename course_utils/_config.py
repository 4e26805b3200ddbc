"""The one place that names where the workbook lives online.

`python -m course_utils.workbook stamp` writes these into every notebook's "Open in Colab" badge and
Colab setup cell; change them here (or pass --url) and run it again after forking the repository.
"""

REPOSITORY_URL = "https://github.com/generative-models-workbook/workbook"
BRANCH = "main"
