#!/usr/bin/python3
"""Drives a page made by `sockscope export html` in headless Chromium and prints what it saw as JSON.

Usage: browser_check.py PAGE.html SCREENSHOT.png [SCENARIO]
Scenarios: walk (keys, #step=, click, language, print), hostile (script in payloads never runs),
load (only the time until the page is interactive). Debian's chromium, chromium-driver and
python3-selenium; run with /usr/bin/python3 (a pyenv python3 has no selenium).
"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys


def browser():
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", "--lang=en-US"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait_ready(driver, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if driver.execute_script("return document.documentElement.getAttribute('data-ready')") == "true":
            return True
        time.sleep(0.02)
    return False


def step(driver):
    return int(driver.execute_script("return document.documentElement.getAttribute('data-step')"))


def main():
    page, shot = sys.argv[1], sys.argv[2]
    scenario = sys.argv[3] if len(sys.argv) > 3 else "walk"
    url = "file://" + page
    out = {}
    driver = browser()
    try:
        started = time.time()
        driver.get(url)
        out["ready"] = wait_ready(driver)
        out["ready_seconds"] = round(time.time() - started, 3)
        out["ready_ms_in_page"] = driver.execute_script(
            "var t = performance.getEntriesByType('navigation')[0]; return t ? t.domContentLoadedEventEnd : null")
        out["steps"] = int(driver.execute_script("return document.documentElement.getAttribute('data-steps')"))
        out["step_at_load"] = step(driver)
        if scenario == "walk":
            body = driver.find_element(By.TAG_NAME, "body")
            for _ in range(3):
                body.send_keys(Keys.ARROW_RIGHT)
            out["after_3_right"] = step(driver)
            out["hash"] = driver.execute_script("return location.hash")
            body.send_keys(Keys.ARROW_LEFT)
            out["after_left"] = step(driver)
            body.send_keys(Keys.END)
            out["after_end"] = step(driver)
            out["call_at_end"] = driver.find_element(By.ID, "call").text
            body.send_keys(Keys.HOME)
            out["after_home"] = step(driver)
            # A message arrow of the chart jumps to the receive that got it.
            edges = driver.find_elements(By.CSS_SELECTOR, "#chart g.edge[data-step]")
            out["clickable_edges"] = len(edges)
            if edges:
                target = edges[-1].get_attribute("data-step")
                driver.execute_script(
                    "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", edges[-1])
                out["clicked_edge_step"] = int(target)
                out["after_click"] = step(driver)
                out["highlighted"] = len(driver.find_elements(By.CSS_SELECTOR, "#chart g.current"))
            driver.find_element(By.ID, "lang-en").click()
            out["lang_after_en"] = driver.execute_script("return document.documentElement.lang")
            out["say_en"] = driver.find_element(By.ID, "say").text
            driver.find_element(By.ID, "lang-ru").click()
            out["say_ru"] = driver.find_element(By.ID, "say").text
            out["consoles"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#consoles .console")]
            driver.save_screenshot(shot)
            # Opened at a step named in the URL.
            driver.get(url + "#step=5")
            wait_ready(driver)
            out["step_from_url"] = step(driver)
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
            out["print_items"] = len(driver.find_elements(By.CSS_SELECTOR, "#all-steps li"))
            out["print_controls_hidden"] = not driver.find_element(By.ID, "play").is_displayed()
        elif scenario == "hostile":
            body = driver.find_element(By.TAG_NAME, "body")
            for _ in range(out["steps"]):
                body.send_keys(Keys.ARROW_RIGHT)
            out["pwned"] = driver.execute_script("return window.pwned === undefined ? null : window.pwned")
            out["calls_text"] = driver.find_element(By.ID, "call").text
            out["roles_text"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#consoles .title")]
            out["scripts"] = len(driver.find_elements(By.TAG_NAME, "script"))
            out["images"] = len(driver.find_elements(By.TAG_NAME, "img"))
            driver.save_screenshot(shot)
        else:
            driver.save_screenshot(shot)
        out["console_errors"] = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    finally:
        driver.quit()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
