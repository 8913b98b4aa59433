export * from "./problem.js";
export * from "./rest.js";
