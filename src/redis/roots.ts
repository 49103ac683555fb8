/**
 * Which modules a worker may import: only files under its allowed roots, compared after
 * resolving symbolic links and `..`, so a job cannot name its way out of them.
 */
import { realpathSync } from "node:fs";
import { resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The real paths of the roots; each must exist. */
export function realRoots(where: string, roots: unknown): string[] {
  const list = typeof roots === "string" ? [roots] : roots;
  if (!Array.isArray(list) || list.length === 0 || list.some((r) => typeof r !== "string" || r === "")) {
    throw new TypeError(`${where} expects modules to be a directory or a non-empty list of directories whose modules workers may run`);
  }
  return (list as string[]).map((root) => {
    try {
      return realpathSync(resolve(root));
    } catch (error) {
      throw new TypeError(`${where} expects every module root to exist: ${root} (${(error as Error).message})`, { cause: error });
    }
  });
}

/** Why `url` may not run under `roots`, or null when it may. */
export function refusal(url: string, roots: readonly string[]): string | null {
  let path: string;
  try {
    if (!url.startsWith("file:")) return "only file: module URLs can run";
    path = realpathSync(fileURLToPath(url));
  } catch (error) {
    return `the module cannot be found (${(error as Error).message})`;
  }
  if (roots.some((root) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep))) return null;
  return `it is not under the worker's module roots (${roots.join(", ")})`;
}
