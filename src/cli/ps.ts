/**
 * `asyncio-ts ps URL` and `asyncio-ts pstree URL`: Python 3.14's `python -m asyncio ps/pstree`
 * for a process running the monitor. URL is the one the monitor printed (it carries the token).
 */
import type { MonitorSnapshot, MonitorTask, MonitorWait } from "../monitor/schema.js";

async function load(args: string[], command: string): Promise<MonitorSnapshot | number> {
  const [address] = args;
  if (address === undefined || args.length !== 1) {
    process.stderr.write(`usage: asyncio-ts ${command} URL   (the address the monitor printed, with its ?token=...)\n`);
    return 2;
  }
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    process.stderr.write(`asyncio-ts ${command}: not a URL: ${address}\n`);
    return 2;
  }
  const token = url.searchParams.get("token");
  if (token === null) {
    process.stderr.write(`asyncio-ts ${command}: the URL has no ?token=...: copy the whole address the monitor printed\n`);
    return 2;
  }
  let text: string;
  try {
    const res = await fetch(new URL("/api/snapshot", url), { headers: { "X-Monitor-Token": token }, signal: AbortSignal.timeout(10_000) });
    text = await res.text();
    if (!res.ok) {
      process.stderr.write(`asyncio-ts ${command}: the monitor answered HTTP ${res.status}: ${oneLine(text)}\n`);
      return 1;
    }
  } catch (error) {
    process.stderr.write(`asyncio-ts ${command}: cannot reach ${url.origin}: ${oneLine((error as Error).message)}\n`);
    return 1;
  }
  // A URL that is not the monitor's (another server on that port) must end in one line, not in
  // a stack trace from formatting something that is no snapshot.
  let snap: unknown;
  try {
    snap = JSON.parse(text);
  } catch {
    snap = undefined;
  }
  if (!isSnapshot(snap)) {
    process.stderr.write(`asyncio-ts ${command}: ${url.origin} answered, but not with a monitor snapshot: is this the URL the monitor printed?\n`);
    return 1;
  }
  return snap;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function isSnapshot(value: unknown): value is MonitorSnapshot {
  if (typeof value !== "object" || value === null) return false;
  const snap = value as Partial<Record<keyof MonitorSnapshot, unknown>>;
  return (
    typeof snap.pid === "number" &&
    typeof snap.now === "number" &&
    typeof snap.blocked === "number" &&
    Array.isArray(snap.tasks) &&
    Array.isArray(snap.warnings) &&
    snap.tasks.every((t: unknown) => typeof t === "object" && t !== null && Array.isArray((t as { waits?: unknown }).waits) && Array.isArray((t as { stack?: unknown }).stack))
  );
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return s < 100 ? `${s.toFixed(1)}s` : `${Math.round(s)}s`;
}

function waitText(wait: MonitorWait, now: number): string {
  if (wait.deadline !== undefined) return `${wait.op} (${Math.max(0, (wait.deadline - now) / 1000).toFixed(1)}s left)`;
  return wait.text;
}

function header(snap: MonitorSnapshot): string {
  let out = `pid ${snap.pid} (${snap.title})`;
  if (snap.blocked > 0) out += ` — event loop blocked for ${snap.blocked.toFixed(1)} s; last known state:`;
  return `${out}\n`;
}

function footer(snap: MonitorSnapshot): string {
  const lines = snap.warnings.map((w) => `warning: ${w.message}`);
  if (snap.truncated > 0) lines.push(`(${snap.truncated} more tasks not shown)`);
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

/** The rows of the table, as strings, widths fitted to the content. */
export function formatTable(snap: MonitorSnapshot): string {
  const now = snap.now;
  const rows = [["id", "name", "state", "awaiting", "for", "created at"]];
  for (const t of snap.tasks) {
    const first = t.waits[0];
    const since = first?.since;
    rows.push([
      String(t.id),
      t.name,
      t.state,
      t.waits.length > 0 ? t.waits.map((w) => waitText(w, now)).join(", ") : "-",
      since !== undefined ? seconds(now - since) : "-",
      t.site ?? (t.created !== undefined ? `${seconds(now - t.created)} ago` : "-"),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.min(60, Math.max(...rows.map((r) => r[i]!.length))));
  const fit = (cell: string, w: number): string => (cell.length > w ? `${cell.slice(0, w - 1)}…` : cell.padEnd(w));
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : fit(c, widths[i]!))).join("  ").trimEnd());
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return `${lines.join("\n")}\n`;
}

/** The tree: each task with what it awaits and, indented below, where (its await stack). */
export function formatTree(snap: MonitorSnapshot): string {
  const now = snap.now;
  const ids = new Set(snap.tasks.map((t) => t.id));
  const children = new Map<number | null, MonitorTask[]>();
  for (const t of snap.tasks) {
    const parent = t.parent !== null && ids.has(t.parent) ? t.parent : null;
    const list = children.get(parent) ?? [];
    list.push(t);
    children.set(parent, list);
  }
  const lines: string[] = [];
  const walk = (t: MonitorTask, prefix: string, last: boolean, root: boolean): void => {
    const branch = root ? "" : last ? "└── " : "├── ";
    const waits = t.waits.map((w) => `${waitText(w, now)}${w.since !== undefined ? ` for ${seconds(now - w.since)}` : ""}`);
    const doing = waits.length > 0 ? `awaiting ${waits.join(", ")}` : "running, or awaiting a foreign promise";
    const cancelling = t.cancelling > 0 ? ` [cancelling ×${t.cancelling}]` : "";
    lines.push(`${prefix}${branch}Task ${JSON.stringify(t.name)} #${t.id}${cancelling} ${doing}`);
    const kids = children.get(t.id) ?? [];
    const inner = root ? prefix : prefix + (last ? "    " : "│   ");
    const bar = kids.length > 0 ? "│   " : "    ";
    if (t.site !== undefined) lines.push(`${inner}${bar}  created ${t.site}`);
    for (const frame of t.stack) if (!frame.startsWith("awaiting ")) lines.push(`${inner}${bar}  at ${frame}`);
    kids.forEach((kid, i) => walk(kid, inner, i === kids.length - 1, false));
  };
  for (const root of children.get(null) ?? []) walk(root, "", true, true);
  if (lines.length === 0) lines.push("(no pending tasks)");
  return `${lines.join("\n")}\n`;
}

export async function ps(args: string[]): Promise<number> {
  const snap = await load(args, "ps");
  if (typeof snap === "number") return snap;
  process.stdout.write(header(snap) + formatTable(snap) + footer(snap));
  return 0;
}

export async function pstree(args: string[]): Promise<number> {
  const snap = await load(args, "pstree");
  if (typeof snap === "number") return snap;
  process.stdout.write(header(snap) + formatTree(snap) + footer(snap));
  return 0;
}
