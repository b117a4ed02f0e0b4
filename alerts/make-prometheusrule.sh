#!/usr/bin/env bash
# Prints isrwatch-rules.yml wrapped as a prometheus-operator PrometheusRule.
set -euo pipefail
cd "$(dirname "$0")"
head -10 prometheusrule.yaml
grep -v '^#' isrwatch-rules.yml | sed 's/^/  /'
