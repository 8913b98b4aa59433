import { describe, expect, it } from "vitest";
import { handed, identify } from "./session";

const payload = (claims: object): string => Buffer.from(JSON.stringify(claims)).toString("base64url");
const token = `e30.${payload({ sub: "u1", name: "Ada", email: "ada@example.com", exp: 4102444800 })}.sig`;

describe("a token handed over by a host page", () => {
  it("is read from #token=, and a route's fragment is not a token", () => {
    expect(handed(`#token=${token}`)).toBe(token);
    expect(handed("#/p/0193")).toBeNull();
    expect(handed("#token=")).toBeNull();
    expect(handed("")).toBeNull();
  });

  it("names who it signs in", () => {
    expect(identify(token)).toMatchObject({ userId: "u1", name: "Ada", email: "ada@example.com" });
  });
});
