#!/usr/bin/env bash
# `make container-test`: builds the Containerfile's images with buildah (chroot isolation: no daemon, no
# privileges beyond root) and checks the cpu image: `tagmetry --version`, tagging the demo folder with the
# bundled demo model (captions checked), `serve` answering GET / (with the Host check and the access token),
# the HEALTHCHECK script; then builds the cuda target. Needs root (it installs buildah and debootstrap with
# apt when missing) and the Debian apt mirror and npm registry; no image registry: the Debian 12 base is
# made with debootstrap from the machine's apt mirror and imported as localhost/debian:12, and both targets
# are built FROM it through the BASE / CUDA_BASE build arguments (the cuda target on that base has the
# pinned CUDA provider but not the CUDA / cuDNN libraries, which NVIDIA's base image brings: docs/deploy.md).
#
# Not part of `make test` / CI. Measured on 2 shared cores with a warm ccache: a first run ~17 minutes
# (the debootstrap base 2 min once; cpu target 7.7 min and cuda target 6 min with their dependency layers,
# the compile at 100 % ccache hits), a run after source changes a few minutes (cpu 53-76 s from buildah's
# layer cache); a cold ccache adds the full compile per target (tens of minutes on 2 cores).
# Environment: CONTAINER_TEST_WORK (scratch folder, default /var/tmp/tagmetry-container-test),
# CCACHE_HOST_DIR (ccache folder mounted into the builds, default ~/.cache/ccache), JOBS (default 2),
# CONTAINER_TEST_CUDA=0 skips the cuda target, STORAGE_DRIVER (buildah; vfs where overlay does not work).
set -euo pipefail
root=${CONTAINER_TEST_ROOT:-"$(cd "$(dirname "$0")/.." && pwd)"}  # the source tree (when run from a copy)
work=${CONTAINER_TEST_WORK:-/var/tmp/tagmetry-container-test}
ccache_dir=${CCACHE_HOST_DIR:-$HOME/.cache/ccache}
jobs=${JOBS:-2}
base=localhost/debian:12
port=${CONTAINER_TEST_PORT:-17860}
mkdir -p "$work" "$ccache_dir"
step() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
fail() { echo "container-test: FAILED: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "run as root (buildah with chroot isolation, debootstrap)"
if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
  step "apt-get install buildah debootstrap"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah debootstrap
fi
export BUILDAH_ISOLATION=chroot

if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
  # The first Debian mirror of this machine's apt sources (deb822 or one-line format).
  mirror=$(grep -h -o -E 'https?://[^ ]+/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
           grep -v -- -security | head -n 1)
  mirror=${mirror:-http://deb.debian.org/debian}
  step "debootstrap bookworm from $mirror -> $base"
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" > "$work/debootstrap.log" ||
    fail "debootstrap (log: $work/debootstrap.log)"
  rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*  # as debian:12 ships
  tar -C "$work/rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf "$work/rootfs.tar" .
  ctr=$(buildah from scratch)
  buildah add --quiet "$ctr" "$work/rootfs.tar" / >/dev/null
  buildah config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
  buildah commit --quiet --rm "$ctr" "$base" >/dev/null
  rm -rf "$work/rootfs" "$work/rootfs.tar"
fi

# Behind a TLS-intercepting proxy npm needs this machine's CA bundle: mounted into the build.
ca_args=()
if [[ -n "${NODE_EXTRA_CA_CERTS:-}" && -f "$NODE_EXTRA_CA_CERTS" ]]; then
  ca_args=(--volume "$NODE_EXTRA_CA_CERTS:/run/tagmetry-host-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/tagmetry-host-ca.crt)
fi

build() {  # build TARGET
  local target=$1 t0=$SECONDS log="$work/build-$1.log"
  step "buildah build --target $target (BASE=$base, ccache $ccache_dir, -j$jobs; log $log)"
  # --format docker: the OCI format has no HEALTHCHECK.
  if ! buildah build --isolation chroot --layers --format docker --target "$target" -f "$root/Containerfile" \
      --build-arg BASE="$base" --build-arg CUDA_BASE="$base" --build-arg JOBS="$jobs" \
      --build-arg CCACHE_DIR=/ccache --volume "$ccache_dir:/ccache:rw" "${ca_args[@]}" \
      -t "localhost/tagmetry:$target" "$root" > "$log" 2>&1; then
    tail -n 30 "$log"
    fail "buildah build --target $target (log: $log)"
  fi
  grep -E '^(STEP|container-build)|hits|misses' "$log" || true
  echo "built localhost/tagmetry:$target in $((SECONDS - t0)) s, $(buildah images --format '{{.Size}}' "localhost/tagmetry:$target")"
}

build cpu
image=localhost/tagmetry:cpu
buildah inspect --type image "$image" | grep -q tagmetry-healthcheck || fail "the image has no HEALTHCHECK"
ctr=$(buildah from "$image")
serve_pid=
descendants() {  # PID: its children, their children, …
  local child
  for child in $(pgrep -P "$1" || true); do echo "$child"; descendants "$child"; done
}
cleanup() {
  if [[ -n "$serve_pid" ]]; then
    local pids
    pids=$(descendants "$serve_pid")
    # shellcheck disable=SC2086
    [[ -z "$pids" ]] || kill $pids 2>/dev/null || true
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  buildah rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT
data="$work/data"
rm -rf "$data" && mkdir -p "$data" && chown 1000:1000 "$data"
run() { buildah run --isolation chroot --user tagmetry --volume "$data:/data:rw" "$ctr" -- "$@"; }

step "tagmetry --version"
version=$(run tagmetry --version)
echo "$version"
[[ "$version" == *"$(sed -n 's/^project(tagmetry VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"* ]] ||
  fail "tagmetry --version printed '$version'"

step "tag the demo folder with the bundled demo model"
run sh -c 'cp -r /opt/tagmetry/share/tagmetry/demo/images /data/demo &&
  tagmetry tag /data/demo --model-dir /opt/tagmetry/share/tagmetry/demo/wd --general-threshold 0.5 --json' > "$work/tag.json"
for f in "$data"/demo/*.txt; do printf '%-10s %s\n' "$(basename "$f")" "$(cat "$f")"; done
[[ $(ls "$data"/demo/*.txt | wc -l) -eq 5 ]] || fail "expected 5 captions in the demo folder"
grep -q '"tagged": *5' "$work/tag.json" || fail "tag --json did not report 5 tagged images: $(cat "$work/tag.json")"
# The demo model's colour themes (tests/fixtures/make_known_answer_models.py; its probe tags aside).
for want in "ocean.txt blue_theme" "sunset.txt red_theme" "forest.txt green_theme" "night.txt dark"; do
  set -- $want
  tr -d ' ' < "$data/demo/$1" | tr ',' '\n' | grep -qx "$2" || fail "$1: no $2 in '$(cat "$data/demo/$1")'"
done
step "serve on 0.0.0.0:$port with an access token"
token=container-test-$RANDOM$RANDOM
buildah run --isolation chroot --user tagmetry --volume "$data:/data:rw" --env TAGMETRY_TOKEN="$token" "$ctr" -- \
  tagmetry serve /data/demo --host 0.0.0.0 --port "$port" > "$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 60); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  kill -0 "$serve_pid" 2>/dev/null || fail "serve exited: $(cat "$work/serve.log")"
  sleep 0.5
done
cat "$work/serve.log"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
[[ "$code" == 401 ]] || fail "GET / without the token answered $code, expected 401"
curl -fsS -c "$work/cookies" "http://127.0.0.1:$port/?token=$token" > "$work/index.html" || fail "GET /?token=… failed"
grep -qi '<!doctype html' "$work/index.html" || fail "GET / did not return the web app: $(head -c 300 "$work/index.html")"
curl -fsS -b "$work/cookies" "http://127.0.0.1:$port/api/session" > /dev/null || fail "the token cookie was not accepted"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: evil.example:$port" -H "Authorization: Bearer $token" "http://127.0.0.1:$port/")
[[ "$code" == 403 ]] || fail "a foreign Host header answered $code, expected 403"
echo "GET / -> the web app ($(wc -c < "$work/index.html") bytes); no token -> 401; foreign Host -> 403"
# The HEALTHCHECK runs inside the container that runs serve: one `buildah run` for both.
health=$(buildah run --isolation chroot --user tagmetry --volume "$data:/data:rw" --env TAGMETRY_TOKEN="$token" "$ctr" -- sh -c '
  tagmetry serve /data/demo --host 0.0.0.0 --port '"$((port + 1))"' >/dev/null 2>&1 & pid=$!
  for i in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:'"$((port + 1))"'/ && break; sleep 0.2; done
  tagmetry-healthcheck && good=ok
  TAGMETRY_TOKEN=wrong-token tagmetry-healthcheck 2>/dev/null || wrong=refused
  kill $pid; wait $pid
  echo "right token: ${good:-FAILED}; wrong token: ${wrong:-PASSED}"')
echo "HEALTHCHECK script: $health"
[[ "$health" == "right token: ok; wrong token: refused" ]] || fail "the HEALTHCHECK script: $health"
cleanup; serve_pid=; trap - EXIT

if [[ "${CONTAINER_TEST_CUDA:-1}" != 0 ]]; then
  build cuda
  ctr=$(buildah from localhost/tagmetry:cuda)
  step "cuda image on $base (no CUDA libraries in it): the provider is there, doctor names what is missing"
  buildah run --isolation chroot "$ctr" -- sh -c 'ls -l /opt/tagmetry/lib; tagmetry --version; tagmetry doctor || true'
  buildah run --isolation chroot "$ctr" -- test -f /opt/tagmetry/lib/libonnxruntime_providers_cuda.so ||
    fail "the cuda image has no CUDA provider library"
  buildah rm "$ctr" >/dev/null
fi
step "container-test: OK"
buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' | grep tagmetry
