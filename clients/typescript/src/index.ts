export * from "./events.js";
export { Feed, type FeedFrame, type FeedOptions, type FeedState, type RoomHandlers } from "./feed.js";
export { jwtClaims, jwtExp } from "./jwt.js";
export * from "./problem.js";
export * from "./rest.js";
