"""Store Assist: pick, stage and hand off buy-online-pick-up-in-store orders at the store."""

import sys

# httpx imports its command-line tool whenever click is installed (uvicorn brings it): click,
# pygments and rich's syntax and progress modules, about 12 ms of CPU and 3 MB at every start,
# for a tool nothing here runs. A None entry makes that one import fail, the case httpx itself
# expects (its `httpx.main` then says the CLI is not installed); the `httpx` command is unaffected.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
