/** The committed OpenAPI documents (and so src/generated) against the running services': any
 * difference fails, naming each path and schema, until `npm run generate` is run again. */
import { describe, expect, it } from "vitest";
import { SERVICES, differences, fetchDocument, readCommitted, runningUrl } from "../scripts/openapi-docs.js";

describe("the committed OpenAPI documents", () => {
  it.each(SERVICES)("are the running %s service's", async (service) => {
    const url = runningUrl(service);
    const found = differences(readCommitted(service), await fetchDocument(url));
    const advice = `openapi/${service}.json differs from ${url}:\n  ${found.join("\n  ")}\n` +
      "run `npm run generate` in clients/typescript (from the app factories, or `-- --running`) and commit the result";
    expect(found, advice).toEqual([]);
  });
});
