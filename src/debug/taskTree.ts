/**
 * The task tree (Python 3.14's `python -m asyncio pstree`, in-process): every pending task with
 * its name, what it awaits, where it was created (debug mode), and the tasks it started.
 */
import { currentLoop } from "../kernel/context.js";
import { describeWaiter } from "../kernel/future.js";
import type { Loop } from "../kernel/loop.js";
import { pendingWaits } from "../kernel/scope.js";
import type { Task } from "../kernel/task.js";
import { userFrame } from "./frames.js";

/** What `task` waits on right now, or a note that it runs or waits on something foreign. */
export function awaiting(task: Task<unknown>): string {
  // Inside scopes (timeout, taskGroup bodies) first: the innermost is what the code awaits now.
  const waits = pendingWaits(task).map(describeWaiter);
  if (waits.length > 0) return `awaiting ${waits.join(", ")}`;
  return "running, or awaiting a foreign promise";
}

function creationSite(task: Task<unknown>): string {
  const line = userFrame(task._creationStack);
  return line !== undefined ? ` (created ${line})` : "";
}

/**
 * The pending tasks of `loop` as an indented tree, one line per task. A task whose creator has
 * finished is shown under its nearest pending ancestor.
 */
export function formatTaskTree(loop: Loop = currentLoop()): string {
  const tasks = loop._tasks;
  if (tasks.size === 0) return "(no pending tasks)";
  const lines: string[] = [];
  const walk = (task: Task<unknown>, prefix: string, last: boolean, root: boolean): void => {
    const branch = root ? "" : last ? "└── " : "├── ";
    const cancelling = task.cancelling() > 0 ? ` [cancelling ×${task.cancelling()}]` : "";
    lines.push(`${prefix}${branch}Task ${JSON.stringify(task.name)}${cancelling} ${awaiting(task)}${creationSite(task)}`);
    const kids = tasks.children(task);
    const nextPrefix = root ? prefix : prefix + (last ? "    " : "│   ");
    kids.forEach((kid, i) => walk(kid, nextPrefix, i === kids.length - 1, false));
  };
  for (const root of tasks.roots()) walk(root, "", true, true);
  return lines.join("\n");
}

/** Prints `formatTaskTree()` to stderr (or `stream`). */
export function printTaskTree(loop: Loop = currentLoop(), stream: { write(s: string): unknown } = process.stderr): void {
  stream.write(`${formatTaskTree(loop)}\n`);
}
