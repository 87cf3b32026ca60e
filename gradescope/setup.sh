#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (Ubuntu). It installs Python 3.11 and sockgrade from the autograder zip, which
# gradescope/make_zip.py builds from this checkout (see gradescope/README.md).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# util-linux gives unshare (each test in its own network namespace when the
# container allows it; otherwise tests run one at a time and say so).
apt-get install -y -q python3.11 python3.11-venv util-linux iproute2
python3.11 -m venv /opt/sockgrade
/opt/sockgrade/bin/pip install -q /autograder/source
