// Task ranks are decimal strings ("1.5", "-0.25", "12.000431"): compared numerically and
// exactly, as the tasks service compares them, never through floating point.

function parts(rank: string): { negative: boolean; whole: string; fraction: string } {
  const negative = rank.startsWith("-");
  const digits = negative || rank.startsWith("+") ? rank.slice(1) : rank;
  const [whole = "0", fraction = ""] = digits.split(".");
  return { negative, whole: whole.replace(/^0+(?=\d)/, ""), fraction: fraction.replace(/0+$/, "") };
}

function compareMagnitude(a: ReturnType<typeof parts>, b: ReturnType<typeof parts>): number {
  if (a.whole.length !== b.whole.length) return a.whole.length < b.whole.length ? -1 : 1;
  if (a.whole !== b.whole) return a.whole < b.whole ? -1 : 1;
  const width = Math.max(a.fraction.length, b.fraction.length);
  const fa = a.fraction.padEnd(width, "0");
  const fb = b.fraction.padEnd(width, "0");
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/** Negative, zero or positive as rank `a` is below, equal to or above rank `b`. */
export function compareRanks(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  const zeroA = pa.whole === "0" && pa.fraction === "";
  const zeroB = pb.whole === "0" && pb.fraction === "";
  const signA = zeroA ? 0 : pa.negative ? -1 : 1;
  const signB = zeroB ? 0 : pb.negative ? -1 : 1;
  if (signA !== signB) return signA < signB ? -1 : 1;
  const magnitude = compareMagnitude(pa, pb);
  return signA < 0 ? -magnitude : magnitude;
}
