#!/usr/bin/env bash
# Fuzzes the REST API from its own OpenAPI document with schemathesis (PyPI) against a real running platform:
# no 5xx, invalid input rejected, responses as documented. Usage:
#   YB_API_URL=http://127.0.0.1:5050 YB_API_TOKEN=... scripts/fuzz-api.sh [schemathesis options]
# Without YB_API_URL it starts a throw-away platform (test/helpers/platform.ts), fuzzes it, and stops it.
# YB_FUZZ_EXAMPLES (default 25) sets examples per operation. Exit status: schemathesis' (0 = no failures).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

venv=${YB_FUZZ_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/yunbang/schemathesis}
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "fuzz-api: installing schemathesis into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4,<5'
fi

if [ -z "${YB_API_URL:-}" ]; then
  exec node --import tsx --input-type=module -e "
    import { spawn } from 'node:child_process';
    import { startPlatform } from './test/helpers/platform.ts';
    const p = await startPlatform();
    const code = await new Promise((resolve) => {
      const c = spawn('bash', ['scripts/fuzz-api.sh', ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, YB_API_URL: p.apiUrl, YB_API_TOKEN: p.token } });
      c.on('exit', (code) => resolve(code ?? 1));
    });
    await p.stop();
    process.exit(code);
  " -- "$@"
fi

: "${YB_API_TOKEN:?set YB_API_TOKEN (a platform administrator token fuzzes every route)}"
# The token reaches schemathesis through the environment (a ${...} placeholder in its config), never argv.
work=$(mktemp -d)   # schemathesis keeps its state (.schemathesis/) in the working directory
trap 'rm -rf "$work"' EXIT
config=$work/schemathesis.toml
printf '[headers]\nAuthorization = "Bearer ${YB_API_TOKEN}"\n' > "$config"
cd "$work"
"$venv/bin/schemathesis" --config-file "$config" run "$YB_API_URL/openapi.json" \
  --phases examples,coverage,fuzzing \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
  --max-examples "${YB_FUZZ_EXAMPLES:-25}" \
  --workers 2 \
  --request-timeout 30 \
  --suppress-health-check all \
  --seed "${YB_FUZZ_SEED:-6}" \
  --exclude-path '/tokens/{id}' \
  "$@"
# DELETE /tokens/{id} is left out: schemathesis feeds it the ids GET /tokens lists, and revoking the token the
# fuzzer itself uses ends the run in 401s. The authorisation matrix test covers that route.
