"""Container health check: `python -m traceobject.healthcheck` exits 0 when /healthz/ says 200.

Used by docker-compose.yml for the web service; it asks gunicorn itself, so a hung web
process is caught as well as an unreachable database or Redis.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("PORT", "8000")
    host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip() or "localhost"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz/", headers={"Host": host.lstrip(".")}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (fixed URL)
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
