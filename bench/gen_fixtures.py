#!/usr/bin/env python3
"""Fixture generator for benchmarks and scale checks.

  gen_fixtures.py bench OUT      a few accounts with many groups: small groups whose
                                 rules fit (200) and large ones whose rules never do (409);
                                 a client, bench-app, for a token from the token endpoint
  gen_fixtures.py scale N OUT    N accounts, each with a group, a rule and a direct user
"""
import json
import sys

CODES = ["ACNU", "ATTUNU", "RPADEVPRONU", "CTZDEVNU", "IDU", "PMBU", "PMD", "TSTNU"]


def bench():
    accounts = []
    for a in range(4):
        groups = [{"groupId": f"small-{g}", "members": 3} for g in range(200)]
        groups += [{"groupId": f"large-{g}", "members": 5000} for g in range(50)]
        accounts.append({
            "accountId": f"bench-{a}",
            # 200 small groups x 3 members x 1 code = 600 seats at most per code.
            "licenses": {code: 1000 for code in CODES},
            "groups": groups,
        })
    # For the run with a token from the token endpoint (lenient mode lets it
    # reach every bench account).
    clients = [{"clientId": "bench-app", "clientSecret": "bench-secret", "accountId": "bench-0",
                "scopes": ["PM.License"]}]
    return {"accounts": accounts, "clients": clients}


def scale(n):
    accounts = []
    for a in range(n):
        accounts.append({
            "accountId": f"acct-{a:06d}",
            "licenses": {"IDU": 10, "RPADEVPRONU": 10},
            "groups": [{"groupId": "team", "members": 3,
                        "rule": {"userBundleCodes": ["IDU"], "useExternalLicense": False}}],
            "users": [{"userId": "owner", "userBundleCodes": ["RPADEVPRONU"], "useExternalLicense": False}],
        })
    return {"accounts": accounts}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "bench":
        doc = bench()
        out = sys.argv[2]
    elif len(sys.argv) == 4 and sys.argv[1] == "scale":
        doc = scale(int(sys.argv[2]))
        out = sys.argv[3]
    else:
        sys.exit(__doc__)
    with open(out, "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
