#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver, for the web view's browser tests and `make screenshot`.
# Installs them where it can (root, with apt-get); otherwise it says what is missing and exits 0:
# the browser tests are then skipped, each saying why. Playwright's or Selenium's own browser
# downloads are not used: they need hosts other than the package registries.
set -u
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-browser: chromium and chromedriver are missing and this user cannot install them" \
         "(needs root and apt-get: apt-get install chromium chromium-driver); the browser tests will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null; }; then
    echo "install-browser: apt-get install chromium chromium-driver failed; the browser tests will be skipped" >&2
fi
exit 0
