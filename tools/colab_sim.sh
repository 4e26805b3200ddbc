#!/usr/bin/env bash
# Simulate Google Colab as far as it can be tried here (`make colab-sim`):
#   - a fresh virtual environment with only what Colab preinstalls and this workbook relies on
#     (torch, numpy, scipy, scikit-learn, matplotlib, pandas, tqdm, ipywidgets, numba) plus the kernel
#     machinery (ipykernel, nbclient) that Colab runs notebooks with;
#   - a stand-in `google.colab` module (its presence is what the setup cell tests);
#   - the repository URL pointed at a local clone of this repository's HEAD, and /content at a folder
#     of the simulation;
#   - then each notebook's bootstrap cell (git clone + pip install of what Colab lacks) and the notebook
#     top to bottom, with FAST=1 unless WORKBOOK_FAST says otherwise.
# Not simulated: Colab's own package versions, its GPU runtime, Drive, and the network to GitHub.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIM=${COLAB_SIM_DIR:-/tmp/colab-sim}
NOTEBOOKS=${NOTEBOOKS:-"06 08"}
PYTHON=${PYTHON:-python3}

rm -rf "$SIM"
mkdir -p "$SIM/content" "$SIM/site/google/colab" "$SIM/notebooks"
test -z "$(git -C "$ROOT" status --porcelain notebooks course_utils)" || \
    echo "note: uncommitted changes are not simulated (the setup cell clones HEAD)"
"$PYTHON" -m venv "$SIM/venv"
PY="$SIM/venv/bin/python"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet torch==2.13.0
"$PY" -m pip install --quiet numpy scipy scikit-learn matplotlib pandas tqdm ipywidgets numba ipykernel nbclient nbformat
echo '"""Stand-in for Colab'"'"'s google.colab: the workbook only tests that it can be imported."""' \
    > "$SIM/site/google/colab/__init__.py"
touch "$SIM/site/google/__init__.py"
# Colab's kernels start with google.colab already imported: an IPython startup file does the same here.
mkdir -p "$SIM/ipython/profile_default/startup"
echo "import google.colab  # noqa: F401" > "$SIM/ipython/profile_default/startup/00-colab.py"
git clone --quiet "$ROOT" "$SIM/repo"

status=0
for nb in $NOTEBOOKS; do
    src=$(ls "$SIM"/repo/notebooks/"$nb"-*.ipynb)  # the notebook as committed, like the code it clones
    name=$(basename "$src")
    # the setup cell, pointed at the local clone and the simulated /content
    sed -e "s#https://github.com/[A-Za-z0-9_.-]*/[A-Za-z0-9_.-]*\\\\\"#file://$SIM/repo\\\\\"#" \
        -e "s#/content#$SIM/content#g" "$src" > "$SIM/notebooks/$name"
    rm -rf "$SIM/content/workbook"
    echo "== $name"
    if (cd "$SIM/content" && PYTHONPATH="$SIM/site" IPYTHONDIR="$SIM/ipython" WORKBOOK_FAST="${WORKBOOK_FAST:-1}" WORKBOOK_UNATTENDED=1 \
        MPLBACKEND=Agg "$PY" - "$SIM/notebooks/$name" <<'PYEOF'
import sys, time
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=900, kernel_name="python3").execute()
nbformat.write(nb, path.replace(".ipynb", ".executed.ipynb"))
print(f"ran top to bottom in {time.perf_counter() - start:.0f} s")
PYEOF
    ); then echo "ok   $name"; else echo "FAIL $name"; status=1; fi
done
test -d "$SIM/content/workbook" && echo "the setup cell cloned the workbook into $SIM/content/workbook"
exit $status
