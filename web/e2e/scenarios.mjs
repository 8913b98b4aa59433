// The board's scenarios, each on the two people of people.mjs. Each checks what a person sees
// against what the services hold, and leaves a screenshot in the artifacts folder.
import { api, card, check, column, connection, drag, duplicateCards, log, screenshot, showsTruth, shownBoard, until } from "./lib.mjs";
import { createTask } from "./people.mjs";

const LIVE_BUDGET_MS = 1000;
const REVOKED = "You no longer have access to this workspace";
const RELOADED = "changed by someone else, reloaded";

async function counts(page) {
  const badge = page.getByTestId("project-WEB-counts");
  const read = async (name) => Number(await badge.getAttribute(`data-${name}`));
  return { total: await read("total"), todo: await read("todo"), in_progress: await read("in-progress") };
}

async function cardIn(page, number, columnName, ms) {
  await column(page, columnName).getByTestId(`card-${number}`).waitFor({ timeout: ms });
}

/** Checks, every few ms for `ms`, that the card is in that column and nowhere else. */
async function stays(page, number, columnName, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const where = await page.evaluate((id) => [...document.querySelectorAll(`[data-testid="${id}"]`)].map((c) => c.closest("section")?.getAttribute("data-testid")), `card-${number}`);
    check(where.length === 1 && where[0] === `column-${columnName}`, `card ${number} stays in ${columnName}: ${JSON.stringify(where)}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** 1. A creates a task and drags it to another column: B's board shows it there within a
 * second, and the counts on B's projects list follow. A's title edit, keyboard move, archive
 * and restore reach B too. */
export async function twoMembers(p) {
  const { a, bBoard, bList } = p;
  const first = await createTask(a, "Ship the board");
  await cardIn(bBoard, first, "Todo", LIVE_BUDGET_MS);
  await until(async () => (await counts(bList)).todo === 1, "B's list counting one task to do");
  const before = await counts(bList);

  await drag(a, first, "In Progress");
  const dropped = Date.now();
  await cardIn(a, first, "In Progress", 200); // at once, before any answer
  await cardIn(bBoard, first, "In Progress", LIVE_BUDGET_MS);
  const seen = Date.now() - dropped;
  await stays(a, first, "In Progress", 600); // the answer and the event settle it in place
  log(`B saw A's drag after ${seen} ms`);
  check(seen < LIVE_BUDGET_MS, `B sees A's drag within ${LIVE_BUDGET_MS} ms (took ${seen})`);
  const after = await until(async () => {
    const now = await counts(bList);
    return now.in_progress === 1 && now.todo === 0 ? now : null;
  }, "B's list counting the task in progress");
  check(before.in_progress === 0 && after.total === 1, `counts moved: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
  await until(async () => (await bList.getByTestId("project-WEB-status").getAttribute("data-status")) === "in_progress", "the derived status in progress");

  const second = await createTask(a, "Write the docs");
  await a.getByTestId(`title-${second}`).dblclick();
  await a.getByTestId(`title-input-${second}`).fill("Write the README");
  await a.getByTestId(`title-input-${second}`).press("Enter");
  await until(async () => (await bBoard.getByTestId(`title-${second}`).textContent()) === "Write the README", "B seeing the new title");
  await card(a, second).focus();
  await a.keyboard.press("Alt+ArrowRight");
  await cardIn(bBoard, second, "In Progress", 2000);
  check((await a.evaluate(() => document.activeElement?.getAttribute("data-testid"))) === `card-${second}`, "the moved card keeps the focus");
  await a.keyboard.press("Alt+ArrowDown"); // it came in at the top; now below the first
  const order = [String(first), String(second)];
  await until(async () => JSON.stringify((await shownBoard(bBoard))["In Progress"]) === JSON.stringify(order), "B seeing the card moved down");

  const third = await createTask(a, "Old idea", "Todo");
  await a.getByTestId(`archive-${third}`).click();
  await until(async () => (await card(bBoard, third).count()) === 0, "the archived card gone from B's board");
  await a.locator('[data-testid="archived"] summary').click();
  await a.getByTestId(`restore-${third}`).click();
  await cardIn(bBoard, third, "Todo", 2000);
  await showsTruth(bBoard, p.aToken, p.projectId, "B's board");
  await showsTruth(a, p.aToken, p.projectId, "A's board");
  await screenshot(a, "1-two-members-a-board");
  await screenshot(bBoard, "1-two-members-b-board");
  await screenshot(bList, "1-two-members-b-projects");
}

/** 2. B goes offline; A makes five changes; back online, B's board shows all five without a
 * reload and without a card twice (the feed resumed: the missed events were replayed). */
export async function offline(p) {
  const { a, bBoard, bContext } = p;
  await bBoard.evaluate(() => (window.__sameDocument = true));
  await bContext.setOffline(true);
  await until(async () => (await connection(bBoard)) === "offline", "B's board saying it is offline");
  const made = [];
  for (const title of ["Offline one", "Offline two", "Offline three"]) made.push(await createTask(a, title)); // 1-3
  await drag(a, made[0], "Done"); // 4
  await cardIn(a, made[0], "Done", 200);
  await a.getByTestId(`title-${made[1]}`).dblclick();
  await a.getByTestId(`title-input-${made[1]}`).fill("Offline two, renamed");
  await a.getByTestId(`title-input-${made[1]}`).press("Enter"); // 5
  await new Promise((r) => setTimeout(r, 800));
  check((await card(bBoard, made[2]).count()) === 0, "B, offline, has not seen A's changes");
  await screenshot(bBoard, "2-offline-b-board-offline");

  await bContext.setOffline(false);
  await showsTruth(bBoard, p.aToken, p.projectId, "B's board back online");
  await until(async () => (await bBoard.getByTestId(`title-${made[1]}`).textContent()) === "Offline two, renamed", "B seeing the rename");
  check(await bBoard.evaluate(() => window.__sameDocument === true), "B's page was not reloaded");
  check((await duplicateCards(bBoard)).length === 0, "no card shown twice");
  check((await connection(bBoard)) === "live", `B's feed resumed live (not resynced): ${await connection(bBoard)}`);
  await screenshot(bBoard, "2-offline-b-board-back");
}

/** 5. A and B drag the same card at once (both requests held until both are sent, then let go
 * together): one wins, and the other's board shows the winner's position and says why. */
export async function race(p) {
  const { a, bBoard } = p;
  const contested = await createTask(a, "Contested");
  await cardIn(bBoard, contested, "Todo", 2000);
  const held = [];
  const hold = (route) => held.push(route);
  await a.route("**/api/v1/tasks/*/move", hold);
  await bBoard.route("**/api/v1/tasks/*/move", hold);
  await drag(a, contested, "In Review");
  await drag(bBoard, contested, "Issue");
  await until(() => held.length === 2, "both moves sent");
  await Promise.all(held.map((route) => route.continue()));
  await a.unroute("**/api/v1/tasks/*/move", hold);
  await bBoard.unroute("**/api/v1/tasks/*/move", hold);

  const truth = await showsTruth(a, p.aToken, p.projectId, "A's board after the race");
  await showsTruth(bBoard, p.aToken, p.projectId, "B's board after the race");
  const winner = truth["In Review"].includes(String(contested)) ? "A" : "B";
  check(truth[winner === "A" ? "In Review" : "Issue"].includes(String(contested)), `one of the moves won: ${JSON.stringify(truth)}`);
  const loser = winner === "A" ? bBoard : a;
  await loser.getByTestId("notice").filter({ hasText: RELOADED }).waitFor({ timeout: 3000 });
  log(`race: ${winner} won; the other was told "${RELOADED}"`);
  await screenshot(loser, "5-race-loser");
}

/** 3. The notifier is stopped, Redis loses the rooms, A changes the board, the notifier starts
 * again: B's board reloads (the feed cannot replay the gap), says "resynced", shows the truth. */
export async function resync(p, host) {
  const { a, bBoard } = p;
  const kept = await createTask(a, "Before the restart");
  await cardIn(bBoard, kept, "Todo", 2000);
  await host("stop-notifier");
  await until(async () => (await connection(bBoard)) === "reconnecting", "B's board reconnecting", 10_000);
  const missed = await createTask(a, "While the feed was down");
  await drag(a, kept, "Done");
  await cardIn(a, kept, "Done", 200);
  await host("flush-redis-and-start-notifier");
  await until(async () => (await connection(bBoard)) === "resynced", "B's board saying resynced", 30_000, 50);
  await screenshot(bBoard, "3-resync-b-board");
  await showsTruth(bBoard, p.aToken, p.projectId, "B's board after the resync");
  check((await column(bBoard, "Todo").getByTestId(`card-${missed}`).count()) === 1, "the task made while the feed was down is shown");
  check((await column(bBoard, "Done").getByTestId(`card-${kept}`).count()) === 1, "the task moved while the feed was down is shown moved");
  const after = await createTask(a, "After the restart");
  await cardIn(bBoard, after, "Todo", 2000); // and live again
}

/** 4. A removes B from the workspace: B's board stops updating and says why. */
export async function removed(p) {
  const { a, bBoard } = p;
  const before = await createTask(a, "Before the removal");
  await cardIn(bBoard, before, "Todo", 2000);
  await api(p.aToken, "DELETE", `/workspaces/${p.workspaceId}/members/${p.bId}`);
  await bBoard.getByTestId("revoked").filter({ hasText: REVOKED }).waitFor({ timeout: 5000 });
  await p.bList.getByTestId("revoked").filter({ hasText: REVOKED }).waitFor({ timeout: 5000 });
  const after = await createTask(a, "After the removal");
  await drag(a, before, "Done");
  await new Promise((r) => setTimeout(r, 1500));
  check((await card(bBoard, after).count()) === 0, "B's board does not show a task made after the removal");
  check((await column(bBoard, "Todo").getByTestId(`card-${before}`).count()) === 1, "B's board no longer follows A's moves");
  check(await bBoard.getByTestId("new-task-submit").isDisabled(), "B can no longer write");
  await screenshot(bBoard, "4-removed-b-board");
}

/** Not a check: a board with some work on it, for the README (artifacts/board.png). */
export async function showcase(p) {
  const { a, bBoard } = p;
  const tasks = [
    ["Sign-in with a development token", "Done", "medium", "Ada"],
    ["Live counts on the projects list", "Done", "high", "Bob"],
    ["Keyboard moves with Alt+Arrow keys", "In Review", "medium", "Bob"],
    ["Drag and drop between columns", "In Progress", "urgent", "Ada"],
    ["Presence on the board", "Todo", "low", "Bob"],
    ["Flaky reconnect on a sleeping laptop", "Issue", "high", "Ada"],
  ];
  let last;
  for (const [title, status, priority, assignee] of tasks) last = await createTask(a, title, status, { priority, assignee });
  await cardIn(bBoard, last, "Issue", 2000);
  await a.getByTestId("notice").locator("button").click().catch(() => undefined);
  await screenshot(a, "board");
}
