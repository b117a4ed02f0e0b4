#!/usr/bin/env bash
# Installs the Debian packages the tests need (when missing) and runs the
# whole test suite. Usage: ./test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v jq >/dev/null 2>&1 || need+=(jq)
# tests/e2e/status_page.rs drives headless Chromium (/usr/bin/chromium).
[ -x /usr/bin/chromium ] || need+=(chromium)
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Python tools the tests use: PyYAML, kubernetes-validate (PyPI, ships its
# schemas) and kafka-python (an independent Kafka protocol client: it reads
# the simulator's answers to the APIs kcat lacks, tests/clients/).
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install -q pyyaml
command -v kubernetes-validate >/dev/null 2>&1 || python3 -m pip install -q kubernetes-validate
python3 -c 'import kafka.admin' 2>/dev/null || python3 -m pip install -q 'kafka-python>=3.0'

cargo test --all-targets "$@"
