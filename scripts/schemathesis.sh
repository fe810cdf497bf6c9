#!/usr/bin/env bash
# Property-based API tests with schemathesis (PyPI), run by CI:
#
#   (a) the emulator's own OpenAPI document (GET /__admin/openapi.json), every
#       operation, with every check that document can be held to;
#   (b) UiPath's reference document of the real service
#       (../shared/reference/license-accountant.openapi.yaml), restricted to
#       the operations the emulator implements, against `{emulator}/lease_`
#       with the documentation's `Authorization: Bearer 1234`.
#
# Each run has its own emulator (the debug binary, on a free port), so that
# the destructive admin calls of (a) -- reset, PUT /__admin/fixtures, DELETE
# /__admin/accounts/..., fault rules -- cannot change what another run sees.
# A fixed example budget and seed, and one worker (with two, schemathesis
# 4.32 sometimes fails with a hypothesis FlakyFailure of its own), so a run
# is reproducible. Exits non-zero on any finding, on a request that times
# out, and if an emulator panicked, died, or broke the seat invariant.
#
#   bash scripts/schemathesis.sh
#   SCHEMATHESIS_EXAMPLES=200 SCHEMATHESIS_SEED=7 bash scripts/schemathesis.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"

SCHEMATHESIS_VERSION=4.32.5
# About two minutes on two cores, most of it in (a1)'s 54 operations.
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-100}"
SEED="${SCHEMATHESIS_SEED:-20261204}"
REFERENCE="${REFERENCE_OPENAPI:-../shared/reference/license-accountant.openapi.yaml}"
# Generous: the debug build answers in milliseconds; a request that takes
# this long is a hang, and schemathesis reports it as an error.
REQUEST_TIMEOUT=10
# A whole schemathesis run that takes this long is stuck; it is interrupted.
RUN_TIMEOUT=600

# The operations of the reference document that the emulator implements.
REFERENCE_OPERATIONS=(
    AllocateGroupRule
    GetAvailableUserLicensesForAccountForGroupCreationOrEditing
    DeallocateGroupRule
    AllocateUserLicensesForAccount
    GetAvailableUserLicensesForAccount
    RetrieveExplicitAllocations
    DeleteMultipleUserLicenses
    RetrieveUserAllocation
    RetrieveGroupAllocations
)

# Prints a command, then runs it.
run() {
    printf '\n+ %s\n' "$*"
    "$@"
}

if [ ! -f "$REFERENCE" ]; then
    echo "error: the reference document is not at $REFERENCE (set REFERENCE_OPENAPI)" >&2
    exit 1
fi
REFERENCE="$(realpath "$REFERENCE")"

run python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    "schemathesis==$SCHEMATHESIS_VERSION"
# The console script may not be on PATH (pip --user, a venv); its entry point is.
schemathesis=(python3 -c 'import sys; from schemathesis.cli import schemathesis as cli; sys.argv[0] = "schemathesis"; sys.exit(cli())')
run "${schemathesis[@]}" --version

run cargo build --locked --quiet
binary="$repo/target/debug/uipath-license-mock"

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# start_emulator NAME [OPTION...]: starts the binary on a free port, logging to
# $work/NAME.log, and sets $url to the address its start-up line names.
start_emulator() {
    local name="$1"
    shift
    "$binary" --port 0 "$@" >"$work/$name.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    for _ in $(seq 1 300); do
        url="$(grep -o -m1 'listening on http://[0-9.:]*' "$work/$name.log" | sed 's/^listening on //' || true)"
        if [ -n "$url" ]; then
            echo "emulator '$name' (pid $pid) at $url"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    echo "error: emulator '$name' did not start:" >&2
    cat "$work/$name.log" >&2
    exit 1
}

# Values the generators draw from most of the time, so that requests reach
# real accounts, groups, users and codes of the embedded default fixtures
# (and a code no account holds, for the 409), not only 404s.
cat >"$work/common.toml" <<'TOML'
[cache]
enabled = false

[dictionaries]
accounts = { values = ["1234", "song-one", "no-license"] }
groups = { values = ["group-01", "all-staff", "new-group"] }
users = { values = ["singer-77", "singer-111", "ann"] }
codes = { values = ["IDU", "RPADEVPRONU", "CTZDEVCU", "ACNU", "TSTNU", "NOT-HELD"] }
faults = { values = ["fault-1", "fault-2"] }
grants = { values = ["client_credentials", "password", "refresh_token"] }
clients = { values = ["demo-app"] }
secrets = { values = ["demo-secret"] }

[parameters]
"path.accountId" = { dictionary = "accounts", probability = 0.8 }
"path.groupId" = { dictionary = "groups", probability = 0.8 }
"path.userId" = { dictionary = "users", probability = 0.8 }
"path.id" = { dictionary = "faults", probability = 0.5 }
"body.userBundleCodes[*]" = { dictionary = "codes", probability = 0.8 }
"body.userBundleLicenses[*]" = { dictionary = "codes", probability = 0.8 }
"body.licenseCodes[*]" = { dictionary = "codes", probability = 0.8 }
"body.quotas[*].userBundleCode" = { dictionary = "codes", probability = 0.8 }
"body.userIds[*]" = { dictionary = "users", probability = 0.8 }
"body.groupIds[*]" = { dictionary = "groups", probability = 0.8 }
"body.grant_type" = { dictionary = "grants", probability = 0.8 }
"body.client_id" = { dictionary = "clients", probability = 0.8 }
"body.client_secret" = { dictionary = "secrets", probability = 0.8 }
TOML

cp "$work/common.toml" "$work/own.toml"

{
    cat "$work/common.toml"
    cat <<'TOML'

# Ids are `format: uuid` in the reference document; the emulator takes any
# non-empty id (SPEC §2) and its fixtures use readable ones.
[checks.response_schema_conformance]
validate-formats = false
TOML
} >"$work/reference.toml"

# The checks a document that lists every status and header can be held to.
# Not `positive_data_acceptance`: the emulator rightly refuses some
# schema-valid input with a 4xx by its own rules (a wrong password, a scope
# the client lacks, an empty id or code, a sortOrder other than asc/desc).
own_checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,missing_required_header,unsupported_method,allow_header_conformance,use_after_free,ensure_resource_availability,ignored_auth

common=(
    --max-examples "$EXAMPLES"
    --seed "$SEED"
    --workers 1
    --generation-database none
    --request-timeout "$REQUEST_TIMEOUT"
    --continue-on-failure
    --no-color
)

failed=()
# st_run NAME CONFIG ARG...: one schemathesis run, interrupted after RUN_TIMEOUT.
st_run() {
    local name="$1" config="$2"
    shift 2
    printf '\n=== schemathesis: %s\n' "$name"
    local status=0
    (cd "$work" && run timeout --signal=INT --kill-after=30 "$RUN_TIMEOUT" \
        "${schemathesis[@]}" --config-file "$config" run "${common[@]}" "$@") || status=$?
    if [ "$status" -ne 0 ]; then
        failed+=("$name (exit $status)")
    fi
}

# check_emulator NAME journal|no-journal URL [TOKEN]: no panic in its log;
# some 2xx answers in its journal (a run that never reached the API proves
# nothing) and no 5xx; used <= total for every code of every account,
# recounted from GET /__admin/state; with a TOKEN, the recount must also
# equal what GET {acc}/user-license says. `no-journal` skips the 2xx
# requirement, for the control plane's emulator, whose run resets and
# clears its journal.
check_emulator() {
    local name="$1" journal="$2" base="$3" token="${4:-}"
    if grep -q 'panicked at' "$work/$name.log"; then
        echo "error: emulator '$name' panicked:" >&2
        grep -A3 'panicked at' "$work/$name.log" >&2
        failed+=("emulator '$name' panicked")
    fi
    if ! python3 - "$base" "$token" "$journal" <<'PY'; then
import json, sys, urllib.parse, urllib.request

base, token, check_journal = sys.argv[1], sys.argv[2], sys.argv[3] == "journal"


def get(path, **headers):
    request = urllib.request.Request(base + path, headers=headers)
    return json.load(urllib.request.urlopen(request, timeout=10))


def count(status):
    request = urllib.request.Request(
        f"{base}/__admin/requests/count",
        data=json.dumps({"status": status}).encode(),
        headers={"Content-Type": "application/json"},
    )
    return json.load(urllib.request.urlopen(request, timeout=10))["count"]


broken = []
answers = {status: count(status) for status in ("2xx", "3xx", "4xx", "5xx")}
print(f"journal: {answers}")
if answers["5xx"]:
    broken.append(f"{answers['5xx']} answers were 5xx")
if check_journal and not answers["2xx"]:
    broken.append("no answer was 2xx: the run never reached the API")
state = get("/__admin/state")
for account in state["accounts"]:
    licenses = account.get("licenses")
    if licenses is None:
        continue
    used = dict.fromkeys(licenses, 0)
    for group in account.get("groups", []):
        rule = group.get("rule")
        if not rule or rule.get("useExternalLicense"):
            continue
        members = group.get("members")
        # SPEC §2: an undeclared group counts one member.
        members = 1 if members is None else len(members) if isinstance(members, list) else members
        for code in dict.fromkeys(rule["userBundleCodes"]):
            seats = min(members, rule.get("quotas", {}).get(code, members))
            used[code] = used.get(code, 0) + seats
    for user in account.get("users", []):
        if user.get("useExternalLicense"):
            continue
        for code in dict.fromkeys(user["userBundleCodes"]):
            used[code] = used.get(code, 0) + 1
    name = account["accountId"]
    for code, seats in used.items():
        if seats > licenses.get(code, 0):
            broken.append(f"{name}: {code} used {seats} > total {licenses.get(code, 0)}")
    if token:
        path = f"/lease_/api/account/{urllib.parse.quote(name, safe='')}/user-license"
        for bundle in get(path, Authorization=f"Bearer {token}"):
            expected = (used.get(bundle["code"]), licenses.get(bundle["code"]))
            if (bundle["allocated"], bundle["total"]) != expected:
                broken.append(f"{name}: {bundle} but the state says used, total = {expected}")
print(f"invariant: {len(state['accounts'])} accounts recounted, {len(broken)} problems")
for line in broken:
    print("  " + line)
sys.exit(1 if broken else 0)
PY
        failed+=("emulator '$name': seat invariant or recount")
    fi
}

start_emulator own-api --auth strict
api="$url"
start_emulator own-admin
admin="$url"
start_emulator reference
reference="$url"

# The document under test, saved once: the admin run may reset its emulator
# and the document must not change under a run.
run curl -sSf -o "$work/openapi.json" "$api/__admin/openapi.json"

# (a1) License Accountant and identity operations, in strict auth mode with a
# token the emulator issued, so that `ignored_auth` means something (lenient
# mode accepts any token by design, SPEC §5).
token="$(curl -sSf "$api/identity_/connect/token" \
    -d grant_type=client_credentials -d client_id=demo-app -d client_secret=demo-secret |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
st_run "own document: license and identity operations (strict auth)" "$work/own.toml" \
    "$work/openapi.json" --url "$api" --exclude-path-regex '^/__admin/' \
    -H "Authorization: Bearer $token" --checks "$own_checks"

# (a2) The control plane, on its own emulator: resets, fixture replacements,
# account deletions and fault rules land there (admin routes are never
# faulted, so the rules it creates cannot fail its own requests).
# Not `negative_data_rejection` here: the admin bodies' counts and limits are
# Rust unsigned integers, which the document types as `format: int32` or
# `int64` (utoipa's mapping), and schemathesis reads those formats as bounds:
# a `members` of 2^31 or a fault `seed` of 2^63 is "schema-violating" yet
# rightly accepted. Wrong types, missing and unknown properties are still
# covered by the negative examples, through the other checks.
st_run "own document: control plane (/__admin)" "$work/own.toml" \
    "$work/openapi.json" --url "$admin" --include-path-regex '^/__admin/' \
    --checks "${own_checks/,negative_data_rejection/}"

# (b) The reference document: its error answers are undocumented (no 400,
# 404 or 409 is listed) and its DTOs say `additionalProperties: false` where
# ASP.NET Core ignores unknown properties (SPEC §3), so only what it does
# document is checked: no server error, 2xx bodies and content types as
# documented, 405 with Allow for methods it does not list.
reference_filter=()
for operation in "${REFERENCE_OPERATIONS[@]}"; do
    reference_filter+=(--include-operation-id "$operation")
done
st_run "reference document: the ${#REFERENCE_OPERATIONS[@]} implemented operations" "$work/reference.toml" \
    "$REFERENCE" --url "$reference/lease_" "${reference_filter[@]}" \
    -H "Authorization: Bearer 1234" \
    --checks not_a_server_error,content_type_conformance,response_schema_conformance,unsupported_method,allow_header_conformance

printf '\n=== emulators after the runs\n'
check_emulator own-api journal "$api"
check_emulator own-admin no-journal "$admin" 1234
check_emulator reference journal "$reference" 1234
for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        failed+=("emulator pid $pid died")
    fi
done

if [ "${#failed[@]}" -ne 0 ]; then
    printf '\nschemathesis: FAILED\n' >&2
    printf '  - %s\n' "${failed[@]}" >&2
    exit 1
fi
printf '\nschemathesis: all runs passed (%s examples per operation, seed %s)\n' "$EXAMPLES" "$SEED"
