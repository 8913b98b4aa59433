/**
 * `npm run generate`: writes openapi/{projects,tasks,aggregator}.json and, from them,
 * src/generated/{projects,tasks,aggregator}.ts.
 *
 * By default the documents come from the services' app factories (scripts/openapi.py, run with
 * the repository's .venv; TASKWIRE_PYTHON names another interpreter): nothing needs to run.
 * `npm run generate -- --running` asks the running services instead (their ports 8001-8003, or
 * TASKWIRE_OPENAPI_PROJECTS / _TASKS / _AGGREGATOR).
 */
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Document, PACKAGE, SERVICES, documentPath, fetchDocument, render, runningUrl, serialize, typesPath,
} from "./openapi-docs.js";

function fromAppFactories(): Record<string, Document> {
  const venv = join(PACKAGE, "..", "..", ".venv", "bin", "python");
  const python = process.env.TASKWIRE_PYTHON ?? (existsSync(venv) ? venv : "python3");
  const out = execFileSync(python, [join(PACKAGE, "scripts", "openapi.py"), ...SERVICES], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(out) as Record<string, Document>;
}

async function fromRunning(): Promise<Record<string, Document>> {
  const docs: Record<string, Document> = {};
  for (const service of SERVICES) docs[service] = await fetchDocument(runningUrl(service));
  return docs;
}

const running = process.argv.includes("--running");
const docs = running ? await fromRunning() : fromAppFactories();
for (const service of SERVICES) {
  const doc = docs[service];
  if (!doc) throw new Error(`no OpenAPI document for ${service}`);
  writeFileSync(documentPath(service), serialize(doc));
  writeFileSync(typesPath(service), await render(service, doc));
  console.log(`${service}: openapi/${service}.json, src/generated/${service}.ts`);
}
