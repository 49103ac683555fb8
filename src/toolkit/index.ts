/** The concurrency toolkit (beyond asyncio): mapConcurrent, RateLimiter, retry, moveOnAfter. */
export { MapConcurrent, mapConcurrent, type MapConcurrentOptions } from "./mapConcurrent.js";
export { moveOnAfter, moveOnAt, type Finished } from "./moveOnAfter.js";
export { RateLimiter, type RateLimiterOptions, type RateLimiterStatistics } from "./rateLimiter.js";
export { retry, type RetryOptions } from "./retry.js";
