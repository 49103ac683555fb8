/**
 * Generates docs/api.md from the doc comments of every export of src/index.ts,
 * src/testing/index.ts, src/monitor/index.ts and src/redis/index.ts, using the TypeScript compiler API: for each export its signature, doc
 * comment, parameters, `@throws` and `@example`; for a class, its public members as well.
 *
 *   npm run docs            # writes docs/api.md
 *   npm run docs -- --check # exits 1 if docs/api.md is stale (test/docs.test.ts checks it too)
 *
 * The `@example`s become `ts fragment` blocks, which test/docs.test.ts type-checks with every
 * export in scope.
 *
 * It also prints how many exports, public class members and exported-interface fields have no doc
 * comment (`undocumented()`); test/docs.test.ts requires that number to be 0.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

interface Entry {
  name: string;
  kind: string;
  signatures: string[];
  doc: string;
  members: Entry[];
  /** For an interface: its fields (and call or index signatures) that have no doc comment. */
  undocumentedFields: string[];
}

type Collected = Entry & { file: string };

const SECTIONS: Array<[title: string, test: (file: string) => boolean, intro: string]> = [
  ["Running and tasks", (f) => /^(run|tasks|sleep|kernel\/(task|future))\.ts$/.test(f), "Entry points, tasks and futures. See the guide: [tasks and running](guide/02-tasks-and-running.md)."],
  ["Running many at once", (f) => /^(gather|wait|asCompleted|shield|taskGroup|kernel\/ensureFuture)\.ts$/.test(f), "See [running many](guide/03-running-many.md)."],
  ["Timeouts", (f) => /^(waitFor|timeouts)\.ts$/.test(f), "See [timeouts](guide/04-timeouts.md)."],
  ["Synchronization", (f) => f.startsWith("sync/") || f === "kernel/waiting.ts", "See [synchronization](guide/05-synchronization.md)."],
  ["Queues", (f) => f.startsWith("queues/"), "See [queues](guide/06-queues.md)."],
  ["Executors", (f) => f.startsWith("executors/"), "See [executors](guide/07-executors.md)."],
  ["The event loop", (f) => /^kernel\/(loop|handle|clock)\.ts$/.test(f), "Most programs never touch the loop directly; `run()` creates it."],
  ["Debugging", (f) => f.startsWith("debug/"), "See [debugging](guide/08-debugging.md)."],
  ["Errors", (f) => f === "errors.ts", "Every error class sets `name`, and `instanceof` also recognises instances made by another copy of the package."],
  ["asyncio-ts/testing", (f) => f.startsWith("testing/"), "Imported from `asyncio-ts/testing`. See [testing](guide/09-testing.md)."],
  ["asyncio-ts/monitor", (f) => f.startsWith("monitor/"), "Imported from `asyncio-ts/monitor`. See [the live monitor](guide/08-debugging.md#the-live-monitor)."],
  [
    "asyncio-ts/redis",
    (f) => f.startsWith("redis/"),
    "Imported from `asyncio-ts/redis`; needs the `redis` client (an optional peer dependency) and Redis 6.2 or newer. See [scaling out](guide/12-scaling-out.md).",
  ],
];

function isInternal(node: ts.Node): boolean {
  return ts.getJSDocTags(node).some((t) => t.tagName.text === "internal");
}

function isPublicMember(member: ts.ClassElement): boolean {
  const name = member.name;
  if (name !== undefined && (ts.isPrivateIdentifier(name) || (ts.isIdentifier(name) && name.text.startsWith("_")))) return false;
  const flags = ts.getCombinedModifierFlags(member);
  if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
  if (isInternal(member)) return false;
  // Presentation hooks, not API: util.inspect's form and the toStringTag.
  if (name !== undefined && /^\[(inspect\.custom|Symbol\.toStringTag)\]$/.test(name.getText())) return false;
  if (ts.isClassStaticBlockDeclaration(member) || ts.isSemicolonClassElement(member) || ts.isIndexSignatureDeclaration(member)) return false;
  return true;
}

/** Source text of a declaration without its body, JSDoc, `export` and `declare`. */
function signatureText(node: ts.Node, source: ts.SourceFile): string {
  let end = node.getEnd();
  const body =
    ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node) || ts.isAccessor(node)
      ? node.body
      : undefined;
  if (body !== undefined) end = body.getStart(source);
  if (ts.isClassDeclaration(node)) end = node.members.pos;
  let text = source.text.slice(node.getStart(source, false), end).trim();
  if (ts.isClassDeclaration(node)) text = text.replace(/\{\s*$/, "").trim();
  if (ts.isPropertyDeclaration(node) && node.initializer !== undefined) {
    text = source.text.slice(node.getStart(source, false), node.initializer.getStart(source)).replace(/\s*=\s*$/, "");
    if (node.type === undefined) text += `: ${typeOfInitializer(node.initializer)}`;
  }
  if (ts.isVariableDeclaration(node)) {
    const list = node.parent;
    const keyword = ts.isVariableDeclarationList(list) && list.flags & ts.NodeFlags.Const ? "const" : "let";
    text = `${keyword} ${node.getText(source)}`;
  }
  text = text.replace(/^export\s+(default\s+)?/, "").replace(/^declare\s+/, "");
  // Drop member doc comments inside interfaces? No: they document the fields. Strip @internal members.
  text = text.replace(/\n\s*\/\*\*[^*]*@internal[\s\S]*?\*\/[^\n]*\n/g, "\n");
  const column = source.getLineAndCharacterOfPosition(node.getStart(source, false)).character;
  return dedent(text, column).replace(/;$/, "");
}

function typeOfInitializer(init: ts.Expression): string {
  if (ts.isNumericLiteral(init)) return "number";
  if (ts.isStringLiteral(init)) return "string";
  if (init.kind === ts.SyntaxKind.TrueKeyword || init.kind === ts.SyntaxKind.FalseKeyword) return "boolean";
  return "unknown";
}

/** Removes the declaration's own indentation from its continuation lines. */
function dedent(text: string, column: number): string {
  const lines = text.split("\n");
  return [lines[0], ...lines.slice(1).map((l) => (l.slice(0, column).trim() === "" ? l.slice(column) : l.trimStart()))].join("\n");
}

function tagText(tag: ts.JSDocTagInfo): string {
  return (tag.text ?? []).map((p) => p.text).join("");
}

function renderDoc(symbol: ts.Symbol, checker: ts.TypeChecker, declaration?: ts.Declaration): string {
  const parts = declaration !== undefined && ts.isFunctionLike(declaration)
    ? checker.getSignatureFromDeclaration(declaration)
    : undefined;
  const comment = ts.displayPartsToString(parts?.getDocumentationComment(checker) ?? symbol.getDocumentationComment(checker)).trim();
  const tags = parts?.getJsDocTags() ?? symbol.getJsDocTags(checker);
  const out: string[] = [];
  if (comment !== "") out.push(comment);
  const params = tags.filter((t) => t.name === "param");
  if (params.length > 0) {
    out.push(
      params
        .map((t) => {
          const text = tagText(t);
          const m = /^(\S+)\s*([\s\S]*)$/.exec(text);
          return m !== null ? `- \`${m[1]}\`: ${(m[2] ?? "").replace(/^-\s*/, "")}` : `- ${text}`;
        })
        .join("\n"),
    );
  }
  const returns = tags.filter((t) => t.name === "returns" || t.name === "return");
  for (const t of returns) out.push(`**Returns** ${tagText(t)}`);
  const throws = tags.filter((t) => t.name === "throws");
  if (throws.length > 0) {
    out.push(["**Throws**", ...throws.map((t) => `- ${tagText(t).replace(/\s*\n\s*/g, " ").replace(/^\{?(\w+)\}?/, "`$1`")}`)].join("\n"));
  }
  for (const t of tags.filter((t) => t.name === "example")) {
    const code = tagText(t).replace(/^\s*```\w*\n?|\n?```\s*$/g, "").trim();
    out.push("Example:\n\n```ts fragment\n" + code + "\n```");
  }
  return out.join("\n\n");
}

function kindOf(node: ts.Declaration): string {
  if (ts.isFunctionDeclaration(node)) return "function";
  if (ts.isClassDeclaration(node)) return "class";
  if (ts.isInterfaceDeclaration(node)) return "interface";
  if (ts.isTypeAliasDeclaration(node)) return "type";
  if (ts.isVariableDeclaration(node)) return "const";
  if (ts.isMethodDeclaration(node)) return "method";
  if (ts.isConstructorDeclaration(node)) return "constructor";
  if (ts.isGetAccessor(node) || ts.isSetAccessor(node)) return "accessor";
  if (ts.isPropertyDeclaration(node)) return "property";
  return ts.SyntaxKind[node.kind];
}

function memberEntries(cls: ts.ClassDeclaration, source: ts.SourceFile, checker: ts.TypeChecker): Entry[] {
  const byName = new Map<string, Entry>();
  const entries: Entry[] = [];
  for (const member of cls.members) {
    if (!isPublicMember(member)) continue;
    const name = ts.isConstructorDeclaration(member) ? "constructor" : (member.name?.getText(source) ?? "?");
    let signature = signatureText(member, source);
    if (ts.isConstructorDeclaration(member)) signature = signature.replace(/^constructor\b/, `new ${cls.name?.text ?? "?"}`);
    const isOverloadImpl = (ts.isMethodDeclaration(member) || ts.isConstructorDeclaration(member)) && member.body !== undefined && cls.members.some((m) => m !== member && m.kind === member.kind && (m.name?.getText(source) ?? "constructor") === name && (m as ts.MethodDeclaration).body === undefined);
    if (isOverloadImpl) continue;
    const existing = byName.get(name);
    if (existing !== undefined) {
      // Overloads and get/set pairs: one entry, several signatures.
      existing.signatures.push(signature);
      if (existing.doc === "") existing.doc = memberDoc(member, checker);
      continue;
    }
    const entry: Entry = { name, kind: kindOf(member), signatures: [signature], doc: memberDoc(member, checker), members: [], undocumentedFields: [] };
    byName.set(name, entry);
    entries.push(entry);
  }
  return entries;
}

function memberDoc(member: ts.ClassElement, checker: ts.TypeChecker): string {
  const symbol = member.name !== undefined ? checker.getSymbolAtLocation(member.name) : undefined;
  if (ts.isConstructorDeclaration(member)) {
    const sig = checker.getSignatureFromDeclaration(member);
    const parts = ts.displayPartsToString(sig?.getDocumentationComment(checker) ?? []).trim();
    const tags = sig?.getJsDocTags() ?? [];
    const fake = { getDocumentationComment: () => [{ text: parts, kind: "text" }], getJsDocTags: () => tags } as unknown as ts.Symbol;
    return renderDoc(fake, checker);
  }
  if (symbol === undefined) return "";
  return renderDoc(symbol, checker, ts.isMethodDeclaration(member) ? member : undefined);
}

function collect(program: ts.Program, checker: ts.TypeChecker, srcRoot: string, entryFile: string): Collected[] {
  const source = program.getSourceFile(entryFile);
  const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error(`cannot read the exports of ${entryFile}`);
  const entries: Collected[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = (symbol.declarations ?? []).filter((d) => !isInternal(d));
    const first = declarations[0];
    if (first === undefined) continue;
    const declSource = first.getSourceFile();
    const file = relative(srcRoot, declSource.fileName).split("\\").join("/");
    const functions = declarations.filter(ts.isFunctionDeclaration);
    const overloads = functions.filter((f) => f.body === undefined);
    const shown = functions.length > 0 ? (overloads.length > 0 ? overloads : functions) : [first];
    const signatures = shown.map((d) => signatureText(d, declSource));
    let doc = ts.isFunctionDeclaration(first) ? renderDoc(symbol, checker, shown[0]) : renderDoc(symbol, checker);
    if (doc === "") doc = fileDoc(first, declSource, exported.name);
    const members = ts.isClassDeclaration(first) ? memberEntries(first, declSource, checker) : [];
    const undocumentedFields = declarations.filter(ts.isInterfaceDeclaration).flatMap((d) => undocumentedFieldsOf(d, declSource));
    entries.push({ name: exported.name, kind: kindOf(first), signatures, doc, members, undocumentedFields, file });
  }
  return entries;
}

/** The members of an interface that have no doc comment of their own (`@internal` ones aside). */
function undocumentedFieldsOf(node: ts.InterfaceDeclaration, source: ts.SourceFile): string[] {
  const missing: string[] = [];
  for (const member of node.members) {
    if (isInternal(member) || ts.getJSDocCommentsAndTags(member).length > 0) continue;
    const label = member.name !== undefined ? member.name.getText(source) : ts.isIndexSignatureDeclaration(member) ? "[index]" : "()";
    missing.push(`${node.name.text}.${label}`);
  }
  return missing;
}

/**
 * A class documented by its file's leading comment (the one above the imports of lock.ts, say):
 * used when the export itself has no doc comment and is named after its file.
 */
function fileDoc(node: ts.Declaration, source: ts.SourceFile, name: string): string {
  const base = source.fileName.replace(/^.*\//, "").replace(/\.ts$/, "");
  if (base.toLowerCase() !== name.toLowerCase() || !ts.isClassDeclaration(node)) return "";
  const first = source.statements[0];
  if (first === undefined || !ts.isImportDeclaration(first)) return "";
  const ranges = ts.getLeadingCommentRanges(source.text, first.getFullStart()) ?? [];
  const jsdoc = ranges.map((r) => source.text.slice(r.pos, r.end)).find((c) => c.startsWith("/**"));
  if (jsdoc === undefined) return "";
  const lines = jsdoc.replace(/^\/\*\*|\*\/$/g, "").split("\n").map((l) => l.replace(/^\s*\* ?/, ""));
  const text = lines.join("\n").trim();
  const [body = "", ...examples] = text.split(/^@example\s*$/m);
  const out = [body.trim()];
  for (const example of examples) out.push("Example:\n\n```ts fragment\n" + example.trim() + "\n```");
  return out.join("\n\n");
}

function slugOf(title: string): string {
  return title.toLowerCase().replace(/[^\w\- ]+/g, "").replace(/ /g, "-");
}

/** GitHub's heading anchors: the slug, then -1, -2, ... for repeats, in document order. */
class Anchors {
  private readonly seen = new Map<string, number>();
  next(title: string): string {
    const base = slugOf(title);
    const n = this.seen.get(base) ?? 0;
    this.seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  }
}

function memberLabel(entry: Entry, member: Entry): string {
  return member.kind === "constructor" ? `new ${entry.name}()` : `${entry.name}.${member.name}`;
}

/** Every export of the package's entry points, with its doc and public members. */
function collectAll(root: string): Collected[] {
  const srcRoot = join(root, "src");
  const entryFiles = [join(srcRoot, "index.ts"), join(srcRoot, "testing/index.ts"), join(srcRoot, "monitor/index.ts"), join(srcRoot, "redis/index.ts")];
  const configPath = join(root, "tsconfig.json");
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram(entryFiles, { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  return entryFiles.flatMap((f) => collect(program, checker, srcRoot, f));
}

/** Builds docs/api.md's text from the sources under `root`. */
export function generateApiDocs(root: string): string {
  return render(collectAll(root));
}

function render(all: Collected[]): string {

  const out: string[] = [
    "# API reference",
    "",
    "<!-- Generated by `npm run docs` (scripts/api-docs.ts) from the doc comments in src/. Do not edit by hand. -->",
    "",
    "Every name below is exported from the package root (`import { gather } from \"asyncio-ts\"`), except",
    "the sections named after a subpath (`asyncio-ts/testing`, `asyncio-ts/monitor`, `asyncio-ts/redis`). **Every duration and deadline is in seconds**, as in",
    "asyncio. For the ideas behind these functions, read the [guide](guide/01-mental-model.md) first.",
    "",
    "## Contents",
    "",
  ];
  const grouped = SECTIONS.map(([title, test, intro]) => ({ title, intro, entries: all.filter((e) => test(e.file)) }));
  const unplaced = all.filter((e) => !SECTIONS.some(([, test]) => test(e.file)));
  if (unplaced.length > 0) grouped.push({ title: "Other", intro: "", entries: unplaced });
  // Anchors in the order the headings appear: "# API reference", "## Contents", then the sections.
  const anchors = new Anchors();
  anchors.next("API reference");
  anchors.next("Contents");
  const sectionAnchor = new Map<string, string>();
  const entryAnchor = new Map<Entry, string>();
  for (const group of grouped) {
    if (group.entries.length === 0) continue;
    sectionAnchor.set(group.title, anchors.next(group.title));
    for (const entry of group.entries) {
      entryAnchor.set(entry, anchors.next(entry.name));
      for (const member of entry.members) anchors.next(memberLabel(entry, member));
    }
  }
  for (const group of grouped) {
    if (group.entries.length === 0) continue;
    const links = group.entries.map((e) => `[\`${e.name}\`](#${entryAnchor.get(e) ?? ""})`).join(", ");
    out.push(`- [${group.title}](#${sectionAnchor.get(group.title) ?? ""}): ${links}`);
  }
  for (const group of grouped) {
    if (group.entries.length === 0) continue;
    out.push("", `## ${group.title}`, "");
    if (group.intro !== "") out.push(group.intro, "");
    for (const entry of group.entries) {
      out.push(`### ${entry.name}`, "");
      out.push("```ts skip signature", entry.signatures.join("\n"), "```", "");
      if (entry.doc !== "") out.push(entry.doc, "");
      for (const member of entry.members) {
        out.push(`#### ${memberLabel(entry, member)}`, "");
        out.push("```ts skip signature", member.signatures.join("\n"), "```", "");
        if (member.doc !== "") out.push(member.doc, "");
      }
    }
  }
  return out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}

/**
 * What has no doc comment: exports ("name"), public class members ("Class.member"; constructors
 * may go without one) and fields of exported interfaces ("Interface.field").
 */
export function undocumented(root: string): string[] {
  return undocumentedIn(collectAll(root));
}

function undocumentedIn(all: Collected[]): string[] {
  const missing: string[] = [];
  for (const entry of all) {
    if (entry.doc === "") missing.push(entry.name);
    for (const member of entry.members) {
      if (member.doc === "" && member.kind !== "constructor") missing.push(`${entry.name}.${member.name}`);
    }
    missing.push(...entry.undocumentedFields);
  }
  return missing;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const target = join(root, "docs", "api.md");
  const all = collectAll(root);
  const text = render(all);
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(target, "utf8");
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      process.stderr.write("docs/api.md is stale: run `npm run docs`\n");
      process.exit(1);
    }
  } else {
    writeFileSync(target, text);
    const missing = undocumentedIn(all);
    const items = all.length + all.reduce((n, e) => n + e.members.filter((m) => m.kind !== "constructor").length, 0);
    process.stdout.write(
      `wrote docs/api.md: ${all.length} exports, ${items - all.length} public class members; ` +
        `${missing.length} undocumented item${missing.length === 1 ? "" : "s"}` +
        `${missing.length > 0 ? ` (exports, members or interface fields): ${missing.join(", ")}` : ""}\n`,
    );
  }
}
