/**
 * How items travel through Redis. The default codec is the structured clone of the executors
 * (`node:v8` serialize): Maps, Sets, Dates, BigInts, typed arrays and errors arrive as they left,
 * and a value that cannot travel (a function, a symbol, a class instance's methods) is refused
 * by `put()` at once, before anything is sent.
 */
import { deserialize, serialize } from "node:v8";

/** Turns items into bytes and back; every process that opens a queue must use the same codec. */
export interface Codec<T> {
  /** The item as bytes (or text); throwing refuses the item (put() then throws a TypeError). */
  encode(item: T): Buffer | string;
  /** The item back from its bytes; throwing sends the entry to the dead letters. */
  decode(data: Buffer): T;
}

/** Structured clone (`node:v8`), as the executors use; the default. */
export const structuredCodec: Codec<unknown> = {
  encode: (item) => serialize(item),
  decode: (data) => deserialize(data) as unknown,
};

/** JSON text: readable with redis-cli and by other languages; Dates become strings. */
export const jsonCodec: Codec<unknown> = {
  encode(item) {
    const text = JSON.stringify(item) as string | undefined;
    if (text === undefined) throw new TypeError(`JSON cannot represent ${typeof item} values`);
    return text;
  },
  decode: (data) => JSON.parse(data.toString("utf8")) as unknown,
};

/** Encodes with `codec`, turning its failure into a TypeError that names the call. */
export function encodeItem<T>(where: string, codec: Codec<T>, item: T): Buffer | string {
  let data: Buffer | string;
  try {
    data = codec.encode(item);
  } catch (error) {
    throw new TypeError(`${where} cannot encode the item for Redis: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  if (typeof data !== "string" && !Buffer.isBuffer(data)) {
    throw new TypeError(`${where} expects codec.encode() to return a Buffer or a string: received ${typeof data}`);
  }
  return data;
}
