import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("WORKBOOK_UNATTENDED", "1")
