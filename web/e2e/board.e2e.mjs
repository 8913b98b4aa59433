// The board in a real browser (Debian's Chromium, headless) against the system behind its
// gateway: tests/e2e/test_browser.py starts the system and runs this script.
//
//   node web/e2e/board.e2e.mjs SCENARIO...     (two-members offline race resync removed showcase)
//
// Environment: TASKWIRE_E2E_GATEWAY (the gateway's URL), TASKWIRE_ARTIFACTS (where screenshots
// go; default web/e2e/artifacts), TASKWIRE_CHROMIUM (default /usr/bin/chromium).
// A scenario that needs the system changed under it (resync: the notifier stopped, Redis
// flushed) asks the test on stdout with a line "@@ <request>" and waits for "@@ done" on stdin.
import { createInterface } from "node:readline";
import { launch, log, screenshot } from "./lib.mjs";
import { twoPeople } from "./people.mjs";
import { offline, race, removed, resync, showcase, twoMembers } from "./scenarios.mjs";

const SCENARIOS = { "two-members": twoMembers, offline, race, resync, removed, showcase };

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

/** Asks the test to do something to the system, and waits until it is done. */
async function host(request) {
  console.log(`@@ ${request}`);
  const { value, done } = await lines.next();
  if (done || value.trim() !== "@@ done") throw new Error(`the test did not do ${request}: ${value}`);
  log(`the test did ${request}`);
}

async function main(names) {
  const unknown = names.filter((n) => !(n in SCENARIOS));
  if (names.length === 0 || unknown.length > 0) throw new Error(`name scenarios among: ${Object.keys(SCENARIOS).join(" ")}`);
  const browser = await launch();
  const pages = [];
  try {
    const people = await twoPeople(browser);
    pages.push(["a", people.a], ["b-board", people.bBoard], ["b-projects", people.bList]);
    for (const page of [people.a, people.bBoard, people.bList]) {
      page.on("pageerror", (error) => log("page error:", error.message));
    }
    for (const name of names) {
      log(`scenario ${name}`);
      await SCENARIOS[name](people, host);
      log(`scenario ${name}: passed`);
    }
  } catch (error) {
    for (const [who, page] of pages) await screenshot(page, `failed-${names.join("-")}-${who}`).catch(() => undefined);
    throw error;
  } finally {
    await browser.close();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
