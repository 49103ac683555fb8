// The documentation cannot drift: every TypeScript block of README.md and docs/**/*.md is
// type-checked with the repository's compiler settings and, unless marked otherwise, run in a
// child process (tsx) whose stdout must match the block's `output` block when it has one. Block
// markers are explained in scripts/doc-snippets.ts. docs/api.md must equal what `npm run docs`
// generates from the doc comments, every export, public class member and exported-interface field
// must have a doc comment (scripts/api-docs.ts `undocumented()`), and relative links in the docs
// must point at existing files.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "./helpers.js";
import { fileURLToPath } from "node:url";
import ts from "typescript";

import { generateApiDocs, undocumented } from "../scripts/api-docs.js";
import { docFiles, extractSnippets, rewriteImports, slug, type Snippet } from "../scripts/doc-snippets.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "build", "doc-snippets");
const RUN_TIMEOUT_MS = 20_000;

/** Diagnostics a `fragment` block may have: names its excerpt uses without declaring them. */
const FRAGMENT_ALLOWED = new Set([
  2304, // Cannot find name 'x'.
  2552, // Cannot find name 'x'. Did you mean 'y'?
  2307, // Cannot find module './work.js'.
  7006, // Parameter 'x' implicitly has an 'any' type (its callee is one of the unknown names).
  7031, // Binding element 'x' implicitly has an 'any' type.
]);

interface Written extends Snippet {
  file: string;
  /** Lines written before the block's first line (the "// doc:line" header, a fragment's imports). */
  offset: number;
}

function writeSnippets(): Written[] {
  rmSync(outDir, { recursive: true, force: true });
  const written: Written[] = [];
  const exportNames = packageExports();
  for (const doc of docFiles(root)) {
    const dir = join(outDir, slug(doc));
    for (const snippet of extractSnippets(root, doc)) {
      if (snippet.mode === "skip") continue;
      mkdirSync(dir, { recursive: true });
      const name = snippet.mode === "file" ? (snippet.fileName as string) : `L${snippet.line}${snippet.mode === "fragment" ? ".fragment" : ""}.ts`;
      const file = join(dir, name);
      let code = rewriteImports(snippet.code, root, dir);
      const prelude = snippet.mode === "fragment" ? fragmentPrelude(code, exportNames, dir) : "";
      code = prelude + code;
      if (!/^\s*(import|export)\b/m.test(code)) code += "\nexport {};\n";
      writeFileSync(file, `// ${snippet.doc}:${snippet.line}\n${code}`);
      written.push({ ...snippet, file, offset: 1 + prelude.split("\n").length - 1 });
    }
  }
  return written;
}

/** The names exported by src/index.ts, to put in scope of fragments. */
function packageExports(): string[] {
  const program = ts.createProgram([join(root, "src/index.ts")], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(join(root, "src/index.ts"));
  const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  assert.ok(symbol !== undefined, "src/index.ts has no module symbol");
  return checker.getExportsOfModule(symbol).map((s) => s.name);
}

function fragmentPrelude(code: string, names: string[], dir: string): string {
  const declared = new Set([...code.matchAll(/\b(?:const|let|var|function|class|interface|type)\s+(\w+)/g)].map((m) => m[1]));
  const destructured = [...code.matchAll(/\b(?:const|let|var)\s+[[{]([^\]}=]*)[\]}]/g)].flatMap((m) => (m[1] ?? "").split(",").map((s) => s.trim().split(/[\s:]/).pop() ?? ""));
  for (const name of destructured) declared.add(name);
  const imports = names.filter((n) => !declared.has(n));
  const from = rewriteImports(`"asyncio-ts"`, root, dir);
  const testing = declared.has("VirtualClock") ? "" : `import { VirtualClock } from ${rewriteImports(`"asyncio-ts/testing"`, root, dir)};\n`;
  return `import { ${imports.join(", ")} } from ${from};\n${testing}`;
}

function typeCheck(files: Written[]): string[] {
  const configPath = join(root, "tsconfig.json");
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram(
    files.map((f) => f.file),
    { ...parsed.options, noEmit: true },
  );
  const fragments = new Set(files.filter((f) => f.mode === "fragment").map((f) => f.file));
  const bySource = new Map(files.map((f) => [f.file, f]));
  const problems: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const fileName = d.file?.fileName;
    if (fileName !== undefined && fragments.has(resolve(fileName)) && FRAGMENT_ALLOWED.has(d.code)) continue;
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (d.file === undefined || d.start === undefined || fileName === undefined) {
      problems.push(`TS${d.code}: ${text}`);
      continue;
    }
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    const snippet = bySource.get(resolve(fileName));
    // The block's first line is the line after the fence.
    const where =
      snippet !== undefined && line >= snippet.offset
        ? `${snippet.doc}:${snippet.line + 1 + line - snippet.offset}:${character + 1} (${relative(root, fileName)})`
        : `${relative(root, fileName)}:${line + 1}:${character + 1}`;
    problems.push(`${where} TS${d.code}: ${text}`);
  }
  return problems;
}

function runSnippet(file: string): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolvePromise) => {
    const env = { ...process.env };
    delete env["ASYNCIO_TS_DEBUG"];
    delete env["NODE_TEST_CONTEXT"];
    execFile(
      process.execPath,
      ["--import", "tsx", file],
      { cwd: root, env, timeout: RUN_TIMEOUT_MS, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; killed?: boolean }) | null;
        resolvePromise({
          code: e === null ? 0 : typeof e.code === "number" ? e.code : null,
          stdout,
          stderr,
          timedOut: e?.killed === true,
        });
      },
    );
  });
}

function normalize(text: string): string {
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .trim();
}

const snippets = writeSnippets();

describe("docs", () => {
  it("docs every TypeScript block type-checks", () => {
    const problems = typeCheck(snippets);
    assert.ok(problems.length === 0, `code blocks in the docs do not type-check:\n${problems.join("\n")}`);
  });

  it("docs/api.md is up to date with the doc comments (run `npm run docs`)", () => {
    const expected = generateApiDocs(root);
    const actual = existsSync(join(root, "docs/api.md")) ? readFileSync(join(root, "docs/api.md"), "utf8") : "";
    assert.ok(actual === expected, "docs/api.md is stale: run `npm run docs` and commit the result");
  });

  it("docs every export, public class member and exported-interface field has a doc comment", () => {
    const missing = undocumented(root);
    assert.ok(missing.length === 0, `${missing.length} undocumented (add a doc comment, then run \`npm run docs\`): ${missing.join(", ")}`);
  });

  it("docs relative links point at files that exist", () => {
    const broken: string[] = [];
    for (const doc of docFiles(root)) {
      const text = readFileSync(join(root, doc), "utf8").replace(/```[\s\S]*?```/g, "");
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = (m[1] ?? "").split("#")[0] ?? "";
        if (target === "" || /^[a-z]+:/i.test(target)) continue;
        const path = join(root, dirname(doc), target);
        // docs/benchmarks.md is generated by `npm run bench -- --report` on a quiet machine, not by the tests.
        if (relative(root, path) === join("docs", "benchmarks.md")) continue;
        if (!existsSync(path)) broken.push(`${doc}: ${m[1]}`);
      }
    }
    assert.ok(broken.length === 0, `broken links:\n${broken.join("\n")}`);
  });

  describe("docs runnable blocks", { concurrency: Math.min(8, availableParallelism()) }, () => {
    for (const snippet of snippets.filter((s) => s.mode === "run")) {
      it(`${snippet.doc}:${snippet.line} runs${snippet.output !== undefined ? " and prints its output block" : ""}`, async () => {
        const result = await runSnippet(snippet.file);
        const where = `${snippet.doc}:${snippet.line} (${relative(root, snippet.file)})`;
        assert.ok(!result.timedOut, `${where} did not finish within ${RUN_TIMEOUT_MS / 1000} s\n${result.stderr}`);
        assert.equal(result.code, 0, `${where} exited with ${String(result.code)}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
        if (snippet.output !== undefined) {
          assert.equal(normalize(result.stdout), normalize(snippet.output), `${where}: stdout differs from its output block`);
        }
      });
    }
  });
});
