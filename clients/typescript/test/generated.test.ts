/** src/generated is what `npm run generate` makes of the committed openapi/*.json, and the drift
 * test's comparison says what differs. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SERVICES, differences, readCommitted, render, typesPath } from "../scripts/openapi-docs.js";

describe("the generated REST types", () => {
  it.each(SERVICES)("for %s are what its committed document makes (else: npm run generate)", async (service) => {
    const expected = await render(service, readCommitted(service));
    expect(readFileSync(typesPath(service), "utf8") === expected, `src/generated/${service}.ts is stale: npm run generate`).toBe(true);
  });
});

describe("differences", () => {
  const doc = (paths: object, schemas: object, title = "t") => ({ openapi: "3.1.0", info: { title }, paths, components: { schemas } });
  const base = doc({ "/a": { get: { operationId: "a" }, post: { operationId: "b" } } }, { A: { type: "object" }, B: { type: "string" } });

  it("is empty for the same document, whatever its keys' order", () => {
    const shuffled = { components: base.components, paths: base.paths, info: base.info, openapi: "3.1.0" };
    expect(differences(base, shuffled)).toEqual([]);
  });

  it("names each path and method, and each schema, that differs", () => {
    const running = doc(
      { "/a": { get: { operationId: "a", parameters: [{ name: "X-Client-Mutation-Id", in: "header" }] } }, "/b": { get: {} } },
      { A: { type: "object", required: ["x"] }, C: { type: "string" } },
    );
    expect(differences(base, running)).toEqual([
      "get /a: changed",
      "post /a: gone from the running service",
      "get /b: new in the running service",
      "schema A: changed",
      "schema B: gone from the running service",
      "schema C: new in the running service",
    ]);
  });

  it("notices a change outside paths and schemas", () => {
    expect(differences(base, { ...base, info: { title: "other" } })).toEqual(["the document's other parts (info, security, ...) changed"]);
  });
});
