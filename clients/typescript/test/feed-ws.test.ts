/** The feed over real sockets: the `ws` package's client and a scripted WebSocketServer on an
 * ephemeral loopback port. */
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { Feed, type FeedState } from "../src/index.js";
import { frame } from "./fake-socket.js";

const ROOM = "project:p1";
type Message = { op: string; [key: string]: unknown };
interface Peer { socket: WebSocket; messages: Message[]; next(): Promise<Message> }

const servers: WebSocketServer[] = [];
afterEach(() => servers.splice(0).forEach((server) => server.close()));

async function server() {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  servers.push(wss);
  await new Promise((resolve) => wss.once("listening", resolve));
  const waiting: ((peer: Peer) => void)[] = [];
  wss.on("connection", (socket) => {
    const messages: Message[] = [];
    const wakers: (() => void)[] = [];
    socket.on("message", (data) => {
      messages.push(JSON.parse(String(data)) as Message);
      wakers.splice(0).forEach((wake) => wake());
    });
    const next = async (): Promise<Message> => {
      while (messages.length === 0) await new Promise<void>((wake) => wakers.push(wake));
      return messages.shift() as Message;
    };
    waiting.shift()?.({ socket, messages, next });
  });
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/ws`, peer: () => new Promise<Peer>((resolve) => waiting.push(resolve)) };
}

const send = (peer: Peer, message: object) => peer.socket.send(JSON.stringify(message));

describe("the feed over ws", () => {
  it("subscribes, resumes after 1012 and comes back with a fresh token after 4001", async () => {
    const { url, peer } = await server();
    let issued = 0;
    const seen: number[] = [];
    const states: FeedState["kind"][] = [];
    const feed = new Feed({ url, token: () => `t${++issued}`, backoff: { initialMs: 5, maxMs: 20 }, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
    feed.onState((state) => states.push(state.kind));
    feed.subscribe(ROOM, { onEvent: (_, f) => seen.push(f.seq), onResync() {} });
    let connection = peer();
    feed.connect();

    let p = await connection;
    expect(await p.next()).toEqual({ op: "auth", token: "t1" });
    send(p, { op: "ready", user_id: "u1" });
    expect(await p.next()).toEqual({ op: "subscribe", room: ROOM });
    send(p, { op: "subscribed", room: ROOM, seq: 3, epoch: "e" });
    send(p, frame(ROOM, 4, "e"));
    connection = peer();
    p.socket.close(1012, "restart");

    p = await connection;
    expect(await p.next()).toEqual({ op: "auth", token: "t2" });
    send(p, { op: "ready", user_id: "u1" });
    expect(await p.next()).toEqual({ op: "subscribe", room: ROOM, since: 4, epoch: "e" });
    send(p, { op: "subscribed", room: ROOM, seq: 5, epoch: "e", recovered: true });
    send(p, frame(ROOM, 5, "e"));
    const asked = feed.presence(ROOM);
    expect(await p.next()).toEqual({ op: "presence", room: ROOM });
    send(p, { op: "presence", room: ROOM, users: ["u1", "u2"] });
    expect(await asked).toEqual(["u1", "u2"]);
    connection = peer();
    p.socket.close(4001, "token expired");

    p = await connection;
    expect(await p.next()).toEqual({ op: "auth", token: "t3" });
    expect(issued).toBe(3);
    send(p, { op: "ready", user_id: "u1" });
    expect(await p.next()).toEqual({ op: "subscribe", room: ROOM, since: 5, epoch: "e" });
    expect(seen).toEqual([4, 5]);
    feed.close();
    expect(states).toEqual(["live", "reconnecting", "connecting", "live", "reconnecting", "connecting", "live", "closed"]);
  });

  it("reconnects when the server cannot be reached, and closes cleanly", async () => {
    const { url } = await server();
    servers[0]?.close();
    const feed = new Feed({ url, token: () => "t", backoff: { initialMs: 5, maxMs: 5 }, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
    const attempts: number[] = [];
    feed.onState((state) => state.kind === "reconnecting" && attempts.push(state.attempt));
    feed.connect();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(attempts.length).toBeGreaterThan(2);
    feed.close();
    expect(feed.state).toMatchObject({ kind: "closed", code: 1000 });
  });
});
