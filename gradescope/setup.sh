#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image; the
# zip is unpacked in /autograder/source. It installs a Python >= 3.11 venv in
# /opt/autograder-venv with the pinned requirements, CPU-only torch and this
# package, plus bubblewrap (namespaces for student code where the container
# allows them; Docker refuses them, and then Landlock, seccomp and a uid per run
# confine student code).
#
# For mirrors and air-gapped campuses: AUTOGRADER_TORCH_INDEX replaces the CPU
# index torch comes from (a PEP 503 index URL, e.g. file:///srv/wheels/simple);
# set but empty, torch comes from pip's own configuration (PIP_INDEX_URL,
# PIP_FIND_LINKS, pip.conf), like the requirements always do. The pin stays.
set -euo pipefail

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV=/opt/autograder-venv
TORCH="torch==2.13.0"
TORCH_INDEX="https://download.pytorch.org/whl/cpu"
if [ -n "${AUTOGRADER_TORCH_INDEX+set}" ]; then TORCH_INDEX="$AUTOGRADER_TORCH_INDEX"; fi
export DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

apt-get update
apt-get install -y --no-install-recommends bubblewrap \
    || echo "setup.sh: bubblewrap is not available; student code will run under Landlock + seccomp + a uid per run"

python_is_recent() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null && python_is_recent "$candidate"; then
        PYTHON="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$PYTHON" ]; then  # Ubuntu 22.04 ships 3.10; 3.11 is in its universe archive
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
    PYTHON="$(command -v python3.11)"
fi
VERSION="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
rm -rf "$VENV"
if ! "$PYTHON" -m venv "$VENV"; then  # Debian and Ubuntu package ensurepip apart
    rm -rf "$VENV"
    apt-get install -y --no-install-recommends "python${VERSION}-venv"
    "$PYTHON" -m venv "$VENV"
fi

# Pinned dependencies first (from PyPI), then torch from the CPU index (PyPI's
# torch is the multi-GB CUDA build; its dependencies are already satisfied;
# "$TORCH_INDEX" empty: wherever pip is configured to look),
# then the package itself without touching the others.
"$VENV/bin/python" -m pip install -r "$SOURCE/requirements.txt"
if [ -n "$TORCH_INDEX" ]; then
    "$VENV/bin/python" -m pip install --index-url "$TORCH_INDEX" "$TORCH"
else
    "$VENV/bin/python" -m pip install "$TORCH"
fi
"$VENV/bin/python" -m pip install --no-deps "$SOURCE"

# Fail the image build, not the first student, when something is off.
"$VENV/bin/python" -c 'import torch; assert torch.version.cuda is None, "a CUDA build of torch was installed"'
"$VENV/bin/python" - "$SOURCE" <<'PY'
import sys
from pathlib import Path

from autograder import api, gradescope

config = gradescope.read_config(Path(sys.argv[1]))
problems = api.validate(problems=config["problems"], reference=config["reference"])
sys.exit("\n".join(problems) if problems else None)
PY
echo "setup.sh: the autograder is installed in $VENV"
