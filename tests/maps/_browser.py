"""Headless Chromium driven by Selenium, with the network disabled (used by test_browser.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser")
DRIVER = "/usr/bin/chromedriver"


def chromium_binary() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def start_chromium(profile_dir: str | os.PathLike[str] | None = None) -> Any:
    """Start headless Chromium with the network off (a dead proxy for everything but loopback)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium_binary() or "chromium"
    profile = profile_dir or tempfile.mkdtemp(prefix="basin-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
    )
    return driver


def time_draw(page: str | os.PathLike[str], timeout: float = 120.0) -> dict[str, Any]:
    """Open a web map from ``file://`` and return the seconds until it and its layers are drawn.

    Drawn: the document is complete, the time control is set up (``window.basinSetPeriod``) and no
    compressed layer is still loading (``window.basinBusy``). Returns ``{"seconds", "ok", "errors"}`` with
    the console's SEVERE messages (cut to 200 characters); used by the benchmarks in ``scripts/bench``.
    """
    import time
    from pathlib import Path

    d = start_chromium()
    try:
        t = time.perf_counter()
        d.get(Path(page).resolve().as_uri())
        ok = False
        while time.perf_counter() - t < timeout:
            if d.execute_script(
                "return document.readyState === 'complete' && window.basinSetPeriod !== undefined"
                " && !window.basinBusy"
            ):
                ok = True
                break
            time.sleep(0.05)
        dt = time.perf_counter() - t
        severe = [e["message"][:200] for e in d.get_log("browser") if e["level"] == "SEVERE"]
        return {"seconds": dt, "ok": ok, "errors": severe}
    finally:
        d.quit()
