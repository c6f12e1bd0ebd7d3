#!/usr/bin/env bash
# Drive the local control plane with the real, last published grid CLI (lightning-grid 0.8.81):
# login, create, list, edit, set the cluster context, delete. Proves the server speaks Grid's wire
# format to a client someone else wrote. A quick manual run; the suite's tests/interop covers every
# command and its error path. Needs Python 3.9 (the CLI does not run on 3.11).
# Usage: scripts/grid-cli-interop.sh [PYTHON3.9]   (run from the repository root, after the README install)
set -euo pipefail
py39=${1:-python3.9}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
gridsync=$PWD/.venv/bin/gridsync

scripts/grid-cli-venv.sh .venv-grid-cli "$py39"
grid=$PWD/.venv-grid-cli/bin/grid

mkdir -p "$work/plane" "$work/home"
(cd "$work/plane" && exec "$gridsync" local-grid serve --port 0 >url 2>log) &
server=$!
for _ in $(seq 50); do [ -s "$work/plane/url" ] && break; sleep 0.1; done
export HOME=$work/home GRID_URL
GRID_URL=$(cat "$work/plane/url")
live() { GRID_USER_ID=local-user GRID_API_KEY=local-api-key "$gridsync" -C "$work/plane" live --backend api --output json; }
check() { if live | python3 -c "import json,sys; d=json.load(sys.stdin); c={x['name']: x for x in d['clusters']}; sys.exit(0 if ($1) else 1)"; then echo "ok: $2"; else echo "FAILED: $2"; exit 1; fi; }

"$grid" login --username local --key local-api-key
"$grid" clusters aws ml-cli --role-arn arn:aws:iam::123456789012:role/x --external-id ext-cli \
  --region us-east-1 --instance-types t3.large,g4dn.xlarge --cost-savings >/dev/null
check "'ml-cli' in c and c['ml-cli']['spec']['performanceProfile'].endswith('COST_SAVING')" "grid clusters aws created the cluster"
sleep 2.5
"$grid" clusters | tee "$work/clusters.txt"
grep -q 'ml-cli.*byoc.*running' "$work/clusters.txt" && echo "ok: grid clusters shows it running"
EDITOR="sed -i s/t3.large/t3.xlarge/" "$grid" edit cluster ml-cli >/dev/null
check "[t['name'] for t in c['ml-cli']['spec']['driver']['kubernetes']['aws']['instanceTypes']] == ['t3.xlarge', 'g4dn.xlarge']" "grid edit cluster PUT the edited spec"
"$grid" user set-cluster-context ml-cli
grep -q '"context": "ml-cli"' "$HOME/.grid/settings.json" && echo "ok: set-cluster-context wrote settings.json"
"$grid" delete cluster ml-cli
check "'ml-cli' not in c or c['ml-cli']['spec']['desiredState'] == 'CLUSTER_STATE_DELETED'" "grid delete cluster asked for deletion"
echo "--- server log"; cat "$work/plane/log"
