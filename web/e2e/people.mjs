// Two people on one board, set up as they would do it: A signs in through the form, makes a
// workspace and a project and adds B; B signs in with a development token. A has the board
// open; B has the board and, in another tab, the projects list.
import { GATEWAY, check, devToken, log, signedInContext, tokenOf, until } from "./lib.mjs";

const LOAD_BUDGET_MS = 1000;

/** The page's own load time (navigation start to the load event), in ms. */
function loadTime(page) {
  return page.evaluate(() => performance.getEntriesByType("navigation")[0].loadEventEnd);
}

/** Opens `path` on `page`; checks that the page loads, and its content shows, in under a second. */
export async function open(page, path, ready) {
  const started = Date.now();
  await page.goto(`${GATEWAY}/${path}`);
  await ready.waitFor({ timeout: 10_000 });
  const shown = Date.now() - started;
  const loaded = await loadTime(page);
  log(`opened /${path}: loaded in ${Math.round(loaded)} ms, content shown in ${shown} ms`);
  check(loaded < LOAD_BUDGET_MS, `/${path} loads in under ${LOAD_BUDGET_MS} ms (took ${loaded})`);
  check(shown < LOAD_BUDGET_MS, `/${path} shows its content in under ${LOAD_BUDGET_MS} ms (took ${shown})`);
  return { loaded, shown };
}

export const boardReady = (page) => page.locator('[data-testid="board"][data-loaded="true"]');

export async function twoPeople(browser) {
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const aContext = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const a = await aContext.newPage();
  await open(a, "", a.getByTestId("signin-form"));
  await a.getByTestId("signin-email").fill(`ada.${run}@example.test`);
  await a.getByTestId("signin-name").fill("Ada");
  await a.getByTestId("signin-submit").click();
  await a.getByTestId("me").waitFor();
  const aToken = await tokenOf(a);
  const aId = await a.getByTestId("me").getAttribute("data-user-id");

  await a.getByTestId("new-workspace-name").fill(`Acme ${run}`);
  await a.getByTestId("new-workspace-name").press("Enter");
  const workspaceId = await until(() => /#\/w\/(.+)$/.exec(new URL(a.url()).hash)?.[1], "the new workspace's page");
  await a.getByTestId("new-project-key").fill("WEB");
  await a.getByTestId("new-project-name").fill("Website");
  await a.getByTestId("new-project-name").press("Enter");
  const href = await a.getByTestId("open-WEB").getAttribute("href");
  const projectId = decodeURIComponent(href.slice("#/p/".length));

  const b = await devToken(`bob.${run}@example.test`, "Bob");
  await a.locator("details.add-member summary").click();
  await a.getByLabel("User id", { exact: true }).fill(b.user_id);
  await a.getByLabel("Email", { exact: true }).fill(`bob.${run}@example.test`);
  await a.getByLabel("Name", { exact: true }).fill("Bob");
  await a.getByLabel("Name", { exact: true }).press("Enter");
  await a.getByTestId("notice").filter({ hasText: "Bob is now a member" }).waitFor();

  await a.getByTestId("open-WEB").click();
  await boardReady(a).waitFor();
  const bContext = await signedInContext(browser, b.token);
  const bBoard = await bContext.newPage();
  await open(bBoard, `#/p/${projectId}`, boardReady(bBoard));
  const bList = await bContext.newPage();
  await open(bList, `#/w/${workspaceId}`, bList.getByTestId("project-WEB"));
  log(`workspace ${workspaceId}, project ${projectId}; A ${aId}, B ${b.user_id}`);
  return { a, aToken, aId, aContext, bContext, bBoard, bList, bToken: b.token, bId: b.user_id, workspaceId, projectId };
}

/** A creates a task through the board's form; its number once the server has answered. */
export async function createTask(page, title, statusName, { priority, assignee } = {}) {
  await page.getByTestId("new-task-title").fill(title);
  if (statusName) await page.getByTestId("new-task-status").selectOption({ label: statusName });
  if (priority) await page.getByTestId("new-task-priority").selectOption(priority);
  if (assignee) await page.getByTestId("new-task-assignee").selectOption({ label: assignee });
  await page.getByTestId("new-task-submit").click();
  const made = page.locator('[data-testid^="card-"]:not([data-testid="card-new"])').filter({ hasText: title });
  await made.waitFor();
  const id = await made.getAttribute("data-testid");
  return Number(id.slice("card-".length));
}
