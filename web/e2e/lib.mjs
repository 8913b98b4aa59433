// What the browser scenarios share: Debian's Chromium through playwright-core, the REST API
// as a person's token sees it, reading a board as it is shown, and waiting with a deadline.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const GATEWAY = process.env.TASKWIRE_E2E_GATEWAY ?? "http://127.0.0.1:8080";
export const ARTIFACTS = process.env.TASKWIRE_ARTIFACTS ?? new URL("./artifacts/", import.meta.url).pathname;
const CHROMIUM = process.env.TASKWIRE_CHROMIUM ?? "/usr/bin/chromium";
const TOKEN_KEY = "taskwire.token"; // web/src/session.ts

mkdirSync(ARTIFACTS, { recursive: true });

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
}

export function log(...parts) {
  console.log(`[e2e ${new Date().toISOString().slice(11, 23)}]`, ...parts);
}

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Polls `probe` until it answers something truthy; fails with `what` after `ms`. */
export async function until(probe, what, ms = 5000, every = 25) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export async function screenshot(page, name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  log("screenshot", path);
  return path;
}

/** One REST call with a person's token; the parsed answer (throws on an error status). */
export async function api(token, method, path, body) {
  const response = await fetch(`${GATEWAY}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export async function devToken(email, name) {
  const response = await fetch(`${GATEWAY}/api/v1/dev/tokens`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, display_name: name }),
  });
  check(response.status === 201, `dev token for ${email}: ${response.status}`);
  return response.json();
}

/** A browser context whose pages start signed in with `token` (as a pasted token would). */
export async function signedInContext(browser, token) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addInitScript(([key, value]) => sessionStorage.setItem(key, value), [TOKEN_KEY, token]);
  return context;
}

/** The token a page signed in with. */
export function tokenOf(page) {
  return page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY);
}

export const column = (page, name) => page.getByTestId(`column-${name}`);
export const card = (page, number) => page.getByTestId(`card-${number}`);

/** The board as shown: each column's name and its cards' numbers, top to bottom. */
export function shownBoard(page) {
  return page.evaluate(() => {
    const board = {};
    for (const column of document.querySelectorAll('[data-testid^="column-"]')) {
      const name = column.getAttribute("data-testid").slice("column-".length);
      board[name] = [...column.querySelectorAll('[data-testid^="card-"]')].map((c) => c.getAttribute("data-testid").slice("card-".length));
    }
    return board;
  });
}

/** The board as the tasks service holds it: the same shape as shownBoard. */
export async function storedBoard(token, projectId) {
  const project = await api(token, "GET", `/projects/${projectId}`);
  const board = Object.fromEntries(project.statuses.map((s) => [s.name, []]));
  const names = Object.fromEntries(project.statuses.map((s) => [s.id, s.name]));
  const { items } = await api(token, "GET", `/projects/${projectId}/tasks?order=board&limit=200`);
  for (const task of items) board[names[task.status_id]].push(String(task.number));
  return board;
}

/** Card numbers shown more than once on the page. */
export function duplicateCards(page) {
  return page.evaluate(() => {
    const seen = [...document.querySelectorAll('[data-testid^="card-"]')].map((c) => c.getAttribute("data-testid"));
    return seen.filter((id, i) => seen.indexOf(id) !== i);
  });
}

export const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Waits until the page shows exactly the stored board, with no card twice. */
export async function showsTruth(page, token, projectId, what, ms = 5000) {
  let truth;
  await until(async () => {
    truth = await storedBoard(token, projectId);
    return same(await shownBoard(page), truth) && (await duplicateCards(page)).length === 0;
  }, `${what}: the board as stored ${JSON.stringify(truth)}`, ms, 100);
  return truth;
}

/** Drags a card into a column, above the card `above` of it (or at its end). */
export async function drag(page, number, columnName, above) {
  const source = card(page, number);
  if (above !== undefined) {
    const target = card(page, above);
    await source.dragTo(target, { targetPosition: { x: 20, y: 3 } });
  } else {
    const list = column(page, columnName).locator("ol");
    const box = await list.boundingBox();
    await source.dragTo(list, { targetPosition: { x: 20, y: Math.max(4, box.height - 4) } });
  }
}

export const connection = (page) => page.getByTestId("connection-state").getAttribute("data-state");
