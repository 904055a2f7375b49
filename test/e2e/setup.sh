#!/usr/bin/env bash
# Installs what the end-to-end test needs, idempotently: Debian's Chromium (and
# the headers/tools code-server's native modules and Quick Open need), then
# code-server and playwright-core from the npm registry into a cache folder.
#   GPUVM_E2E_CACHE   cache folder (default /tmp/gpuvm-review-e2e)
set -euo pipefail
CACHE="${GPUVM_E2E_CACHE:-/tmp/gpuvm-review-e2e}"
CS_VERSION="${CODE_SERVER_VERSION:-4.100.3}"   # the last line that runs on Node 20 (VS Code 1.100)
PW_VERSION="${PLAYWRIGHT_CORE_VERSION:-1.65.1}"
say() { printf '[e2e-setup +%ss] %s\n' "$SECONDS" "$*"; }
die() { printf '[e2e-setup] ERROR: %s\n' "$*" >&2; exit 1; }
mkdir -p "$CACHE"/{logs,tmp,dl,xdg}
CACHE="$(cd "$CACHE" && pwd)"

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in chromium libkrb5-dev ripgrep iproute2 util-linux; do have "$p" || need+=("$p"); done
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "apt-get install ${need[*]}"
  $SUDO apt-get update >"$CACHE/logs/apt-update.log" 2>&1 || die "apt-get update failed ($CACHE/logs/apt-update.log)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need[@]}" >"$CACHE/logs/apt.log" 2>&1 \
    || die "apt-get install failed ($CACHE/logs/apt.log)"
fi

if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/common.gypi ]; then export npm_config_nodedir=/usr; fi
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
export npm_config_unsafe_perm=true   # code-server's postinstall refuses root otherwise
export npm_config_yes=true           # node-pty's postinstall runs npx node-gyp
export TMPDIR="$CACHE/tmp"
export XDG_CONFIG_HOME="$CACHE/xdg/config" XDG_DATA_HOME="$CACHE/xdg/data" XDG_CACHE_HOME="$CACHE/xdg/cache"

CS_DIR="$CACHE/code-server"
if [ -f "$CS_DIR/.installed-$CS_VERSION" ] && [ -f "$CS_DIR/node_modules/code-server/out/node/entry.js" ]; then
  say "code-server $CS_VERSION present"
else
  rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"
  printf '{ "name": "gpuvm-e2e-code-server", "private": true }\n' >"$CS_DIR/package.json"
  # @vscode/ripgrep's postinstall downloads rg from GitHub: seed its cache with Debian's rg.
  (cd "$CACHE/dl" && npm pack "code-server@$CS_VERSION" >/dev/null 2>"$CACHE/logs/pack.log") || die "npm pack code-server failed"
  RG_PKG="$(tar xzf "$CACHE/dl/code-server-$CS_VERSION.tgz" -O package/lib/vscode/npm-shrinkwrap.json \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).packages["node_modules/@vscode/ripgrep"].version))')"
  (cd "$CACHE/dl" && npm pack "@vscode/ripgrep@$RG_PKG" >/dev/null 2>>"$CACHE/logs/pack.log") || die "npm pack @vscode/ripgrep failed"
  RG_ASSET="$(tar xzf "$CACHE/dl/vscode-ripgrep-$RG_PKG.tgz" -O package/lib/postinstall.js | sed -n "s/^const VERSION = '\(.*\)';.*/\1/p")"
  case "$(node -p process.arch)" in x64) T=x86_64-unknown-linux-musl ;; arm64) T=aarch64-unknown-linux-musl ;; *) die "unsupported arch" ;; esac
  mkdir -p "$TMPDIR/vscode-ripgrep-cache-$RG_PKG"
  tar czf "$TMPDIR/vscode-ripgrep-cache-$RG_PKG/ripgrep-$RG_ASSET-$T.tar.gz" -C "$(dirname "$(command -v rg)")" rg
  say "npm install code-server@$CS_VERSION (native modules build; log $CACHE/logs/code-server.log)"
  (cd "$CS_DIR" && npm install "code-server@$CS_VERSION") >"$CACHE/logs/code-server.log" 2>&1 || { tail -30 "$CACHE/logs/code-server.log" >&2; die "code-server install failed"; }
  touch "$CS_DIR/.installed-$CS_VERSION"
  say "code-server installed"
fi

PW_DIR="$CACHE/pw"
if [ "$(node -p "try{require('$PW_DIR/node_modules/playwright-core/package.json').version}catch{''}")" != "$PW_VERSION" ]; then
  mkdir -p "$PW_DIR"; [ -f "$PW_DIR/package.json" ] || printf '{ "name": "gpuvm-e2e-pw", "private": true }\n' >"$PW_DIR/package.json"
  (cd "$PW_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install "playwright-core@$PW_VERSION") >"$CACHE/logs/pw.log" 2>&1 || die "playwright-core install failed"
fi
say "ready in $CACHE"
