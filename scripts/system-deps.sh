#!/usr/bin/env bash
# Installs the Debian packages Tongbao needs, only when something is missing (fast on re-runs).
#   scripts/system-deps.sh run   -> what `make run` needs (venv, CJK font, WeasyPrint's libraries)
#   scripts/system-deps.sh test  -> plus Chromium, poppler-utils and Java (the Nu HTML checker) for the test suite
#   scripts/system-deps.sh bench -> plus wrk and GNU time for the benchmarks
set -euo pipefail
mode="${1:-run}"
missing=()

python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
fc-list :lang=zh 2>/dev/null | grep -qi "cjk\|wqy\|noto" || missing+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep -q "libpango-1.0.so" || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so" || missing+=(libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so" || missing+=(libharfbuzz-subset0)
command -v make >/dev/null || missing+=(make)
if [ "$mode" = "test" ] || [ "$mode" = "bench" ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v pdftotext >/dev/null || missing+=(poppler-utils)
  command -v java >/dev/null || missing+=(default-jre-headless)
fi
if [ "$mode" = "bench" ]; then
  command -v wrk >/dev/null || missing+=(wrk)
  [ -x /usr/bin/time ] || missing+=(time)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "please install as root: apt-get install ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# another apt/dpkg (unattended upgrades, a second shell) may hold the package lock: wait for it, up to
# APT_LOCK_WAIT seconds (default 5 minutes), then let apt wait as long again for the dpkg lock itself
wait_s="${APT_LOCK_WAIT:-300}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
$SUDO "$here/wait-apt-lock.sh" "$wait_s"
$SUDO apt-get -o DPkg::Lock::Timeout="$wait_s" update -qq
$SUDO "$here/wait-apt-lock.sh" "$wait_s"
$SUDO apt-get -o DPkg::Lock::Timeout="$wait_s" install -y -qq --no-install-recommends "${missing[@]}" fontconfig >/dev/null
fc-cache -f >/dev/null 2>&1 || true
