#!/usr/bin/env bash
# Mutation testing of the engine, the condition language and the loaders with mutmut (the
# files and options are in pyproject.toml, [tool.mutmut]). Too slow for CI (about 15 minutes
# on 2 cores): run it by hand with the dev extras installed, e.g.
#   PATH=.venv/bin:$PATH bash tools/mutation.sh
# then read the surviving mutants with `mutmut results` and `mutmut show NAME`.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m mutmut run --max-children "${MUTMUT_JOBS:-2}"
python -m mutmut export-cicd-stats
python - <<'PY'
import json
stats = json.load(open("mutants/mutmut-cicd-stats.json"))
tested = stats["killed"] + stats["survived"]
print(f"mutation score: {stats['killed']} of {tested} mutants killed "
      f"({100 * stats['killed'] / tested:.1f}%); details: {stats}")
PY
