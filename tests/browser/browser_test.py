#!/usr/bin/python3
"""Opens fenlei's HTML report and `fenlei serve`'s page in headless Chromium (Debian's chromium,
chromium-driver and python3-selenium) and fails on any console message of level error or worse
(a script error, a blocked fetch, a content-policy violation, a 404). On the page it types a
sentence, classifies it and checks the label shown, classifies two at once, then picks the other
served model (an int8 copy) and does it again; it saves screenshots of both.

    /usr/bin/python3 tests/browser/browser_test.py --fenlei build/fenlei --screenshots OUT_DIR

Trains its own tiny model on examples/ (a few seconds), so it needs only the built binary.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# A review the sample model reads as negative, and one it reads as positive.
NEGATIVE = "房间很脏，服务态度差，不会再来了"
POSITIVE = "房间很干净，服务也好，下次还会再来"


def run(cmd, cwd):
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if result.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), result.stdout, result.stderr))
    return result.stdout


def make_driver():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("FENLEI_CHROMIUM", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1100,800", "--force-device-scale-factor=1", "--lang=en-US",
                "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(os.environ.get("FENLEI_CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


def check_console(driver, where):
    """Fails on any console entry of level SEVERE (errors, failed loads, CSP violations)."""
    entries = driver.get_log("browser")
    bad = [e for e in entries if e.get("level") in ("SEVERE", "ERROR")]
    for e in entries:
        print("  console %s: %s" % (e.get("level"), e.get("message")))
    if bad:
        sys.exit("%s: %d console error(s): %s" % (where, len(bad), bad[0].get("message")))


def check_report(driver, report_path, shots):
    driver.get("file://" + report_path)
    WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.ID, "evaluation")))
    svgs = driver.find_elements(By.TAG_NAME, "svg")
    if len(svgs) < 8:
        sys.exit("report: expected at least 8 charts, found %d" % len(svgs))
    # Every chart is laid out with a real size (a broken SVG renders 0x0).
    for svg in svgs:
        if svg.size["width"] < 50 or svg.size["height"] < 50:
            sys.exit("report: a chart is not drawn (%s)" % svg.get_attribute("aria-label"))
    mistakes = driver.find_elements(By.CSS_SELECTOR, "#mistakes .example .tok")
    if not mistakes:
        sys.exit("report: no coloured words in the worst-classified texts")
    # Nothing wider than a narrow window or a printed page: the page reflows instead.
    driver.set_window_size(720, 800)
    for media in ("screen", "print"):
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})
        scroll, client = driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if scroll > client:
            sys.exit("report: %d px wide in a %d px window (%s)" % (scroll, client, media))
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "screen"})
    driver.set_window_size(1100, 800)
    check_console(driver, "report")
    driver.save_screenshot(os.path.join(shots, "report-top.png"))
    # Element screenshots of sections taller than the window come out clipped or shifted: make
    # the window as tall as the page first.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1100, min(height + 100, 8000))
    for section in ("training", "evaluation", "calibration", "mistakes"):
        driver.find_element(By.ID, section).screenshot(os.path.join(shots, "report-%s.png" % section))
    driver.set_window_size(1100, 800)
    # Printable: Chromium's own print path renders it to a PDF of several pages.
    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})
    if len(pdf.get("data", "")) < 10000:
        sys.exit("report: printing to PDF gave %d bytes" % len(pdf.get("data", "")))
    print("report: %d charts, %d coloured words, no console errors" % (len(svgs), len(mistakes)))


def check_page(driver, url, shots):
    driver.get(url + "/")
    wait = WebDriverWait(driver, 15)
    wait.until(lambda d: "labels" in d.find_element(By.ID, "info").text)
    box = driver.find_element(By.ID, "input")
    box.send_keys(NEGATIVE)
    driver.find_element(By.ID, "run").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#results .result .label.first")))
    label = driver.find_element(By.CSS_SELECTOR, "#results .result .label.first").text
    if label != "neg":
        sys.exit("page: expected label 'neg' for %s, shown %r" % (NEGATIVE, label))
    tokens = driver.find_elements(By.CSS_SELECTOR, "#results .result .tok")
    if len(tokens) < 3:
        sys.exit("page: the words are not coloured (%d tokens)" % len(tokens))
    # Two texts at once, one per line: two results, in order.
    box.clear()
    box.send_keys(NEGATIVE + "\n" + POSITIVE)
    driver.find_element(By.ID, "run").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results .result")) == 2)
    labels = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#results .result .label.first")]
    if labels != ["neg", "pos"]:
        sys.exit("page: expected ['neg', 'pos'], shown %r" % labels)
    driver.save_screenshot(os.path.join(shots, "serve-page.png"))
    # Pick the other served model: its own metadata, and its predictions.
    Select(driver.find_element(By.ID, "model")).select_by_visible_text("int8")
    wait.until(lambda d: "(int8)" in d.find_element(By.ID, "info").text)
    driver.find_element(By.ID, "run").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results .result")) == 2)
    labels = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#results .result .label.first")]
    if labels != ["neg", "pos"]:
        sys.exit("page, int8 model: expected ['neg', 'pos'], shown %r" % labels)
    check_console(driver, "page")
    print("page: labels %s, %d coloured words, no console errors" % (labels, len(tokens)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fenlei", default=os.path.join(ROOT, "build", "fenlei"))
    parser.add_argument("--screenshots", default=os.path.join(ROOT, "build", "browser-screenshots"))
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    start = time.time()
    with tempfile.TemporaryDirectory() as work:
        # Everything runs inside `work` with short names, as a user would, so the report (and
        # the screenshots in the docs) show "reviews.fenlei", not a temporary path.
        fenlei = os.path.abspath(args.fenlei)
        for name in ("reviews_train.tsv", "reviews_test.tsv"):
            shutil.copy(os.path.join(ROOT, "examples", name), work)
        run([fenlei, "train", "-i", "reviews_train.tsv", "-o", "reviews.fenlei", "--epochs", "4",
             "--threads", "2", "--checkpoint", "none", "--log", "train.log.jsonl", "-q"], work)
        run([fenlei, "report", "reviews.fenlei", "--test", "reviews_test.tsv", "--log",
             "train.log.jsonl", "-o", "report.html", "--examples", "4"], work)
        run([fenlei, "quantize", "reviews.fenlei", "-o", "reviews.int8.fenlei"], work)
        report = os.path.join(work, "report.html")
        server = subprocess.Popen([fenlei, "serve", "reviews.fenlei", "--model",
                                   "int8=reviews.int8.fenlei", "--port", "0", "--threads", "1",
                                   "--log-level", "warning"], stdout=subprocess.PIPE,
                                  text=True, cwd=work)
        driver = None
        try:
            line = server.stdout.readline()
            match = re.search(r"serving on (http://\S+)", line)
            if not match:
                sys.exit("fenlei serve did not start: %r" % line)
            driver = make_driver()
            check_report(driver, report, args.screenshots)
            check_page(driver, match.group(1), args.screenshots)
        finally:
            if driver:
                driver.quit()
            server.terminate()
            server.wait(timeout=15)
    print("browser tests passed in %.1f s; screenshots in %s" % (time.time() - start, args.screenshots))


if __name__ == "__main__":
    main()
