#!/usr/bin/env bash
# Installs the Debian packages sohoa needs, only those missing.
#   scripts/install-system.sh run    -> what `make run` needs
#   scripts/install-system.sh test   -> the above plus what the test suite needs
#   scripts/install-system.sh bench  -> the above plus the benchmarks' load generator
set -euo pipefail

RUN_PACKAGES=(python3 python3-venv tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils
              redis-server fonts-dejavu-core qpdf icc-profiles-free)
# A JDK and Maven build and run the real OpenSearch node of the tests (tests/opensearch_node).
# Chromium: the browser tests (tests/browser/) drive Debian's /usr/bin/chromium with Playwright;
# no browser is ever downloaded (`playwright install` is not run).
TEST_PACKAGES=(postgresql postgresql-common openjdk-17-jdk-headless maven chromium)
BENCH_PACKAGES=(wrk)

wanted=("${RUN_PACKAGES[@]}")
if [[ "${1:-run}" == "test" || "${1:-run}" == "bench" ]]; then
  wanted+=("${TEST_PACKAGES[@]}")
fi
if [[ "${1:-run}" == "bench" ]]; then
  wanted+=("${BENCH_PACKAGES[@]}")
fi

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  SUDO="sudo"
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts services on install; sohoa starts its own throwaway instances.
if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
  $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
