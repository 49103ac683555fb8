/**
 * Errors of `asyncio-ts/redis` that the core library has no name for. Each sets `name`, so a
 * report says what failed without reading the message.
 */

/**
 * The Redis server cannot be used: unreachable at open(), older than 6.2 (no `XAUTOCLAIM`), or
 * it answered a command with an error the queue cannot recover from. `cause` holds the client's error.
 */
export class RedisServerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
Object.defineProperty(RedisServerError.prototype, "name", { value: "RedisServerError", writable: true, configurable: true });
