/** The options of `RedisQueue.open()`, checked once, with messages that say what was expected. */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { structuredCodec, type Codec } from "./codec.js";

/** Options of `RedisQueue.open()`. Every process that opens the same queue should pass the same ones. */
export interface RedisQueueOptions<T> {
  /** The server, `redis://[[user]:password@]host[:port][/db]` or `rediss://` (TLS); default `redis://127.0.0.1:6379`. */
  url?: string | undefined;
  /** The consumer group: consumers in one group share the items (default "workers"). */
  group?: string | undefined;
  /** This consumer's name in the group; default host, pid and a random suffix (unique per open()). */
  consumer?: string | undefined;
  /** put() waits while this many items are unfinished (put, not yet acknowledged); 0 = unbounded (default). */
  maxsize?: number | undefined;
  /** Seconds a delivered job stays with its consumer without a heartbeat before another takes it over (default 30). */
  leaseSeconds?: number | undefined;
  /** The delivery after which a job that is not acknowledged goes to the dead-letter stream (default 5). */
  maxDeliveries?: number | undefined;
  /** How items are encoded (default: structured clone with `node:v8`). */
  codec?: Codec<T> | undefined;
}

/** @internal The checked options. */
export interface QueueConfig<T> {
  url: string;
  group: string;
  consumer: string;
  maxsize: number;
  leaseMs: number;
  maxDeliveries: number;
  codec: Codec<T>;
}

const NAME = /^[^{}\s]{1,200}$/;

function text(where: string, key: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !NAME.test(value)) {
    throw new TypeError(`${where} expects ${key} to be a non-empty string without spaces or braces: received ${typeof value === "string" ? JSON.stringify(value) : typeof value}`);
  }
  return value;
}

function count(where: string, key: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") throw new TypeError(`${where} expects ${key} to be an integer: received ${typeof value}`);
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${where} expects ${key} to be an integer ≥ ${min}: received ${value}`);
  return value;
}

/** @internal */
export function checkName(where: string, name: unknown): string {
  if (name === undefined) throw new TypeError(`${where} expects a queue name: received undefined`);
  return text(where, "the queue name", name, "");
}

/** @internal */
export function queueConfig<T>(where: string, options: RedisQueueOptions<T> | undefined): QueueConfig<T> {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`${where} expects an options object: received ${String(options)}`);
  }
  const o = options ?? {};
  const url = o.url ?? "redis://127.0.0.1:6379";
  if (typeof url !== "string" || !/^rediss?:\/\//.test(url)) {
    throw new TypeError(`${where} expects url to be a redis:// or rediss:// URL: received ${JSON.stringify(url) ?? String(url)}`);
  }
  const lease = o.leaseSeconds ?? 30;
  if (typeof lease !== "number") throw new TypeError(`${where} expects leaseSeconds to be a number of seconds: received ${typeof lease}`);
  if (!Number.isFinite(lease) || lease < 0.05) {
    throw new RangeError(`${where} expects leaseSeconds to be at least 0.05 (seconds): received ${lease}`);
  }
  const codec = o.codec ?? (structuredCodec as Codec<T>);
  if (typeof codec !== "object" || codec === null || typeof codec.encode !== "function" || typeof codec.decode !== "function") {
    throw new TypeError(`${where} expects codec to be an object with encode() and decode() functions`);
  }
  return {
    url,
    group: text(where, "group", o.group, "workers"),
    consumer: text(where, "consumer", o.consumer, `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`),
    maxsize: count(where, "maxsize", o.maxsize, 0, 0),
    leaseMs: Math.round(lease * 1000),
    maxDeliveries: count(where, "maxDeliveries", o.maxDeliveries, 5, 1),
    codec,
  };
}
