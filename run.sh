#!/usr/bin/env bash
# One entry point for a fresh clone: sets up .venv on first use, then runs a job.
#
#   ./run.sh mnist [flags]   train the MNIST MLP on the shipped data and render its graph
#   ./run.sh test  [pytest args]   run the test suite
#   ./run.sh bench [flags]   run the benchmarks
#   ./run.sh notebooks [NN ...]   re-execute the notebooks and store their outputs
#   ./run.sh setup           only create .venv and install
#
# Needs Python >= 3.10 (3.11 recommended) and access to the package index. The Graphviz
# `dot` binary is installed from the OS packages when missing and possible (root or sudo
# with apt-get, or Homebrew); without it everything still runs and graphs are written as DOT.
set -euo pipefail
cd "$(dirname "$0")"

VENV="${TINYGRAD_NP_VENV:-.venv}"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"

setup() {
    if [ ! -x "$VENV/bin/python" ]; then
        echo "run.sh: creating $VENV with $("$PYTHON" --version)"
        "$PYTHON" -m venv "$VENV"
    fi
    # Reinstall only when the packaging metadata changed since the last install.
    local stamp="$VENV/.installed-$(cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)"
    if [ ! -f "$stamp" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e ".[test,examples,notebooks]"
        touch "$stamp"
    fi
    ensure_graphviz
}

ensure_graphviz() {
    command -v dot >/dev/null 2>&1 && return 0
    echo "run.sh: the Graphviz 'dot' binary is missing; trying to install it"
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz) \
            >/dev/null 2>&1 || true
    elif command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq graphviz) >/dev/null 2>&1 || true
    elif command -v brew >/dev/null 2>&1; then
        brew install graphviz >/dev/null 2>&1 || true
    fi
    command -v dot >/dev/null 2>&1 ||
        echo "run.sh: could not install Graphviz; graphs will be saved as DOT text." \
             "Install it yourself (apt-get install graphviz / brew install graphviz)."
}

job="${1:-}"
[ $# -gt 0 ] && shift
case "$job" in
    setup) setup ;;
    mnist) setup; exec "$VENV/bin/python" examples/mnist.py "$@" ;;
    test) setup; exec "$VENV/bin/python" -m pytest "$@" ;;
    bench) setup; exec "$VENV/bin/python" benchmarks/run.py "$@" ;;
    notebooks) setup; exec "$VENV/bin/python" notebooks/build.py "$@" ;;
    *) echo "usage: ./run.sh {mnist|test|bench|notebooks|setup} [args]" >&2; exit 2 ;;
esac
