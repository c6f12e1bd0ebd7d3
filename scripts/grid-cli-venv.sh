#!/usr/bin/env bash
# Build (once) a virtualenv holding the last published grid CLI (lightning-grid 0.8.81) with the
# pins it needs; reused while its stamp matches. The CLI runs only on Python 3.9.
# Usage: scripts/grid-cli-venv.sh DIR [PYTHON3.9]     (needs PyPI; the tests then run offline)
set -euo pipefail
dir=$1
py39=${2:-python3.9}
if ! "$py39" -c 'import sys; assert sys.version_info[:2] == (3, 9)' 2>/dev/null; then
  # A pyenv install that is not the active version still has its interpreter on disk.
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9*/bin/python3.9 /usr/bin/python3.9; do
    if [ -x "$candidate" ]; then py39=$candidate; break; fi
  done
fi
pins="lightning-grid==0.8.81 rich==12.5.1 click==8.0.4 pyyaml==5.4.1 gql==3.4.0 humanize==3.14.0 requests-toolbelt==0.9.1 urllib3==1.26.12 websockets==9.1 yaspin==0.18.0 websocket-client==1.2.1"
if [ -x "$dir/bin/grid" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$pins" ]; then
  exit 0
fi
rm -rf "$dir"
"$py39" -m venv "$dir"
"$dir/bin/pip" install -q --disable-pip-version-check --no-deps lightning-grid==0.8.81 pipreqs yarg docopt
# shellcheck disable=SC2046  # the pins are words
"$dir/bin/pip" install -q --disable-pip-version-check --prefer-binary $(echo "$pins" | cut -d' ' -f2-) \
  arrow dataclasses-json marshmallow packaging python-dateutil pytz requests tqdm ujson ulid-py validators
"$dir/bin/grid" --help >/dev/null
echo "$pins" >"$dir/.stamp"
