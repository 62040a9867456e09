#!/usr/bin/python3
"""Drives a page made by `sockscope export html` in headless Chromium and prints what it saw as JSON.

Usage: browser_check.py PAGE.html SCREENSHOT.png [SCENARIO]
Scenarios: walk (keys, #step=, click, language, print), hostile (script in payloads never runs),
code (the code panel: marked lines, a click on a line or an arrow), middle (a long run's chart is
clickable in its middle), kernel (the kernel panel's parts and fields at every step, in both
languages, with the property names the data uses), load (only the time until the page is interactive). Debian's chromium, chromium-driver and
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


def marked_lines(driver):
    """Per code box: its title, the line it marks (current or recent) and how."""
    return driver.execute_script("""
        return Array.prototype.map.call(document.querySelectorAll('#code .program'), function (b) {
          var m = b.querySelector('.ln.current, .ln.recent');
          return { title: b.querySelector('.program-title').textContent,
                   where: b.querySelector('.where').textContent,
                   acting: b.classList.contains('acting'),
                   line: m ? +m.getAttribute('data-n') : null,
                   how: m ? (m.classList.contains('current') ? 'current' : 'recent') : null,
                   lines: b.querySelectorAll('.ln').length,
                   none: Array.prototype.map.call(b.querySelectorAll('.none'), function (e) { return e.textContent; }) };
        });""")


def click(driver, element):
    driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", element)


def code(driver, out, shot):
    out["code_visible"] = driver.find_element(By.CSS_SELECTOR, "section.code").is_displayed()
    out["boxes_at_load"] = marked_lines(driver)
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    out["boxes_step_2"] = marked_lines(driver)
    # A line with calls in the first process's box (argument LINE, default its last such line):
    # each click goes to that line's next call after the current step, then wraps to its first.
    wanted = sys.argv[4] if len(sys.argv) > 4 else None
    selector = "#code .program:first-child .ln.has-call" + ("[data-n='%s']" % wanted if wanted else "")
    lines = driver.find_elements(By.CSS_SELECTOR, selector)
    out["clickable_lines"] = len(driver.find_elements(By.CSS_SELECTOR, "#code .ln.has-call"))
    out["line_clicks"] = []
    if lines:
        out["clicked_line"] = int(lines[-1].get_attribute("data-n"))
        for _ in range(6):
            click(driver, driver.find_elements(By.CSS_SELECTOR, selector)[-1])
            out["line_clicks"].append(step(driver))
        out["boxes_after_line_click"] = marked_lines(driver)
    edges = driver.find_elements(By.CSS_SELECTOR, "#chart g.edge[data-step]")
    if edges:
        out["clicked_edge_step"] = int(edges[0].get_attribute("data-step"))
        click(driver, edges[0])
        out["after_edge_click"] = step(driver)
        out["boxes_after_edge_click"] = marked_lines(driver)
    out["call_after_edge_click"] = driver.find_element(By.ID, "call").text
    driver.save_screenshot(shot)
    driver.find_element(By.ID, "lang-en").click()
    out["boxes_en"] = marked_lines(driver)


def middle(driver, url, out, shot):
    total = out["steps"]
    driver.get(url + "#step=" + str(total // 2))
    wait_ready(driver)
    out["step_middle"] = step(driver)
    edges = driver.find_elements(By.CSS_SELECTOR, "#chart g.edge[data-step]")
    out["clickable_edges"] = len(edges)
    targets = [int(e.get_attribute("data-step")) for e in edges]
    out["edge_steps_min"] = min(targets) if targets else None
    out["edge_steps_max"] = max(targets) if targets else None
    if edges:
        pick = edges[len(edges) // 2]
        out["clicked_edge_step"] = int(pick.get_attribute("data-step"))
        click(driver, pick)
        out["after_click"] = step(driver)
        out["highlighted"] = len(driver.find_elements(By.CSS_SELECTOR, "#chart g.current"))
    nodes = driver.find_elements(By.CSS_SELECTOR, "#chart g.node[data-step]")
    out["clickable_nodes"] = len(nodes)
    if nodes:
        out["clicked_node_step"] = int(nodes[3].get_attribute("data-step"))
        click(driver, nodes[3])
        out["after_node_click"] = step(driver)
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.END)
    out["last_step_marked"] = len(driver.find_elements(By.CSS_SELECTOR, "#chart g.current"))
    started = time.time()
    for _ in range(20):
        body.send_keys(Keys.ARROW_LEFT)
    out["twenty_steps_seconds"] = round(time.time() - started, 3)
    out["after_20_left"] = step(driver)
    driver.execute_script("document.querySelector('section.chart').scrollIntoView()")
    driver.save_screenshot(shot)


def kernel(driver, out, shot):
    """Every heading and label the kernel panel shows beyond the receive queues, at every step, in
    Russian and in English; and the property names the page's data holds, which must not show."""
    out["raw_names"] = driver.execute_script("""
        var data = JSON.parse(document.getElementById('sockscope-data').textContent), names = {};
        function walk(v) {
          if (Array.isArray(v)) { v.forEach(walk); return; }
          if (v && typeof v === 'object') Object.keys(v).forEach(function (k) { names[k] = 1; walk(v[k]); });
        }
        data.steps.forEach(function (s) { walk(s.kernel); walk(s.kernel_en); });
        return Object.keys(names).sort();""")
    body = driver.find_element(By.TAG_NAME, "body")
    for language in ("ru", "en"):
        driver.find_element(By.ID, "lang-" + language).click()
        body.send_keys(Keys.HOME)
        labels, cells, headings = set(), set(), set()
        for _ in range(out["steps"]):
            shown = driver.execute_script("""
                function texts(q) { return Array.prototype.map.call(document.querySelectorAll(q), function (e) { return e.textContent; }); }
                // Every heading of the panel but the receive queues' own table (its column names are the page's words).
                var queues = document.querySelector('#queues > table');
                var headings = Array.prototype.filter.call(document.querySelectorAll('#queues h3, #queues th'),
                  function (e) { return !(queues && queues.contains(e)); }).map(function (e) { return e.textContent; });
                return [texts('#queues .kernel-extra h3, #queues .kernel-extra th'),
                        texts('#queues .kernel-extra td, #queues .kernel-extra p'), headings];""")
            labels.update(shown[0])
            cells.update(shown[1])
            headings.update(shown[2])
            body.send_keys(Keys.ARROW_RIGHT)
        out["labels_" + language] = sorted(labels)
        out["cells_" + language] = sorted(cells)
        out["headings_" + language] = sorted(headings)
    # The screenshot: a step where a connection waits for accept, in Russian.
    driver.find_element(By.ID, "lang-ru").click()
    driver.get(driver.current_url.split("#")[0] + "#step=" + str(int(sys.argv[4]) if len(sys.argv) > 4 else 1))
    wait_ready(driver)
    driver.execute_script("document.getElementById('queues').scrollIntoView()")
    out["panel_text"] = driver.find_element(By.ID, "queues").text
    driver.save_screenshot(shot)


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
        # Milliseconds from navigation start until the page's script finished its first render.
        out["ready_ms"] = driver.execute_script(
            "return +document.documentElement.getAttribute('data-ready-ms')")
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
            out["code_text"] = driver.find_element(By.ID, "code").text
            out["calls_text"] = driver.find_element(By.ID, "call").text
            out["roles_text"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#consoles .title")]
            out["scripts"] = len(driver.find_elements(By.TAG_NAME, "script"))
            out["images"] = len(driver.find_elements(By.TAG_NAME, "img"))
            driver.save_screenshot(shot)
        elif scenario == "code":
            code(driver, out, shot)
        elif scenario == "middle":
            middle(driver, url, out, shot)
        elif scenario == "kernel":
            kernel(driver, out, shot)
        else:
            # One step's cost in the page: 50 → presses, each rendered in full (layout included).
            out["step_ms"] = driver.execute_script("""
                var t = performance.now();
                for (var i = 0; i < 50; i++) {
                  document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
                  document.body.getBoundingClientRect();
                }
                return (performance.now() - t) / 50;""")
            out["step_after_50"] = step(driver)
            driver.save_screenshot(shot)
        out["console_errors"] = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    finally:
        driver.quit()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
