/** Reading stream entries out of the client's replies. */
import { text } from "./client.js";

/** One stream entry as read: id, encoded item, deliveries so far (this one included). */
export interface RawEntry {
  id: string;
  data: Buffer;
  deliveries: number;
}

function field(fields: unknown, name: string): Buffer | undefined {
  if (!Array.isArray(fields)) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (text(fields[i]) === name) {
      const value: unknown = fields[i + 1];
      return Buffer.isBuffer(value) ? value : Buffer.from(text(value));
    }
  }
  return undefined;
}

/**
 * The entries of an `XREADGROUP ... >` reply for one stream (each a first delivery to this
 * group, plus the `d` deliveries its earlier entry had). The client hands RESP2 stream replies
 * over either as `[[stream, entries]]` or as `{ stream: entries }`.
 */
export function readReply(reply: unknown): RawEntry[] {
  if (reply === null || reply === undefined) return [];
  let entries: unknown;
  if (Array.isArray(reply)) entries = (reply[0] as unknown[] | undefined)?.[1];
  else if (typeof reply === "object") entries = Object.values(reply)[0];
  if (!Array.isArray(entries)) return [];
  const out: RawEntry[] = [];
  for (const entry of entries as unknown[]) {
    if (!Array.isArray(entry)) continue;
    const data = field(entry[1], "v");
    if (data === undefined) continue;
    out.push({ id: text(entry[0]), data, deliveries: Number(text(field(entry[1], "d") ?? "0")) + 1 });
  }
  return out;
}

/** The claimed entries of the MAINTAIN script's reply, `{ id, v, deliveries }` each. */
export function claimedReply(reply: unknown[]): RawEntry[] {
  const out: RawEntry[] = [];
  for (let i = 1; i < reply.length; i++) {
    const item = reply[i];
    if (!Array.isArray(item)) continue;
    const data: unknown = item[1];
    out.push({ id: text(item[0]), data: Buffer.isBuffer(data) ? data : Buffer.from(text(data)), deliveries: Number(item[2]) });
  }
  return out;
}
