/** The feed's rooms: first subscribe, resume, resync, gaps, duplicates, epochs, unsubscribe,
 * presence and errors, against a scripted server. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FeedFrame, RoomHandlers, TaskwireEvent } from "../src/index.js";
import { frame, harness, settle } from "./fake-socket.js";

const ROOM = "project:p1";

function recorder(reload: () => Promise<void> | void = () => {}) {
  const seen: number[] = [];
  const frames: FeedFrame[] = [];
  const errors: { code: string; message: string }[] = [];
  const handlers = {
    onEvent: vi.fn((_: TaskwireEvent, f: FeedFrame) => void (seen.push(f.seq), frames.push(f))),
    onResync: vi.fn(reload),
    onError: vi.fn((e: { code: string; message: string }) => void errors.push(e)),
  } satisfies RoomHandlers;
  return { seen, frames, errors, handlers };
}

/** A feed live in ROOM at seq 10 of epoch e1. */
async function live(handlers: RoomHandlers) {
  const h = await harness();
  h.feed.connect();
  h.feed.subscribe(ROOM, handlers);
  expect(await h.accept()).toEqual([{ op: "subscribe", room: ROOM }]);
  h.socket().push({ op: "subscribed", room: ROOM, seq: 10, epoch: "e1" });
  return h;
}

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe("a room", () => {
  it("starts from the subscribed seq and hands over each frame, as sent, in order", async () => {
    const r = recorder();
    const h = await live(r.handlers);
    h.socket().push(frame(ROOM, 11));
    h.socket().push(frame(ROOM, 12));
    expect(r.seen).toEqual([11, 12]);
    expect(r.frames[0]).toEqual({ room: ROOM, seq: 11, epoch: "e1", trace_id: "trace-11", event: frame(ROOM, 11).event });
    expect(r.handlers.onResync).not.toHaveBeenCalled();
    expect(h.feed.state).toEqual({ kind: "live" });
  });

  it("resumes with since and epoch after a drop, and takes the missed frames", async () => {
    const r = recorder();
    const h = await live(r.handlers);
    h.socket().push(frame(ROOM, 11));
    h.socket().drop(1006);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await h.accept()).toEqual([{ op: "subscribe", room: ROOM, since: 11, epoch: "e1" }]);
    h.socket().push({ op: "subscribed", room: ROOM, seq: 13, epoch: "e1", recovered: true });
    for (const seq of [12, 13, 14]) h.socket().push(frame(ROOM, seq));
    expect(r.seen).toEqual([11, 12, 13, 14]);
    expect(r.handlers.onResync).not.toHaveBeenCalled();
  });

  it("on recovered:false reloads, holding later frames, then applies those past the subscribed seq in order", async () => {
    let finish = () => {};
    const r = recorder(() => new Promise<void>((resolve) => (finish = resolve)));
    const h = await live(r.handlers);
    h.socket().drop(1012);
    await vi.advanceTimersByTimeAsync(1000);
    await h.accept();
    h.socket().push({ op: "subscribed", room: ROOM, seq: 50, epoch: "e1", recovered: false });
    expect(r.handlers.onResync).toHaveBeenCalledWith(ROOM);
    expect(h.feed.state).toEqual({ kind: "resyncing", rooms: [ROOM] });
    for (const seq of [50, 51, 52, 53]) h.socket().push(frame(ROOM, seq));
    expect(r.seen).toEqual([]);
    finish();
    await settle();
    expect(r.seen).toEqual([51, 52, 53]);
    expect(h.feed.state).toEqual({ kind: "live" });
    h.socket().push(frame(ROOM, 54));
    expect(r.seen.at(-1)).toBe(54);
  });

  it("drops duplicate frames", async () => {
    const r = recorder();
    const h = await live(r.handlers);
    for (const seq of [11, 11, 9, 10, 12, 12]) h.socket().push(frame(ROOM, seq));
    expect(r.seen).toEqual([11, 12]);
  });

  it.each([
    ["a seq gap", frame(ROOM, 13)],
    ["a new epoch", frame(ROOM, 11, "e2")],
  ])("takes %s for a resync: subscribes again without since and reloads", async (_, odd) => {
    const r = recorder();
    const h = await live(r.handlers);
    h.socket().push(frame(ROOM, 11));
    h.socket().take();
    h.socket().push(odd);
    expect(h.socket().take()).toEqual([{ op: "unsubscribe", room: ROOM }, { op: "subscribe", room: ROOM }]);
    expect(h.feed.state).toEqual({ kind: "resyncing", rooms: [ROOM] });
    h.socket().push(frame(ROOM, 14)); // the old subscription's, before the new one answers
    h.socket().push({ op: "unsubscribed", room: ROOM });
    h.socket().push({ op: "subscribed", room: ROOM, seq: 20, epoch: "e2" });
    expect(r.handlers.onResync).toHaveBeenCalledTimes(1);
    await settle();
    h.socket().push(frame(ROOM, 21, "e2"));
    expect(r.seen).toEqual([11, 21]);
    expect(h.feed.state).toEqual({ kind: "live" });
  });

  it("resumes from the subscribed seq when the connection drops during a reload", async () => {
    let finish = () => {};
    const r = recorder(() => new Promise<void>((resolve) => (finish = resolve)));
    const h = await live(r.handlers);
    h.socket().push(frame(ROOM, 12)); // a gap: reload from 30
    h.socket().push({ op: "subscribed", room: ROOM, seq: 30, epoch: "e1" });
    h.socket().push(frame(ROOM, 31));
    h.socket().drop(1011);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await h.accept()).toEqual([{ op: "subscribe", room: ROOM, since: 30, epoch: "e1" }]);
    h.socket().push({ op: "subscribed", room: ROOM, seq: 32, epoch: "e1", recovered: true });
    for (const seq of [31, 32]) h.socket().push(frame(ROOM, seq));
    finish();
    await settle();
    expect(r.seen).toEqual([31, 32]);
    expect(r.handlers.onResync).toHaveBeenCalledTimes(1);
  });

  it("tries a failed reload again, saying so", async () => {
    const reload = vi.fn<() => Promise<void>>().mockRejectedValueOnce(new Error("503")).mockResolvedValue();
    const r = recorder(reload);
    const h = await live(r.handlers);
    h.socket().push(frame(ROOM, 12));
    h.socket().push({ op: "subscribed", room: ROOM, seq: 30, epoch: "e1" });
    await settle();
    expect(r.errors).toEqual([{ code: "resync_failed", message: "Error: 503" }]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reload).toHaveBeenCalledTimes(2);
    expect(h.feed.state).toEqual({ kind: "live" });
  });

  it("unsubscribes when its last handler leaves, and ignores the room's frames after", async () => {
    const [a, b] = [recorder(), recorder()];
    const h = await live(a.handlers);
    const leaveB = h.feed.subscribe(ROOM, b.handlers);
    h.socket().push(frame(ROOM, 11));
    leaveB();
    leaveB();
    expect(h.socket().take()).toEqual([]);
    h.socket().push(frame(ROOM, 12));
    expect([a.seen, b.seen]).toEqual([[11, 12], [11]]);
  });

  it("sends unsubscribe and forgets the room", async () => {
    const r = recorder();
    const h = await harness();
    h.feed.connect();
    const leave = h.feed.subscribe(ROOM, r.handlers);
    await h.accept();
    h.socket().push({ op: "subscribed", room: ROOM, seq: 1, epoch: "e1" });
    leave();
    expect(h.socket().take()).toEqual([{ op: "unsubscribe", room: ROOM }]);
    h.socket().push({ op: "unsubscribed", room: ROOM });
    h.socket().push(frame(ROOM, 2));
    expect(r.seen).toEqual([]);
    await expect(h.feed.presence(ROOM)).rejects.toThrow(/not subscribed/);
  });

  it("asks who is present, and is answered in order", async () => {
    const h = await live(recorder().handlers);
    h.socket().take();
    const [first, second] = [h.feed.presence(ROOM), h.feed.presence(ROOM)];
    expect(h.socket().take()).toEqual([{ op: "presence", room: ROOM }, { op: "presence", room: ROOM }]);
    h.socket().push({ op: "presence", room: ROOM, users: ["u1"] });
    h.socket().push({ op: "error", code: "not_subscribed", room: ROOM, message: "subscribe first" });
    await expect(first).resolves.toEqual(["u1"]);
    await expect(second).rejects.toThrow("subscribe first");
  });

  it("ends on forbidden: onError, no more frames, not joined again", async () => {
    const r = recorder();
    const h = await live(r.handlers);
    const asked = h.feed.presence(ROOM);
    h.socket().push({ op: "error", code: "forbidden", room: ROOM, message: "no longer a member" });
    expect(r.errors).toEqual([{ code: "forbidden", message: "no longer a member" }]);
    await expect(asked).rejects.toThrow(/forbidden/);
    h.socket().push(frame(ROOM, 11));
    h.socket().drop(1012);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await h.accept()).toEqual([]);
    expect(r.seen).toEqual([]);
  });

  it("asks again after unavailable", async () => {
    const h = await harness();
    h.feed.connect();
    h.feed.subscribe(ROOM, recorder().handlers);
    await h.accept();
    h.socket().push({ op: "error", code: "unavailable", room: ROOM, message: "retry" });
    await vi.advanceTimersByTimeAsync(300);
    expect(h.socket().take()).toEqual([{ op: "subscribe", room: ROOM }]);
  });
});
