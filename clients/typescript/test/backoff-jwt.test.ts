import { describe, expect, it } from "vitest";
import { Backoff } from "../src/backoff.js";
import { jwtClaims, jwtExp } from "../src/index.js";
import { jwt } from "./fake-socket.js";

describe("Backoff", () => {
  it("doubles its ceiling from 250 ms up to 10 s by default", () => {
    const backoff = new Backoff({}, () => 1);
    expect(Array.from({ length: 8 }, () => backoff.next())).toEqual([250, 500, 1000, 2000, 4000, 8000, 10000, 10000]);
    expect(backoff.attempt).toBe(8);
  });

  it("draws each delay anywhere under the ceiling (full jitter)", () => {
    const draws = [0, 0.5, 0.999];
    const backoff = new Backoff({ initialMs: 1000, maxMs: 1000 }, () => draws.shift() ?? 0);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([0, 500, 999]);
  });

  it("starts again from the first delay after reset", () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 1000 }, () => 1);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect([backoff.attempt, backoff.next()]).toEqual([0, 10]);
  });

  it("waits at least half of a ceiling 16 times higher when slowed (4029)", () => {
    const low = new Backoff({ initialMs: 100, maxMs: 60_000 }, () => 0);
    const high = new Backoff({ initialMs: 100, maxMs: 60_000 }, () => 1);
    expect([low.next(true), high.next(true)]).toEqual([800, 1600]);
  });

  it("keeps nonsense options sane", () => {
    const backoff = new Backoff({ initialMs: 0, maxMs: -5 }, () => 1);
    expect([backoff.initialMs, backoff.maxMs, backoff.next()]).toEqual([1, 1, 1]);
  });
});

describe("jwtExp", () => {
  it("reads exp from the base64url payload without verifying", () => {
    expect(jwtExp(jwt(1767225600))).toBe(1767225600);
    expect(jwtClaims(jwt(5, "user-\u00e9"))).toEqual({ sub: "user-\u00e9", exp: 5 });
  });

  it("is null for what is not a JWT with a numeric exp", () => {
    const none = `${btoa("{}")}.${btoa(JSON.stringify({ sub: "x" }))}.s`;
    expect([jwtExp("opaque"), jwtExp("a.!!!.c"), jwtExp(none), jwtExp("a.bnVsbA.c")]).toEqual([null, null, null, null]);
  });
});
