/** The feed's session: close codes, back-off, token renewal and refusal, close(). */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MIN_RENEW_MS } from "../src/feed-renewal.js";
import { STABLE_MS } from "../src/feed.js";
import { frame, harness, jwt, settle } from "./fake-socket.js";

const ROOM = "workspace:w1";
const noop = { onEvent() {}, onResync() {} };

beforeEach(() => void vi.useFakeTimers({ now: new Date("2026-06-01T00:00:00Z") }));
afterEach(() => void vi.useRealTimers());

async function liveIn(options = {}) {
  const h = await harness(options);
  h.feed.connect();
  h.feed.subscribe(ROOM, noop);
  await h.accept();
  h.socket().push({ op: "subscribed", room: ROOM, seq: 5, epoch: "e1" });
  return h;
}

describe("the feed's session", () => {
  it("connects: a token, auth first, then live", async () => {
    const h = await harness();
    expect(h.feed.state).toEqual({ kind: "connecting" });
    h.feed.connect();
    await settle();
    expect(h.socket().url).toBe("ws://feed/ws");
    h.socket().open();
    expect(h.socket().take()).toEqual([{ op: "auth", token: "token-1" }]);
    h.socket().push({ op: "ready", user_id: "u1" });
    expect(h.states).toEqual([{ kind: "live" }]);
  });

  it.each([4008, 1011, 1012, 1006, 1009, 1001])("reconnects and resumes after close %i", async (code) => {
    const h = await liveIn();
    h.socket().drop(code, "bye");
    expect(h.feed.state).toEqual({ kind: "reconnecting", attempt: 1, delayMs: 250, code, reason: "bye" });
    await vi.advanceTimersByTimeAsync(250);
    expect(h.feed.state).toEqual({ kind: "connecting" });
    expect(h.token).toHaveBeenCalledTimes(2);
    expect(await h.accept()).toEqual([{ op: "subscribe", room: ROOM, since: 5, epoch: "e1" }]);
    expect(h.feed.state).toEqual({ kind: "live" });
  });

  it("backs off longer after 4029", async () => {
    const h = await liveIn({ random: () => 0 });
    h.socket().drop(4029, "too many connections");
    // the ceiling 16x higher (4000 ms), and at least half of it
    expect(h.feed.state).toMatchObject({ kind: "reconnecting", delayMs: 2000, code: 4029 });
    await vi.advanceTimersByTimeAsync(1999);
    expect(h.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.sockets).toHaveLength(2);
  });

  it("backs off exponentially, jittered, capped, and resets once a session stays live", async () => {
    const draws = [1, 0.5, 1, 1, 1, 1, 1, 1, 0.25];
    const h = await liveIn({ random: () => draws.shift() ?? 1, backoff: { initialMs: 100, maxMs: 2000 } });
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      h.socket().drop(1006);
      const state = h.feed.state;
      if (state.kind !== "reconnecting") throw new Error(state.kind);
      expect(state.attempt).toBe(i + 1);
      delays.push(state.delayMs);
      await vi.advanceTimersByTimeAsync(state.delayMs);
      await settle();
      h.socket().open();
    }
    expect(delays).toEqual([100, 100, 400, 800, 1600, 2000, 2000, 2000, 500]);
    h.socket().push({ op: "ready", user_id: "u1" });
    await vi.advanceTimersByTimeAsync(STABLE_MS - 1);
    h.socket().drop(1006);
    expect(h.feed.state).toMatchObject({ attempt: 10 });
    await vi.advanceTimersByTimeAsync(2000);
    await h.accept();
    await vi.advanceTimersByTimeAsync(STABLE_MS);
    h.socket().drop(1006);
    expect(h.feed.state).toMatchObject({ attempt: 1, delayMs: 100 });
  });

  it("renews the token renewBeforeSeconds before exp, and again after renewed", async () => {
    const now = Date.now() / 1000;
    const tokens = [jwt(now + 300), jwt(now + 600), jwt(now + 900)];
    const h = await liveIn({ token: () => tokens.shift() ?? "none", renewBeforeSeconds: 60 });
    h.socket().take();
    await vi.advanceTimersByTimeAsync(239_000);
    expect(h.socket().take()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    const renewal = h.socket().take();
    expect(renewal).toEqual([{ op: "auth", token: jwt(now + 600) }]);
    h.socket().push({ op: "renewed", user_id: "u1", exp: now + 600 });
    await vi.advanceTimersByTimeAsync(299_000);
    expect(h.socket().take()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.socket().take()).toEqual([{ op: "auth", token: jwt(now + 900) }]);
    expect(h.feed.state).toEqual({ kind: "live" });
  });

  it("asks for the renewal's token again shortly when token() fails", async () => {
    const now = Date.now() / 1000;
    let offline = false;
    const token = () => {
      if (offline) throw new Error("offline");
      return jwt(now + 120);
    };
    const h = await liveIn({ token, renewBeforeSeconds: 60 });
    h.socket().take();
    offline = true;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.socket().take()).toEqual([]);
    offline = false;
    await vi.advanceTimersByTimeAsync(MIN_RENEW_MS);
    expect(h.socket().take()).toEqual([{ op: "auth", token: jwt(now + 120) }]);
    expect(h.feed.state).toEqual({ kind: "live" });
  });

  it("after 4001 gets a fresh token and connects with it", async () => {
    const h = await liveIn();
    h.socket().drop(4001, "token expired");
    await settle();
    expect(h.token).toHaveBeenCalledTimes(2);
    expect(h.feed.state).toMatchObject({ kind: "reconnecting", code: 4001 });
    await vi.advanceTimersByTimeAsync(250);
    h.socket().open();
    expect(h.socket().take()).toEqual([{ op: "auth", token: "token-2" }]);
    expect(h.token).toHaveBeenCalledTimes(2);
  });

  it("is closed when token() throws after 4001", async () => {
    const h = await liveIn();
    h.token.mockRejectedValueOnce(new Error("signed out"));
    h.socket().drop(4001, "token expired");
    await settle();
    expect(h.feed.state).toEqual({ kind: "closed", code: 4001, reason: "token expired (no fresh token: Error: signed out)" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.sockets).toHaveLength(1);
  });

  it("is closed when a fresh token is refused too", async () => {
    const h = await harness();
    h.feed.connect();
    await settle();
    h.socket().open();
    h.socket().drop(4001, "invalid token");
    await vi.advanceTimersByTimeAsync(250);
    h.socket().open();
    h.socket().drop(4001, "invalid token");
    expect(h.feed.state).toEqual({ kind: "closed", code: 4001, reason: "invalid token" });
  });

  it("close() closes the socket, rejects presence asked and never reconnects", async () => {
    const h = await liveIn();
    const asked = h.feed.presence(ROOM);
    const socket = h.socket();
    h.feed.close();
    expect(socket.closedWith).toBe(1000);
    expect(h.feed.state).toEqual({ kind: "closed", code: 1000, reason: "closed by the client" });
    await expect(asked).rejects.toThrow(/closed/);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.sockets).toHaveLength(1);
    h.feed.connect();
    expect(await h.accept()).toEqual([{ op: "subscribe", room: ROOM, since: 5, epoch: "e1" }]);
    h.socket().push(frame(ROOM, 6));
  });

  it("is closed when no WebSocket can be made", async () => {
    const h = await harness({ WebSocket: undefined });
    const saved = globalThis.WebSocket;
    vi.stubGlobal("WebSocket", undefined);
    h.feed.connect();
    await settle();
    vi.stubGlobal("WebSocket", saved);
    expect(h.feed.state).toMatchObject({ kind: "closed", code: 1006 });
  });
});
