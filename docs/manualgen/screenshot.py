"""Takes the manual's screenshots of the hall manager's pages (docs/images/).

    .venv/bin/python docs/manualgen/screenshot.py [--speed 300] [--until 12:52]
    .venv/bin/python docs/manualgen/screenshot.py --page /cities/广州 --size 1280x900 \\
        --out docs/images/city-map.png

Starts ``hallmon demo`` (``hallmon serve`` with a simulated day of each bundled
hall replayed into it, the flagship hall short of staff) on a free port without
Prometheus, waits until the flagship hall's clock passes ``--until`` and its
nowcast is in, photographs ``--page`` (``/halls/flagship``) in the system's Chromium
(Playwright through ``executable_path``, nothing downloaded), and stops the demo
with Ctrl-C as a person would. Not part of the build: run it when the page
changes and commit the PNG."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_moment(url: str, until: str, timeout_s: float) -> None:
    """Until the flagship hall's clock is past ``until`` (HH:MM) and its nowcast is in."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            state = httpx.get(f"{url}/v1/halls/flagship/nowcast", timeout=5).json()
            halls = httpx.get(f"{url}/v1/halls", timeout=5).json()
        except (httpx.HTTPError, ValueError):
            time.sleep(1)
            continue
        flagship = next(h for h in halls if h["id"] == "flagship")
        if flagship["now"][11:16] >= until and state.get("computed_at"):
            return
        time.sleep(1)
    raise SystemExit(f"the flagship hall did not reach {until} in {timeout_s:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=300.0)
    parser.add_argument("--until", default="12:52", help="hall time of the picture (HH:MM)")
    parser.add_argument("--size", default="1280x1250", help="viewport WIDTHxHEIGHT")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/images/hall-page.png")
    parser.add_argument("--page", default="/halls/flagship", help="the page's path")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    demo = subprocess.Popen(
        [sys.executable, "-m", "monitor", "demo", "--port", str(port), "--speed", str(args.speed),
         "--no-prometheus"],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_moment(url, args.until, timeout_s=600)
        width, height = (int(n) for n in args.size.split("x"))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS
            )
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{url}{args.page}", wait_until="networkidle")
            page.wait_for_timeout(1500)  # the first refresh has drawn the charts
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
        # a page of flat colours loses nothing visible at 256 colours, and the PNG a third
        Image.open(args.out).convert("RGB").quantize(colors=256).save(args.out, optimize=True)
        print(args.out)
    finally:
        os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C: the demo stops what it started
        try:
            demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()


if __name__ == "__main__":
    main()
