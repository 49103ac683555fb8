/**
 * Picks the first stack frame that belongs to the user's code, skipping this library's own files
 * (wherever it is installed: src/ under tsx, dist/ when built) and Node's internals.
 */
import { fileURLToPath } from "node:url";

const libraryRoot = fileURLToPath(new URL("..", import.meta.url));

function isLibraryFrame(line: string): boolean {
  return line.includes(libraryRoot) || line.includes("node:internal") || line.includes("(native)") || line.startsWith("at new Promise");
}

/** The first user frame of `stack` ("at fn (file:line:col)"), or undefined. */
export function userFrame(stack: string | undefined): string | undefined {
  if (stack === undefined) return undefined;
  for (const raw of stack.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("at ") && !isLibraryFrame(line)) return line;
  }
  return undefined;
}
