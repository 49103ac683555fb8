/**
 * Connections to Redis, through `redis` (node-redis, the client Redis Inc. maintains; an optional
 * peer dependency, imported only by this subpath). One place decides how a connection behaves:
 *
 * - open: a server that cannot be reached fails `open()` with a RedisServerError that names the
 *   URL (the client would otherwise retry forever); a server older than 6.2 is refused, because
 *   the queue's lease recovery needs `XAUTOCLAIM`-era commands (`XPENDING ... IDLE`).
 * - once open, a lost connection is retried with back-off (50 ms doubling to 2 s) for as long as
 *   it takes: commands issued meanwhile wait for it (a Redis restart is a pause, not an error).
 * - replies come back as Buffers (items are binary); `text()` turns ids and numbers into strings.
 */
import { createHash } from "node:crypto";
import { createClient, RESP_TYPES } from "redis";
import { RedisServerError } from "./errors.js";

type RawClient = ReturnType<typeof createClient>;
/** An argument of a Redis command. */
export type Arg = string | Buffer;

/** One connection: commands, Lua scripts, and the close that ends it. */
export interface Connection {
  /** Sends one command; replies with Buffers for bulk strings. */
  command(args: readonly Arg[]): Promise<unknown>;
  /** Runs `script` (EVALSHA, loading it again after a server restart). */
  script(script: Script, keys: readonly string[], args: readonly Arg[]): Promise<unknown>;
  /** Whether the connection is up now. */
  ready(): boolean;
  /** Whether the open connection keeps the process alive (true by default). */
  setRef(on: boolean): void;
  close(): Promise<void>;
}

/** A Lua script with its SHA1, sent by hash once the server knows it. */
export class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }
}

/** A reply's Buffer or string as text (ids, numbers, names). */
export function text(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  if (typeof value === "string" || typeof value === "number") return String(value);
  return "";
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

function versionOf(info: string): [number, number, string] {
  const match = /redis_version:(\d+)\.(\d+)[^\r\n]*/.exec(info);
  if (match === null) return [0, 0, "unknown"];
  return [Number(match[1]), Number(match[2]), match[0].slice("redis_version:".length)];
}

/**
 * Opens a connection to `url` and checks the server.
 *
 * @throws RedisServerError if nothing answers at `url`, or the server is older than 6.2.
 */
export async function connect(where: string, url: string): Promise<Connection> {
  let opened = false;
  let lastError: unknown = null;
  let raw: RawClient;
  try {
    raw = createClient({
      url,
      socket: {
        connectTimeout: 5000,
        // Before the first connection an error is final (open() reports it); after, retry.
        reconnectStrategy: (retries: number, cause: Error) => (opened ? Math.min(50 * 2 ** retries, 2000) : cause),
      },
    });
  } catch (error) {
    throw new TypeError(`${where} expects url to be a redis:// or rediss:// URL: received ${JSON.stringify(url)}`, { cause: error });
  }
  // Without a listener, the client's "error" events (each failed reconnect) would crash the process.
  raw.on("error", (error: unknown) => {
    lastError = error;
  });
  try {
    await raw.connect();
  } catch (error) {
    raw.destroy();
    throw new RedisServerError(`${where} could not connect to Redis at ${url}: ${(error as Error).message ?? String(error)}`, {
      cause: lastError ?? error,
    });
  }
  opened = true;
  const binary = raw.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const [major, minor, version] = versionOf(text(await binary.sendCommand(["INFO", "server"])));
  if (major < 6 || (major === 6 && minor < 2)) {
    raw.destroy();
    throw new RedisServerError(`${where} needs Redis 6.2 or newer (for XAUTOCLAIM and XPENDING IDLE): ${url} runs Redis ${version}`);
  }
  const command = (args: readonly Arg[]): Promise<unknown> => binary.sendCommand([...args]);
  return {
    command,
    async script(script, keys, args) {
      const tail = [String(keys.length), ...keys, ...args];
      try {
        return await command(["EVALSHA", script.sha, ...tail]);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return await command(["EVAL", script.source, ...tail]); // the server restarted and forgot it
      }
    },
    ready: () => raw.isReady,
    setRef(on) {
      if (on) raw.ref();
      else raw.unref();
    },
    async close() {
      if (raw.isOpen) await raw.close().catch(() => raw.destroy());
    },
  };
}

/** A subscription to one pub/sub channel, on a connection of its own. */
export interface Subscription {
  close(): Promise<void>;
}

/**
 * Subscribes to `channel` on a new connection; `onMessage` gets each message's text. The client
 * subscribes again after a reconnect (messages published while disconnected are missed: callers
 * back them with a key they can check).
 */
export async function subscribe(where: string, url: string, channel: string, onMessage: (message: string) => void): Promise<Subscription> {
  const raw = createClient({ url, socket: { connectTimeout: 5000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) } });
  raw.on("error", () => undefined); // reconnects are retried; a command error surfaces where it was sent
  try {
    await raw.connect();
    await raw.subscribe(channel, (message: string) => onMessage(message));
  } catch (error) {
    raw.destroy();
    throw new RedisServerError(`${where} could not subscribe at ${url}: ${(error as Error).message}`, { cause: error });
  }
  return {
    async close() {
      if (raw.isOpen) await raw.close().catch(() => raw.destroy());
    },
  };
}
