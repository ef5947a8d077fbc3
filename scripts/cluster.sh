#!/usr/bin/env bash
# A three-node Parley cluster on one machine, for trying scale-out: one throwaway PostgreSQL and three nodes
# on http://localhost:5081, :5082 and :5083, all sharing the database. Any node serves any user and streams
# any reply; kill one (its pid is printed) and another takes its replies over. Ctrl-C stops everything and
# deletes the database.
#
#   scripts/cluster.sh            # PostgreSQL on a free port, nodes on 5081-5083
#   NODES=5 scripts/cluster.sh    # more nodes: 5081, 5082, ...
#
# Needs initdb and pg_ctl (PostgreSQL 15 or later) on PATH, and the .NET 10 SDK. PostgreSQL refuses to run as
# root; under root the cluster belongs to the `postgres` account.
set -euo pipefail
cd "$(dirname "$0")/.."

NODES="${NODES:-3}"
FIRST_PORT="${FIRST_PORT:-5081}"
work="$(mktemp -d /tmp/parley-cluster.XXXXXX)"
chmod 755 "$work"
pg_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres: "$work"; fi

pids=()
cleanup() {
  echo "Stopping the nodes and PostgreSQL..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  as_pg pg_ctl -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "Starting PostgreSQL on port $pg_port (data in $work)..."
as_pg initdb -D "$work/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
as_pg pg_ctl -D "$work/data" -l "$work/postgres.log" -w \
  -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
as_pg psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE parley" >/dev/null

echo "Building Parley..."
dotnet build src/Parley.Server -c Release -o "$work/app" --nologo -v quiet >/dev/null

# The collector's gen1 cap that Parley is run with (README, Configuration).
export DOTNET_GCGen1MaxBudget=0x600000
export ConnectionStrings__Parley="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=parley"
for i in $(seq 0 $((NODES - 1))); do
  port=$((FIRST_PORT + i))
  (cd "$work/app" && exec dotnet Parley.Server.dll --urls "http://localhost:$port") >"$work/node$port.log" 2>&1 &
  pids+=($!)
  echo "Node $((i + 1)): http://localhost:$port (pid $!, log $work/node$port.log)"
done

for i in $(seq 0 $((NODES - 1))); do
  port=$((FIRST_PORT + i))
  until curl -sf "http://localhost:$port/health/ready" >/dev/null; do sleep 0.3; done
done
echo "All $NODES nodes are ready. Open any of them; Ctrl-C stops the cluster."
wait
