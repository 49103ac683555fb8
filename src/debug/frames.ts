/**
 * Picks the first stack frame that belongs to the user's code, skipping this library's own files
 * and the runtime's internals.
 *
 * The library's files are whatever lies under the package's dist/ or src/, however a frame names
 * them: a path (CommonJS, Bun), a file: URL (ES modules, Deno), and from dist/ or, through the
 * source maps (tsx, `--enable-source-maps`, Bun, Deno), from src/ of the installed package.
 */
import { fileURLToPath, pathToFileURL } from "node:url";

// This file is <package>/dist/debug/frames.js, or <package>/src/debug/frames.ts from source.
const packageRoot = fileURLToPath(new URL("../..", import.meta.url));

const libraryDirs = ["dist", "src"].flatMap((dir) => {
  const path = packageRoot + dir + (packageRoot.includes("\\") ? "\\" : "/");
  return [path, pathToFileURL(path).href];
});

/** Frames of the runtime itself: Node (`node:internal/...`), Bun (`native`), Deno (`ext:core/...`), and `new Promise`. */
const RUNTIME_FRAME = /\((?:node:|native|ext:)|^at (?:node:|native|ext:)|^at new Promise\b/;

function isLibraryFrame(line: string): boolean {
  return RUNTIME_FRAME.test(line) || libraryDirs.some((dir) => line.includes(dir));
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
