#!/usr/bin/env bash
# Checks the tools the project needs before anything is installed, and says how to get what is missing.
# Usage: scripts/check-prerequisites.sh PYTHON
set -u
python_bin=${1:-python3}
missing=0

report() {
  printf 'missing prerequisite: %s\n  how to get it: %s\n' "$1" "$2" >&2
  missing=1
}

if ! command -v "$python_bin" >/dev/null 2>&1; then
  report "Python 3.11 or 3.12 ('$python_bin' not found)" \
    "install python3.11 (apt install python3.11 python3.11-venv, brew install python@3.11, or pyenv install 3.11) or run make PYTHON=/path/to/python3.11"
elif ! "$python_bin" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 12) else 1)'; then
  report "Python 3.11 or 3.12 ('$python_bin' is $("$python_bin" -V 2>&1))" \
    "install python3.11 (the Python of AWS Glue 5.1) and run make PYTHON=python3.11"
elif ! "$python_bin" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  report "the venv module of $python_bin" "apt install python3-venv (or the python3.X-venv package of your Python)"
fi

if ! command -v node >/dev/null 2>&1; then
  report "Node.js 20 or newer (node not found)" "install Node.js 20 LTS or newer (https://nodejs.org, nvm install 20, or apt install nodejs)"
elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  report "Node.js 20 or newer (found $(node --version))" "upgrade Node.js: nvm install 22"
elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
  printf 'note: Node.js %s is past its end of life (April 2026); the pipelines build on Node.js 22 (nvm install 22)\n' "$(node --version)" >&2
fi
command -v npm >/dev/null 2>&1 || report "npm (not found)" "install npm with Node.js"

if ! command -v java >/dev/null 2>&1; then
  report "Java 17 (java not found; Spark 3.5 of AWS Glue 5.1 runs on it)" \
    "apt install openjdk-17-jre-headless, brew install openjdk@17, or set JAVA_HOME to a JDK 17"
else
  java_major=$(java -version 2>&1 | sed -n -E 's/.*version "([0-9]+).*/\1/p' | head -n 1)
  if [ "${java_major:-0}" != "17" ]; then
    report "Java 17 (found Java ${java_major:-unknown})" \
      "install a JDK 17 (apt install openjdk-17-jre-headless) and put it first on PATH or set JAVA_HOME"
  fi
fi

exit $missing
