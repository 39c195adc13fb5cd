#!/usr/bin/env bash
# Installs whatever this project needs and is missing, from the package registries only
# (crates.io, Debian, npm). Safe to run again: each step checks first and skips.
#   scripts/setup.sh          everything (build + test tools)
#   scripts/setup.sh serve    only what building and serving the app needs
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
TRUNK_VERSION=0.22.1
WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1     # wasm-pack test --firefox drives Firefox ESR through it
what=${1:-all}

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

# Rust: the nightly toolchain with rust-src (build-std) and the wasm target.
if ! rustup toolchain list | grep -q '^nightly'; then
  say "installing the nightly toolchain"
  rustup toolchain install nightly --profile minimal
fi
if ! rustup component list --installed --toolchain nightly | grep -q '^rust-src'; then
  say "adding rust-src to nightly"
  rustup component add rust-src --toolchain nightly
fi
if ! rustup target list --installed --toolchain nightly | grep -q '^wasm32-unknown-unknown$'; then
  say "adding the wasm32-unknown-unknown target to nightly"
  rustup target add wasm32-unknown-unknown --toolchain nightly
fi

version_of() { "$1" --version 2>/dev/null | head -n1 | awk '{print $2}'; }

if [ "$(version_of wasm-bindgen)" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # --locked fails for this version: a locked dependency is gone from the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
if [ "$(version_of trunk)" != "$TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (about 15 minutes on 2 cores, once)"
  # trunk needs a newer rustc than stable has here.
  cargo +nightly install trunk --version "$TRUNK_VERSION" --force
fi
# The browser packages the build serves itself (Pyodide, CodeMirror, esbuild): web/.
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  say "installing the web packages (npm ci in web/: Pyodide, CodeMirror, esbuild)"
  (cd web && npm ci --no-audit --no-fund)
fi
[ "$what" = serve ] && { say "ready to serve"; exit 0; }

if [ "$(version_of wasm-pack)" != "$WASM_PACK_VERSION" ]; then
  say "installing wasm-pack $WASM_PACK_VERSION"
  cargo install --locked wasm-pack --version "$WASM_PACK_VERSION" --force
fi
# Browsers from Debian: Chromium with its driver; Firefox ESR (driven through WebDriver
# BiDi by Playwright); WebKitGTK's WebDriver with MiniBrowser, which needs an X server
# (xvfb-run). One apt-get for whatever is missing.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v firefox-esr >/dev/null || missing+=(firefox-esr)
command -v WebKitWebDriver >/dev/null || missing+=(webkit2gtk-driver)
command -v xvfb-run >/dev/null || missing+=(xvfb)
command -v xauth >/dev/null || missing+=(xauth)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing from Debian: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# geckodriver is no Debian package; crates.io has it (about 1.5 minutes to build here).
if [ "$(version_of geckodriver)" != "$GECKODRIVER_VERSION" ]; then
  say "installing geckodriver $GECKODRIVER_VERSION"
  cargo install --locked geckodriver --version "$GECKODRIVER_VERSION" --force
fi
if [ ! -f e2e/node_modules/.package-lock.json ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  say "installing the end-to-end test packages (npm ci)"
  (cd e2e && npm ci --no-audit --no-fund)
fi
say "all tools present"
