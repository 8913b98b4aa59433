import { describe, expect, it } from "vitest";
import { compareRanks } from "./rank";

describe("compareRanks", () => {
  it("orders decimal strings as numbers, exactly", () => {
    const ranks = ["10", "-1.5", "2", "1.000001", "0", "-0.25", "1", "1.0000009999999999999999"];
    expect([...ranks].sort(compareRanks)).toEqual(["-1.5", "-0.25", "0", "1", "1.0000009999999999999999", "1.000001", "2", "10"]);
  });

  it("takes trailing zeros, leading zeros and signs as the same number", () => {
    expect(compareRanks("1.50", "1.5")).toBe(0);
    expect(compareRanks("007", "7")).toBe(0);
    expect(compareRanks("-0", "0")).toBe(0);
    expect(compareRanks("+3", "3")).toBe(0);
  });

  it("orders negatives by magnitude reversed", () => {
    expect(compareRanks("-2", "-1")).toBeLessThan(0);
    expect(compareRanks("-0.1", "-0.01")).toBeLessThan(0);
    expect(compareRanks("-1", "0.5")).toBeLessThan(0);
  });
});
