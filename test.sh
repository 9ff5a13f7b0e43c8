#!/usr/bin/env bash
# Runs every test project and ends with one line "N passed, N failed[, N skipped]" summed over all
# of them. Installs and starts what the tests need (idempotently) before running them.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"
results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Services and packages the tests need; each script is idempotent and prints what it did.
for setup in "$root"/build/test-setup/*.sh; do
  [ -f "$setup" ] || continue
  if ! bash "$setup"; then
    echo "test.sh: setup step $(basename "$setup") failed" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
done

build_failed=0
if ! dotnet build "$root/Medallion.slnx" -c Debug -nologo -v quiet -p:GenerateFullPaths=true >"$results/build.log" 2>&1; then
  grep -E ': error ' "$results/build.log" | sort -u
  echo "test.sh: the build failed; full log in $results/build.log" >&2
  build_failed=1
fi

passed=0 failed=0 skipped=0 crashed=0
if [ "$build_failed" -eq 0 ]; then
  for proj in "$root"/tests/*/*.csproj; do
    name=$(basename "$proj" .csproj)
    # Helper programs the tests start (e.g. a writer process to kill) live beside them but hold no tests.
    grep -q '<IsTestProject>false</IsTestProject>' "$proj" && continue
    echo "== $name"
    # Tests send SIGINT and SIGHUP to the processes they start, and SIGHUP to their own, as an operator would. A
    # suite started as a background job ('./test.sh &' in a script, nohup) inherits SIGINT and SIGQUIT, and with
    # nohup SIGHUP, ignored, and .NET then never sees them: Ctrl+C tests waited out their minute. Default handling
    # is restored for the test processes.
    env --default-signal=HUP,INT,QUIT dotnet test "$proj" --no-build -c Debug -nologo \
      --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
      --results-directory "$results" -- RunConfiguration.TreatNoTestsAsError=false
    trx="$results/$name.trx"
    if [ ! -f "$trx" ]; then
      echo "test.sh: $name produced no results (the test host crashed?)" >&2
      crashed=$((crashed + 1))
      continue
    fi
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
    p=$(get passed); f=$(get failed); t=$(get total); e=$(get executed)
    s=$(( ${t:-0} - ${e:-0} ))
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + s))
  done
fi

# Conformance checks that are expected to fail (or not run here) are listed with their reasons by the test
# projects; print them so they are never skipped silently.
if [ -f "$results/known-failures.txt" ]; then
  echo "== Known failures"
  cat "$results/known-failures.txt"
elif [ "$build_failed" -eq 0 ]; then
  echo "test.sh: the conformance runner wrote no known-failures list ($results/known-failures.txt)" >&2
  crashed=$((crashed + 1))
fi

failed=$((failed + crashed + build_failed))
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
