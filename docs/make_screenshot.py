"""The README's picture of the playground: ``make screenshot`` writes ``docs/playground.png``.

It serves ``examples/`` on a free loopback port, opens ``/playground`` in the same headless
Chromium as the browser tests (``tests/support/browser.py``: Debian's chromium and
chromium-driver), types a query that draws a warning and has results, and saves the page.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support import Unavailable, browser  # noqa: E402

from querylang.service.server import create_server, demo  # noqa: E402

QUERY = (
    "is_active=false&type[$in][]=Text%20Contact&send_at[$gte]=2019-01-01&$sort[send_at]=-1&$limit[]=3"
    "&$select[]=id&$select[]=send_at&$select[]=campaign_name&$select[]=completing_user_id&$load=completing_user"
)
_SETTLED = "return document.body.dataset.settled !== undefined && document.getElementById('total').textContent !== '';"


def main() -> int:
    """Write the screenshot; 2 when the browser cannot run here."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default=str(ROOT / "docs" / "playground.png"), help="the PNG to write")
    args = parser.parse_args()
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with (
        tempfile.TemporaryDirectory() as profile,
        demo(ROOT / "examples") as (service, tokens, issued),
        create_server(service, tokens=tokens.user_for, port=0) as server,
    ):
        server.start()
        try:
            driver = browser.start(Path(profile), width=1280, height=2150)
        except Unavailable as why:
            print(f"make screenshot: {why}", file=sys.stderr)
            return 2
        try:
            driver.get(f"{server.url}/playground?contact=76&dialect=postgres")
            driver.find_element(By.ID, "token").send_keys(issued[3])
            driver.find_element(By.ID, "query").send_keys(QUERY)
            WebDriverWait(driver, 15).until(
                lambda d: d.execute_script(_SETTLED)
                and d.execute_script("return JSON.parse(document.body.dataset.settled)[0];") == QUERY
            )
            driver.execute_script("document.activeElement.blur();")
            driver.save_screenshot(args.output)
        finally:
            driver.quit()
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
